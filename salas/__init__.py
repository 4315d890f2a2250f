"""Rooms: model and constraints, services (writes), selectors (reads), forms, pages, JSON API, admin.

Not here: request plumbing (core/), replication internals (replication/ has a small interface).
"""
