"""Signed-cookie sessions whose signature is checked once per cookie, not once per request.

Sessions live in signed cookies (no session row can be read from a lagging
replica; any node serves any request). Verifying one costs an HMAC, a zlib
inflate and a JSON parse on every request, although a cookie's contents never
change: this store remembers each verified cookie, per process, and after that
checks only its age, with the same limit Django applies. Used as
SESSION_ENGINE and by the fast path (fastpath/).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends import signed_cookies
from django.core import signing
from django.utils.module_loading import import_string

from core.memo import BoundedMemo, forget_when_changed

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
