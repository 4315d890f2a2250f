"""Each server's state, remembered per process for STATE_RECHECK_SECONDS (50 ms): the cached reads' token.

`request_token()` reuses a server's state rather than asking on every request: a
reader without writes of its own may get a page that much older than the server
(on top of the replica's lag, itself bounded by REPLICA_MAX_LAG_SECONDS). A reader
who wrote is never served an older state: the remembered state is used for it only
when it holds the reader's write (its GTID position), else the server is asked
again. The state's token is what replication.snapshot files pages under.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.db import connections

from replication import snapshot, state, topology
from replication.consistency import PIN_TO_PRIMARY
from replication.gtid import covers
from replication.health import connection_flavor
from replication.sql import Flavor, primary_gtid_position
from replication.state import PRIMARY, REPLICA


@dataclass(frozen=True)
class RecentState:
    """A server's state as read at `read_at`: its token, and a GTID position it holds."""

    server: str
    token: str
    # Every transaction in this position is binlogged at or before `token` (on a replica:
    # visible in it); a page answers for `token` only if it saw all of that (snapshot.PositionCache).
    position: str
    flavor: Flavor
    read_at: float
    # written position -> whether this state holds it: asked by every reader with a cookie,
    # answered once per state (it lives STATE_RECHECK_SECONDS); a few positions at a time.
    held: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)


MAX_HELD_KEPT = 1024
# alias -> its server's last read state; replaced whole, so lock-free readers see one.
_recent: dict[str, RecentState] = {}
# alias -> set once the read of its state under way in this process ends (_read_shared).
_reading: dict[str, threading.Event] = {}
_reading_lock = threading.Lock()
# How long a thread waits for another's read of the state before reading it itself: far
# longer than a healthy read (a millisecond), far shorter than a dead server's timeouts.
SHARED_READ_WAIT_SECONDS = 0.5


def _target_server(alias: str) -> str:
    target = getattr(connections[alias], "target", None)  # replication.backend's; absent elsewhere
    address = target() if target is not None else None
    return address.name if address is not None else ""


def _read_state(alias: str) -> RecentState | None:
    if not snapshot.caches_reads(alias):
        return None
    flavor = connection_flavor(alias)
    read_at = time.monotonic()
    if alias == REPLICA:
        position = snapshot.replica_position()
        token = position
    else:
        # One cursor, one server. The GTID position first: every transaction in it is
        # binlogged at or before the coordinates read next, and a page is filed under
        # those only if its snapshot saw all of them (snapshot.PositionCache).
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute(primary_gtid_position(flavor))
            (position,) = cursor.fetchone()
            token = snapshot.binlog_coordinates(cursor)
    server = getattr(connections[alias], "server_name", None) or ""
    return RecentState(server, snapshot.on_server(alias, token), str(position), flavor, read_at)


def recent_state(alias: str, written: str | None = None) -> RecentState | None:
    """`alias`'s state read at most STATE_RECHECK_SECONDS ago, holding `written` if given.

    `written` is the GTID position of the reader's own last write (its
    read-your-writes cookie). The state is read again when the remembered one is
    too old, comes from another server, or lacks that write. None: reads there
    are not cached, or (a replica) it has not applied the write yet. The state
    is also this request's token for every StateCache read (request_token).
    """
    known = _remembered(alias, written)
    if known is not None:
        return known
    known = _read_shared(alias, written)
    if known is None:
        return None
    # Asked after the request came. A replica may not have applied the write yet; the
    # primary has it, unless this node has not yet seen a switchover (for at most the
    # topology recheck): either way Django answers. A pinned client (no known position)
    # is served from the primary's fresh state.
    if (
        written is not None
        and not _holds(known, written)
        and not (alias == PRIMARY and written == PIN_TO_PRIMARY)
    ):
        return None
    _use_for_this_request(alias, known)
    return known


def _read_shared(alias: str, written: str | None) -> RecentState | None:
    """The state read again, by one thread of the process at a time: the others wait for its answer.

    Every thread of a worker finds the state stale at about the same moment; one
    read answers them all. A waiting thread reads for itself when that answer does
    not fit it (it lacks the thread's write, the read failed) or takes too long.
    """
    with _reading_lock:
        under_way = _reading.get(alias)
        if under_way is None:
            under_way = _reading[alias] = threading.Event()
            leader = True
        else:
            leader = False
    if not leader:
        under_way.wait(SHARED_READ_WAIT_SECONDS)
        known = _remembered(alias, written)
        if known is not None:
            return known
        return _read_and_remember(alias)
    try:
        return _read_and_remember(alias)
    finally:
        with _reading_lock:
            del _reading[alias]
        under_way.set()


def _read_and_remember(alias: str) -> RecentState | None:
    known = _read_state(alias)
    if known is not None:
        _recent[alias] = known
    return known


def request_token(alias: str) -> str | None:
    """The token naming the state of `alias` this request's cached reads use, asked once per request.

    None where reads are not cached (a transaction, MySQL's primary). After this
    request wrote, the server's present state (it holds the write); otherwise a
    remembered one that holds the client's own last write (its cookie), if any.
    """
    route = state.current()
    if route is None:
        return snapshot.current_token(alias)
    if alias not in route.tokens:
        known = None if route.wrote else recent_state(alias, route.written)
        route.tokens[alias] = known.token if known is not None else snapshot.current_token(alias)
    return route.tokens[alias]


def _remembered(alias: str, written: str | None = None) -> RecentState | None:
    """recent_state() without asking the server: None unless the remembered state fits."""
    known = _recent.get(alias)
    if (
        known is None
        or (alias == PRIMARY and connections[PRIMARY].in_atomic_block)
        or time.monotonic() - known.read_at >= settings.STATE_RECHECK_SECONDS
        or known.server != _target_server(alias)
        or (written is not None and not _holds(known, written))
    ):
        return None
    _use_for_this_request(alias, known)
    return known


def _use_for_this_request(alias: str, known: RecentState) -> None:
    route = state.current()
    if route is not None:
        route.tokens[alias] = known.token


def _holds(known: RecentState, written: str) -> bool:
    held = known.held.get(written)
    if held is None:
        held = written != PIN_TO_PRIMARY and covers(known.flavor, known.position, written)
        if len(known.held) < MAX_HELD_KEPT:
            known.held[written] = held
    return held


def forget_recent_states() -> None:
    """The next request reads each server's state again (after a server failed; tests; settings)."""
    _recent.clear()


def _routing_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "DATABASES" or setting in topology.ROUTING_SETTINGS:
        forget_recent_states()


setting_changed.connect(_routing_changed)
