"""Hooks for the apps built on accounts, which it never imports (`reservas` -> `accounts`, one way).

They connect receivers in their AppConfig.ready().
"""

from django.dispatch import Signal

# Sent while GET /api/me builds its answer, with `request` and `user`; each receiver
# returns a dict of fields to add (reservas: "ical", the user's calendar feed URL).
me_fields = Signal()
