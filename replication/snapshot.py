"""A per-process cache of read results, valid while the replica has applied nothing new.

A replica's applied GTID position (@@gtid_slave_pos on MariaDB, @@gtid_executed on
MySQL) names the exact state of its data: while it has not moved, a page computed
at that position is still the page, for every client. The position moves only
once a replicated transaction is visible, which is the same fact MASTER_GTID_WAIT's
read-your-writes promise rests on. Checking it is one query that touches no table.

The primary offers no such marker (its binlog position moves before the engine
commit is visible), so reads routed to the primary are never cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from django.db import connections

from replication.health import REPLICA, connection_flavor


def replica_position() -> str:
    flavor = connection_flavor(REPLICA)
    variable = "gtid_slave_pos" if flavor.is_mariadb else "gtid_executed"
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(f"SELECT @@GLOBAL.{variable}")
        (position,) = cursor.fetchone()
    return str(position)


class PositionCache:
    """Results keyed by the caller's key, each valid for one replica position."""

    def __init__(self, max_entries: int = 256):
        self._entries: OrderedDict[Hashable, tuple[str, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def get_or_compute(self, alias: str, key: Hashable, compute: Callable[[], bytes]) -> bytes:
        if alias != REPLICA:
            return compute()
        # Read the position before the data: the data is then at least as new
        # as the position it is filed under, never older.
        position = replica_position()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == position:
                self._entries.move_to_end(key)
                return entry[1]
        value = compute()
        with self._lock:
            self._entries[key] = (position, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return value
