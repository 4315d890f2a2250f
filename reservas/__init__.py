"""Bookings, shaped like salas/: model, services (the room lock), selectors, recurrence, pages, JSON, iCal.

Not here: rooms' own rules (salas/), replication internals (replication/ has a small interface).
"""
