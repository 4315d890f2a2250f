"""The fast path: Django's first middleware answers the two hottest requests itself when that changes nothing.

Lives here, not in a domain app: it is request plumbing (sessions, CSRF, hosts,
headers). `mirror.py` names each piece of Django it stands in for; each lane has
its own module. Rooms' rules stay in salas/; the data tier's in replication/.
"""
