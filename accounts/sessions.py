"""Signed-cookie sessions, and their users, verified once per process and bounded time, not per request.

Sessions live in signed cookies (no session row can be read from a lagging
replica; any node serves any request). Verifying one costs an HMAC, a zlib
inflate and a JSON parse on every request, although a cookie's contents never
change: this store remembers each verified cookie, per process, and after that
checks only its age, with the same limit Django applies (SESSION_ENGINE).

A session ends when its user's session hash changes (a new password, a new
session secret on logout: accounts.models.User) or the user is deactivated.
Reading the user on every request to learn that was half the cost of a
signed-in request, so `session_user()` remembers Django's verdict on each
(user, backend, session hash) for SESSION_USER_CACHE_SECONDS, read from the
primary (replication.primary_read): a logout, a password change or a
deactivation is honoured on every node within that bound of its commit.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.sessions.backends import signed_cookies
from django.core import signing
from django.http import HttpRequest
from django.utils.module_loading import import_string

from core.memo import BoundedMemo, forget_when_changed
from replication import primary_read

SALT = "django.contrib.sessions.backends.signed_cookies"
# Bounded in bytes whatever cookies clients send (a session cookie is ~300 bytes).
_verified: BoundedMemo[tuple[int, dict[str, Any]]] = BoundedMemo(4 * 1024 * 1024)
forget_when_changed(_verified, "SECRET_KEY", "SECRET_KEY_FALLBACKS", "SESSION_SERIALIZER")


def load_signed_session(cookie: str) -> dict[str, Any] | None:
    """The session data a signed cookie holds, or None if it is forged, malformed or too old."""
    max_age = settings.SESSION_COOKIE_AGE
    known = _verified.get(cookie)
    if known is not None:
        signed_at, data = known
        return dict(data) if time.time() - signed_at <= max_age else None
    try:
        data = signing.loads(
            cookie, salt=SALT, serializer=import_string(settings.SESSION_SERIALIZER), max_age=max_age
        )
        # Verified above, so well formed: "<payload>:<timestamp>:<signature>".
        signed_at = signing.b62_decode(cookie.rsplit(":", 2)[1])
    except Exception:  # noqa: BLE001 - as Django's store: any failure means no session
        return None
    if not isinstance(data, dict):
        return None
    _verified.put(cookie, (signed_at, data))
    return dict(data)


class SessionStore(signed_cookies.SessionStore):
    def load(self) -> dict[str, Any]:
        data = load_signed_session(self.session_key) if self.session_key else None
        if data is None:
            # As Django's store: a cookie that does not verify starts a new session.
            self.create()
            return {}
        return data


# (user id, backend, session hash) -> (when verified, the user, or None: refused). Keyed by
# what clients send (a forged hash is refused, and remembered as such): bounded in bytes,
# each entry charged for a user instance.
_users: BoundedMemo[tuple[float, AbstractBaseUser | None]] = BoundedMemo(
    4 * 1024 * 1024, max_key_bytes=1024, value_bytes=2048
)
forget_when_changed(_users, "SECRET_KEY", "SECRET_KEY_FALLBACKS", "AUTHENTICATION_BACKENDS")


# user id -> when this process last saved that user (password, secret, is_active...). A
# verdict remembered before it is not reused: on the node that made the change, it shows at
# once; the other nodes keep the SESSION_USER_CACHE_SECONDS bound.
_saved_at: BoundedMemo[float] = BoundedMemo(256 * 1024, max_key_bytes=64, value_bytes=64)


def user_saved(user_id: object) -> None:
    """Called on every save of a user (accounts.apps connects it to post_save)."""
    _saved_at.put(str(user_id), time.monotonic())


def _copy(user: AbstractBaseUser) -> AbstractBaseUser:
    """copy.copy(user), without the pickle protocol's detour through the app registry (model_unpickle)."""
    clone = user.__class__.__new__(user.__class__)
    # Model.__getstate__: the instance's fields, with its own ModelState and related-object cache.
    clone.__dict__.update(user.__getstate__())
    return clone


def session_user(request: HttpRequest) -> AbstractBaseUser | AnonymousUser:
    """django.contrib.auth.get_user(request), its verdict reused for SESSION_USER_CACHE_SECONDS.

    Each request gets its own copy of the user, so nothing a view sets on it
    leaks into another request.
    """
    session = request.session
    try:
        key = (
            str(session[auth.SESSION_KEY]),
            str(session[auth.BACKEND_SESSION_KEY]),
            session[auth.HASH_SESSION_KEY],
        )
    except KeyError:
        return auth.get_user(request)  # anonymous, or a session Django refuses without a query
    known = _users.get(key)
    saved_at = _saved_at.get(key[0])
    if (
        known is not None
        and time.monotonic() - known[0] < settings.SESSION_USER_CACHE_SECONDS
        and (saved_at is None or saved_at < known[0])
    ):
        user = known[1]
        if user is None:
            session.flush()  # as Django does with a refused session: the answer drops the cookie
            return AnonymousUser()
        return _copy(user)
    verified_at = time.monotonic()
    found = primary_read(lambda: auth.get_user(request), "session-user")
    if session.get(auth.HASH_SESSION_KEY) == key[2] or not found.is_authenticated:
        # Not remembered: a session Django just moved to the current secret key (a new hash).
        _users.put(key, (verified_at, found if found.is_authenticated else None))
    return found
