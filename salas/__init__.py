"""Rooms: model and constraints, services (writes), selectors (reads), forms, pages, JSON API, admin.

Not here: request plumbing (core/, fastpath/), replication internals (replication/ has a small interface).
"""
