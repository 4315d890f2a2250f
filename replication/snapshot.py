"""Read results cached (Django's cache framework), valid while the database they came from is unchanged.

Each entry is filed under a token naming the exact state of the data it was read
from, and served again only while the server still reports that token:

* a replica: its applied GTID position (@@gtid_slave_pos). It moves only once a
  replicated transaction is visible, the same fact MASTER_GTID_WAIT's
  read-your-writes promise rests on.
  The position is read before the data, so the data is never older than it.
* the primary: binlog coordinates. The data is read inside START
  TRANSACTION WITH CONSISTENT SNAPSHOT, whose Binlog_snapshot_file/position name
  exactly the commits it sees; the page is filed under those. SHOW MASTER STATUS
  (what a later request compares) can be ahead of them: it counts a transaction
  binlogged but not yet committed (semi-sync AFTER_SYNC waits for the replica's
  acknowledgement in between). So a page is also filed under the request's own
  token only when its snapshot reached that token. Any commit since, visible or
  not yet, has moved the binlog: a later request's token differs.
(RESET MASTER restarts the binlog's numbering; restart the nodes after one.)
Checking a token is one statement that touches no table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.db import connections

from replication.state import PRIMARY, REPLICA

T = TypeVar("T")


def replica_position() -> str:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT @@GLOBAL.gtid_slave_pos")
        (position,) = cursor.fetchone()
    return str(position)


def primary_binlog_coordinates() -> str:
    with connections[PRIMARY].cursor() as cursor:
        return binlog_coordinates(cursor)


def binlog_coordinates(cursor: Any) -> str:
    cursor.execute("SHOW MASTER STATUS")
    row = cursor.fetchone()
    return f"{row[0]}:{row[1]}" if row else ""


def _compute_in_consistent_snapshot(compute: Callable[[], T]) -> tuple[str, T]:
    connection = connections[PRIMARY]
    connection.ensure_connection()
    with connection.cursor() as cursor:
        # The snapshot (and so its coordinates) needs REPEATABLE READ: under the
        # connection's READ COMMITTED each statement would see a newer state.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        try:
            cursor.execute("SHOW STATUS LIKE 'binlog_snapshot_%%'")
            status = {name.lower(): value for name, value in cursor.fetchall()}
            value = compute()
        finally:
            cursor.execute("COMMIT")
    return on_server(PRIMARY, f"{status['binlog_snapshot_file']}:{status['binlog_snapshot_position']}"), value


def _sees_all_of(snapshot_token: str, token: str) -> bool:
    """Whether a snapshot at `snapshot_token` saw every commit up to the binlog coordinates `token`."""
    server, _, coordinates = snapshot_token.partition("|")
    other_server, _, other = token.partition("|")
    file, _, position = coordinates.rpartition(":")
    other_file, _, other_position = other.rpartition(":")
    return (
        server == other_server
        and file == other_file
        and position.isdigit()
        and other_position.isdigit()
        and int(position) >= int(other_position)
    )


def on_server(alias: str, token: str) -> str:
    # After a switchover an alias may reach another server, whose binlog
    # coordinates can coincide with the old one's for other data: name the server.
    # ensure_connection lets the HA backend follow the topology first, so the name is
    # the server the alias reaches now.
    connection = connections[alias]
    connection.ensure_connection()
    return f"{getattr(connection, 'server_name', None) or ''}|{token}"


def caches_reads(alias: str) -> bool:
    """Whether reads on `alias` are cached: a replica's always, the primary's outside a transaction."""
    if alias == REPLICA:
        return True
    return alias == PRIMARY and not connections[PRIMARY].in_atomic_block


def current_token(alias: str) -> str | None:
    """The token naming `alias`'s present state, or None where reads there are not cached."""
    if not caches_reads(alias):
        return None
    return on_server(alias, replica_position() if alias == REPLICA else primary_binlog_coordinates())


# (cache name, alias) -> (a state token, {key: result}): the results of one state, as last read
# from Django's cache, so that the hot read neither hashes a cache key nor unpickles the page.
# Replaced whole when the token moves; results that cannot change only (bytes, str, tuples).
_last_state: dict[tuple[str, str], tuple[str, dict[Hashable, Any]]] = {}
LAST_STATE_ENTRIES = 32


def _immutable(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(_immutable(part) for part in value)
    return isinstance(value, str | bytes | int | float | bool | None)


class PositionCache:
    """Results keyed by the caller's key, each filed in Django's cache under one state of its database.

    An entry's cache key carries the state token, so an entry is found again only
    for that exact state; entries of older states are never asked for again and
    age out of the cache (its own size limit and timeout, settings.CACHES).
    In front of it, the results of the state last asked for, per process
    (LAST_STATE_ENTRIES at most): a state token names the data, so they are the
    cache's own entries, without the cache's pickling.
    """

    def __init__(self, name: str, cache_alias: str = DEFAULT_CACHE_ALIAS):
        self.name = name
        self.cache_alias = cache_alias

    def get_or_compute(
        self, alias: str, key: Hashable, compute: Callable[[], T], *, token: str | None = None
    ) -> T:
        """The result filed for `key` under `token` (by default `alias`'s present state), else `compute()`'s."""
        if token is None:
            token = current_token(alias)
            if token is None:
                return compute()  # reads there are not cached
        found = self.get(alias, key, token)
        if found is not None:
            return cast(T, found)
        if alias == REPLICA:
            # The position was read before the data: the data is at least that new.
            value = compute()
            self._put(alias, key, (token,), value)
            return value
        snapshot_token, value = _compute_in_consistent_snapshot(compute)
        # Filed under the snapshot's own coordinates, and under the request's token only
        # if the snapshot saw all of it: SHOW MASTER STATUS includes transactions that
        # are binlogged but not yet committed (semi-sync AFTER_SYNC waits in between).
        tokens = (snapshot_token, token) if _sees_all_of(snapshot_token, token) else (snapshot_token,)
        self._put(alias, key, tokens, value)
        return value

    def get(self, alias: str, key: Hashable, token: str) -> Any:
        """The result for `key` if it was filed under `token`, else None."""
        last = _last_state.get((self.name, alias))
        if last is not None and last[0] == token:
            found = last[1].get(key)
            if found is not None:
                return found
        found = caches[self.cache_alias].get(self._cache_key(alias, key, token))
        if found is not None:
            self._remember(alias, key, token, found)
        return found

    def clear(self) -> None:
        # Every name's: the cache's clear() empties every name's entries too.
        _last_state.clear()
        caches[self.cache_alias].clear()

    def _put(self, alias: str, key: Hashable, tokens: tuple[str, ...], value: Any) -> None:
        caches[self.cache_alias].set_many({self._cache_key(alias, key, token): value for token in tokens})
        for token in tokens:
            self._remember(alias, key, token, value)

    def _remember(self, alias: str, key: Hashable, token: str, value: Any) -> None:
        if not _immutable(value):
            return  # each caller gets its own copy from the cache
        last = _last_state.get((self.name, alias))
        if last is None or last[0] != token:
            last = _last_state[self.name, alias] = (token, {})
        if len(last[1]) < LAST_STATE_ENTRIES:
            last[1][key] = value

    def _cache_key(self, alias: str, key: Hashable, token: str) -> str:
        # Hashed: the key holds what clients send (a search text), which a cache key must not.
        digest = hashlib.blake2b(repr((alias, token, key)).encode(), digest_size=16).hexdigest()
        return f"state:{self.name}:{digest}"
