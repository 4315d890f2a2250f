"""What accounts tells the apps above it, which it never imports (`reservas` -> `accounts`, one way).

They connect receivers in their AppConfig.ready().
"""

from django.dispatch import Signal

# Sent with `user` once a new password is stored (change or reset; not on sign-up), inside
# the transaction that stores it: whatever the old password protected is rotated with it.
password_changed = Signal()
# Sent while GET /auth/me builds its answer, with `request` and `user`; each receiver
# returns a dict of fields to add (reservas: "ical", the user's calendar feed URL).
me_fields = Signal()
