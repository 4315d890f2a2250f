"""The session's user, remembered per process for a bounded time instead of read on every request."""

from __future__ import annotations

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.sessions import session_user


class SessionUserMiddleware(AuthenticationMiddleware):
    """Django's AuthenticationMiddleware, with request.user from accounts.sessions.session_user."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: session_user(request))  # type: ignore[assignment]
