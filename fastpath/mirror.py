"""The pieces of Django the lanes stand in for, each mirroring one named piece of Django.

| here                       | Django                                                              |
|----------------------------|---------------------------------------------------------------------|
| session_from_cookie        | SessionMiddleware + accounts.sessions (the configured engine)       |
| session_user               | django.contrib.auth.get_user (backend, session hash; current key)   |
| host_allowed               | HttpRequest.get_host() against ALLOWED_HOSTS (400 otherwise)        |
| csrf_cookie_kept           | CsrfViewMiddleware.process_request: a malformed cookie is replaced  |
| CsrfCheck                  | CsrfViewMiddleware.process_view (Django's own class)                |
| RecordedHeaders            | every response middleware: headers of Django's own answer, replayed |
| has_language_cookie        | LocaleMiddleware: the cookie's language wins over Accept-Language   |
| read_on_healthy_connection | CONN_HEALTH_CHECKS: a pooled connection found dead is reconnected   |

Every memo here is keyed by what clients send, so each is bounded in bytes.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
    load_backend,
)
from django.core.exceptions import DisallowedHost, ValidationError
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CSRF_SECRET_LENGTH, CSRF_TOKEN_LENGTH, CsrfViewMiddleware
from django.utils.crypto import constant_time_compare

from accounts.sessions import load_signed_session
from core.memo import BoundedMemo

T = TypeVar("T")
_CSRF_CHARS = re.compile(r"\A[a-zA-Z0-9]+\Z")
# Django's ResponseHeaders store: lower-cased name -> (name, value), in Django's order.
Headers = dict[str, tuple[str, str]]
# Distinct (Accept-Language, scheme) variants whose headers are kept; least recently used go.
MAX_HEADER_VARIANTS = 64


@dataclass(frozen=True)
class Session:
    user_id: str
    backend: str
    password_hash: str


def session_from_cookie(cookie: str | None) -> Session | None:
    """The signed-in user a valid session cookie names (no user yet), else None."""
    data = load_signed_session(cookie) if cookie else None
    if data is None:
        return None
    try:
        session = Session(str(data[SESSION_KEY]), str(data[BACKEND_SESSION_KEY]), str(data[HASH_SESSION_KEY]))
    except KeyError:
        return None
    return session if session.backend in settings.AUTHENTICATION_BACKENDS else None


def session_user(session: Session) -> Any:
    """The session's user by Django's own check (django.contrib.auth.get_user), current secret key only."""
    try:
        user_id = get_user_model()._meta.pk.to_python(session.user_id)
    except ValidationError:
        return None
    user = load_backend(session.backend).get_user(user_id)
    if user is None or not constant_time_compare(session.password_hash, user.get_session_auth_hash()):
        return None
    return user


host_memo: BoundedMemo[bool] = BoundedMemo(256 * 1024, max_key_bytes=1024)


def host_allowed(request: HttpRequest) -> bool:
    """Whether Django would accept the request's host, keyed on exactly what get_host() reads."""
    meta = request.META
    key = (
        meta.get("HTTP_X_FORWARDED_HOST", "") if settings.USE_X_FORWARDED_HOST else "",
        meta.get("HTTP_HOST", ""),
        "" if "HTTP_HOST" in meta else f"{meta.get('SERVER_NAME', '')}:{meta.get('SERVER_PORT', '')}",
    )
    known = host_memo.get(key)
    if known is None:
        try:
            request.get_host()
            known = True
        except DisallowedHost:
            known = False
        host_memo.put(key, known)
    return known


def csrf_cookie_kept(value: str | None) -> bool:
    """Whether Django leaves this CSRF cookie as it is on a GET (no new cookie in the answer)."""
    return value is None or (
        len(value) in (CSRF_SECRET_LENGTH, CSRF_TOKEN_LENGTH) and _CSRF_CHARS.match(value) is not None
    )


def read_on_healthy_connection(alias: str, read: Callable[[], T]) -> T:
    """read(), on a connection Django's health check would have passed, without its extra round trip.

    Django pings a pooled connection before its first use in each request
    (CONN_HEALTH_CHECKS) and reconnects if the ping fails. Reads are safe to
    repeat, so here the read itself is the check: if it fails on a connection
    reused from an earlier request, the connection is replaced and the read
    made once more; a failure then, or on a fresh connection, is the server's.
    """
    connection = connections[alias]
    # health_check_done: Django's (4.1+), missing from django-stubs' BaseDatabaseWrapper.
    reused = connection.connection is not None and not connection.health_check_done  # type: ignore[attr-defined]
    connection.health_check_done = True  # type: ignore[attr-defined]  # this request's check is the read below
    try:
        return read()
    except (OperationalError, InterfaceError):
        if not reused:
            raise
        connection.close()
        return read()


class CsrfCheck(CsrfViewMiddleware):
    """Django's CSRF check, telling the lane "no" instead of rendering the refusal (Django will)."""

    def _reject(self, request: HttpRequest, reason: str) -> str:
        return reason


def has_language_cookie(request: HttpRequest) -> bool:
    return settings.LANGUAGE_COOKIE_NAME in request.COOKIES


class RecordedHeaders:
    """The headers of Django's own answer to a lane's request, per variant, to replay on the lane's.

    Django's headers depend, beyond the body, on Accept-Language (Content-Language)
    and on the scheme (HSTS, the HTTPS redirect). Only a plain success is recorded:
    `status`, no cookie but `own_cookies`, no language cookie in the request.
    """

    def __init__(self, status: int, own_cookies: frozenset[str] = frozenset()):
        self.status = status
        self.own_cookies = own_cookies
        self._variants: OrderedDict[tuple[str, ...], Headers] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def variant(request: HttpRequest) -> tuple[str, ...]:
        # Exactly what shapes Django's headers: the whole Accept-Language (LocaleMiddleware reads
        # it all; 64 variants of at most gunicorn's 8 KB field stay small) and is_secure().
        return (str(request.META.get("HTTP_ACCEPT_LANGUAGE", "")), request.scheme or "")

    def get(self, request: HttpRequest) -> Headers | None:
        key = self.variant(request)
        with self._lock:
            headers = self._variants.get(key)
            if headers is not None:
                self._variants.move_to_end(key)
            return headers

    def learn(self, request: HttpRequest, response: HttpResponse) -> None:
        if (
            response.status_code != self.status
            or response.streaming
            or has_language_cookie(request)
            or not set(response.cookies) <= self.own_cookies
            or "Content-Length" not in response
        ):
            return
        # Django's own validated store, in Django's order; replay sets Content-Length in its place.
        headers = dict(response.headers._store)  # noqa: SLF001 - copied as is: validated once, here
        with self._lock:
            self._variants[self.variant(request)] = headers
            self._variants.move_to_end(self.variant(request))
            while len(self._variants) > MAX_HEADER_VARIANTS:
                self._variants.popitem(last=False)

    @staticmethod
    def replay(headers: Headers, body: bytes, status: int) -> HttpResponse:
        response = HttpResponse(body, status=status)
        # Django's headers as they were (each value was checked when Django set it),
        # rather than set one by one again: a third of the lane's own time.
        store = dict(headers)
        store["content-length"] = ("Content-Length", str(len(body)))
        response.headers._store = store  # noqa: SLF001
        return response

    @staticmethod
    def replay_wsgi(headers: Headers, body: bytes) -> list[tuple[str, str]]:
        """replay()'s headers as Django's WSGI handler hands them to the server (no cookies here)."""
        length = ("Content-Length", str(len(body)))
        return [length if name == "content-length" else pair for name, pair in headers.items()]

    def __len__(self) -> int:
        return len(self._variants)
