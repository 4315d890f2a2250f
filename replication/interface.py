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

from django.db import InterfaceError, OperationalError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from prometheus_client.registry import Collector

from replication import health, remembered, snapshot, sql, state, topology
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


def replicas_lagging(timeout: float) -> list[str]:
    """Wait up to `timeout` seconds for every replica to apply all the primary has written so far.

    Returns the names of the replicas that did not (or could not be asked). A
    bulk load calls it between batches, so that it goes no faster than the
    slowest replica applies it and reads never leave a replica for lag. Each
    replica is asked over a short connection with the primary alias's account.
    """
    import MySQLdb

    primary = connections[state.PRIMARY]
    flavor = health.connection_flavor(state.PRIMARY)
    with primary.cursor() as cursor:
        cursor.execute(sql.primary_gtid_position(flavor))
        position = cursor.fetchone()[0]
    late = []
    for name, address in topology.server_addresses().items():
        if name == topology.current().primary:
            continue
        params = {**primary.get_connection_params(), "host": address.host, "port": address.port}
        params["read_timeout"] = int(timeout) + 5
        try:
            connection = MySQLdb.connect(**params)
        except MySQLdb.Error:
            late.append(name)
            continue
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql.wait_for_gtid(flavor), [position, timeout])
                if cursor.fetchone()[0] != 0:
                    late.append(name)
        except MySQLdb.Error:
            late.append(name)
        finally:
            connection.close()
    return late


def read_route() -> tuple[str, str]:
    """Where this request's reads go now, and why (for status pages and logs)."""
    route = state.current()
    return (route.alias, route.reason) if route is not None else health.default_route()


def primary_read(compute: Callable[[], T], reason: str = "fresh-read") -> T:
    """compute()'s reads on the primary, where every write lands: as fresh as the last commit.

    For facts that must not lag (whether a session still stands). While the
    primary is unreachable, the reads follow this request's route instead: the
    node's replica, used only within its lag limit (REPLICA_MAX_LAG_SECONDS), or
    an honest failure (503).
    """
    if read_route()[0] == state.PRIMARY or connections[state.PRIMARY].in_atomic_block:
        return compute()  # there already
    if not health.primary_health().reachable:
        return compute()
    try:
        with use_primary(reason):
            return compute()
    except (OperationalError, InterfaceError) as exc:
        connections[state.PRIMARY].close()
        health.server_failed(state.PRIMARY, str(exc))
        return compute()


class StateCache(Generic[T]):
    """Read results reused for as long as the database they were read from is unchanged.

    Each result is filed in Django's cache (settings.CACHES) under the exact
    state of the database this request reads (replication.snapshot), so it is
    never older than that state and always holds the client's own last write;
    that state is remembered for STATE_RECHECK_SECONDS per process
    (replication.remembered), so a reader who has not written may get a page
    that much older than its server. `name` keeps each cache's keys apart.
    """

    def __init__(self, name: str):
        self._cache = snapshot.PositionCache(name)

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        # Where the router sends this read (a read inside a primary transaction stays there).
        alias = state.PRIMARY if connections[state.PRIMARY].in_atomic_block else read_route()[0]
        token = remembered.request_token(alias)
        if token is None:
            return compute()  # reads there are not cached (MySQL's primary, a transaction)
        return self._cache.get_or_compute(alias, key, compute, token=token)

    def clear(self) -> None:
        self._cache.clear()


def metrics_collector() -> Collector:
    """The servers' state as this node sees it, for GET /metrics (replication.metrics)."""
    return ReplicationCollector()
