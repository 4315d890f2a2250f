"""What accounts tells the apps above it; they connect in their AppConfig.ready()."""

from django.dispatch import Signal

# Sent with `user` once a new password is stored (change or reset; not on sign-up), inside
# the transaction that stores it: whatever the old password protected is rotated with it.
password_changed = Signal()
