"""Users: the custom User, sign-up / sign-in / sign-out pages and JSON, username-or-email sign-in, sessions.

Not here: rooms and bookings (salas/, reservas/), how the database is reached (replication/).
"""
