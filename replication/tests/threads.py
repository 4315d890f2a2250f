"""The page cache under threads, run in a child interpreter (test_snapshot): no Django set up."""

from __future__ import annotations

from core.tests.hammer import KEYS, Key, hammer
from replication.snapshot import PositionCache
from replication.state import REPLICA


def pages_under_threads() -> None:
    """Readers (equal keys, never the stored objects: __eq__ runs) against a writer that evicts and clears."""
    cache = PositionCache(max_entries=20)

    def read(call: int) -> None:
        key = KEYS[call % len(KEYS)]
        assert cache.peek(REPLICA, Key(key.name), "state-1") in (None, key)

    def write(call: int) -> None:
        key = KEYS[call % len(KEYS)]
        cache.get_or_compute(REPLICA, key, lambda: key, token="state-1")
        if call % 50 == 0:
            cache.clear()

    hammer(read, read, read, write)
