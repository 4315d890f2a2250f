"""The request type of a view that only signed-in users reach (core knows no user model)."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request that `login_required` or the API's `signed_in` auth (core/api.py) let through: its user is signed in.

    For annotations only (Django builds plain HttpRequests): it tells the type
    checker what the decorator guarantees.
    """

    user: User
