"""Read-your-writes: a client never reads a state older than its own last write.

After a request writes, the primary's GTID for that write goes back to the
client in a signed cookie. On its next request, to whichever node, the node
asks its replica to confirm it has applied that GTID (MASTER_GTID_WAIT /
WAIT_FOR_EXECUTED_GTID_SET, bounded by a short timeout); if it has not, that
request reads the primary. No guess of how long replication takes is involved.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core import signing
from django.db import DatabaseError, InterfaceError, connections
from django.http import HttpRequest, HttpResponse

from core.memo import BoundedMemo, forget_when_changed
from replication.health import connection_flavor
from replication.sql import primary_gtid_position, wait_for_gtid
from replication.state import PRIMARY, REPLICA

logger = logging.getLogger(__name__)

COOKIE_NAME = "salas_gtid"
COOKIE_SALT = "salas.replication.read-your-writes"
# Longer than any lag the replica may have while still used (the lag limit).
COOKIE_MAX_AGE = 300

_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")
# Cookie value for "this client's last write has no known position": read the primary.
PIN_TO_PRIMARY = "primary"
# Verified cookies: value -> (GTID position, signed at). Keyed by what clients send: bounded in bytes.
_verified: BoundedMemo[tuple[str, int]] = BoundedMemo(1024 * 1024, max_key_bytes=2048)
forget_when_changed(_verified, "SECRET_KEY", "SECRET_KEY_FALLBACKS")


def is_write(sql: str) -> bool:
    return sql.lstrip()[:7].upper().startswith(_WRITE_VERBS)


def client_gtid(request: HttpRequest) -> str | None:
    """The GTID position in the client's valid read-your-writes cookie, if any.

    Django's get_signed_cookie, with each verified cookie remembered (its HMAC is
    computed once per cookie, not once per request); the age limit is checked
    every time, as Django checks it.
    """
    value = request.COOKIES.get(COOKIE_NAME)
    if value is None:
        return None
    known = _verified.get(value)
    if known is not None:
        position, signed_at = known
        return position if time.time() - signed_at <= COOKIE_MAX_AGE else None
    try:
        gtid = request.get_signed_cookie(COOKIE_NAME, default=None, salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE)
    except signing.BadSignature:
        return None
    if gtid is not None:
        # Verified, so "<value>:<timestamp>:<signature>".
        _verified.put(value, (gtid, signing.b62_decode(value.rsplit(":", 2)[1])))
    return gtid


def replica_has_applied(gtid: str) -> bool:
    """Whether the replica has applied `gtid`, waiting at most the configured time."""
    if gtid == PIN_TO_PRIMARY:
        return False
    try:
        flavor = connection_flavor(REPLICA)
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(wait_for_gtid(flavor), [gtid, settings.READ_YOUR_WRITES_WAIT_SECONDS])
            (result,) = cursor.fetchone()
    except (DatabaseError, InterfaceError) as exc:
        logger.info("read-your-writes check failed on the replica: %s", exc)
        return False
    return result == 0


def set_write_position_cookie(response: HttpResponse) -> None:
    """Hand the client a position that covers the write this request just made.

    The primary's whole binlog position, read after the request's transaction
    ended, covers the client's own commit whatever else happened; it only ever
    grows, so a later cookie never points before an earlier one. (The session's
    own @@last_gtid would not do: on a reused connection, after a write that
    rolled back, it names some older request's write.)
    """
    try:
        flavor = connection_flavor(PRIMARY)
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute(primary_gtid_position(flavor))
            (gtid,) = cursor.fetchone()
    except (DatabaseError, InterfaceError) as exc:
        # The write may have committed just before the primary went away: the
        # client's reads must not trust a replica until the cookie expires.
        logger.warning("could not read the GTID of a write: %s", exc)
        gtid = PIN_TO_PRIMARY
    if not gtid:
        return
    gtid = "".join(str(gtid).split())
    response.set_signed_cookie(
        COOKIE_NAME,
        gtid,
        salt=COOKIE_SALT,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
