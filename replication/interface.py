"""The data tier's public interface: what domain apps (salas, reservas, accounts) may use.

Everything else in this package (health verdicts, routing state, snapshots,
GTIDs, SQL dialects) is its own business and may change; these names stay.
Domain code never names a database alias: reads follow the router, writes go
to the primary through `primary_atomic()` / `primary_connection()`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from prometheus_client.registry import Collector

from replication import health, snapshot, state
from replication.metrics import ReplicationCollector

T = TypeVar("T")


def primary_atomic() -> transaction.Atomic:
    """A transaction on the primary, where every write goes (nested ones become savepoints)."""
    return transaction.atomic(using=state.PRIMARY)


def primary_connection() -> BaseDatabaseWrapper:
    """The primary's connection, for the rare write the ORM cannot say (one statement, raw SQL)."""
    return connections[state.PRIMARY]


@contextmanager
def use_primary(reason: str = "use-primary") -> Iterator[None]:
    """Reads inside the block come from the primary (for example, to lock and re-check a row)."""
    route = state.current()
    if route is None:
        with state.routed(state.ReadRoute(state.PRIMARY, reason)):
            yield
        return
    before = (route.alias, route.reason)
    route.pin_to_primary(reason)
    try:
        yield
    finally:
        if not route.wrote:  # after a write the request keeps reading the primary
            route.alias, route.reason = before


def read_route() -> tuple[str, str]:
    """Where this request's reads go now, and why (for status pages and logs)."""
    route = state.current()
    return (route.alias, route.reason) if route is not None else health.default_route()


class StateCache(Generic[T]):
    """Read results reused for as long as the database they were read from is unchanged.

    Each result is filed under the exact state of the database this request
    reads (replication.snapshot), so it is never older than a fresh read would
    be: whatever the replica or the primary applies next, the next request reads
    again. Per process, bounded to `max_entries` (least recently used go first).
    """

    def __init__(self, max_entries: int = 256):
        self._cache = snapshot.PositionCache(max_entries=max_entries)

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        # Where the router sends this read (a read inside a primary transaction stays there).
        alias = state.PRIMARY if connections[state.PRIMARY].in_atomic_block else read_route()[0]
        token = snapshot.request_token(alias)
        if token is None:
            return compute()  # reads there are not cached (MySQL's primary, a transaction)
        return self._cache.get_or_compute(alias, key, compute, token=token)

    def peek(self, key: Hashable) -> T | None:
        """The result for `key` filed under the state this request already holds, else None.

        Never asks the database: for a request whose state token is known
        (replication.remembered.remembered_state), None otherwise.
        """
        route = state.current()
        if route is None or route.alias not in route.tokens or connections[state.PRIMARY].in_atomic_block:
            return None
        token = route.tokens[route.alias]
        return None if token is None else self._cache.peek(route.alias, key, token)

    def clear(self) -> None:
        self._cache.clear()


def metrics_collector() -> Collector:
    """The servers' state as this node sees it, for GET /metrics (replication.metrics)."""
    return ReplicationCollector()
