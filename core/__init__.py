"""The HTTP contract the apps share: JSON errors, 503 on outages, X-Node/CSP headers, memos.

Not here: domain logic (rooms, users, bookings) and the choice of database (replication/).
"""
