"""Is this node's replica fit to read from, and is the primary reachable?

Each verdict is cached per process for REPLICA_HEALTH_TTL_SECONDS (about a
second): one status query a second per worker, never one per read. A check in
progress is never waited for (other threads reuse the previous verdict, so a
hung server slows one thread, not the node), except by the one request that
just saw the primary fail and needs a fresh replica verdict to retry on.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar, cast

from django.conf import settings
from django.db import DatabaseError, connections

from replication import topology
from replication.sql import Flavor, ReplicaStatus, detect_flavor, parse_replica_status, show_replica_status
from replication.state import PRIMARY, REPLICA

if TYPE_CHECKING:
    from django.db.backends.mysql.base import DatabaseWrapper as MySQLDatabaseWrapper

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class ReplicaHealth:
    """Whether reads may use the replica, and why (one of the REASON_* values)."""

    usable: bool
    reason: str
    status: ReplicaStatus | None = None
    error: str = ""
    server_id: int | None = None

    @property
    def lag(self) -> int | None:
        return self.status.seconds_behind if self.status else None


@dataclass(frozen=True)
class PrimaryHealth:
    reachable: bool
    error: str = ""
    server_id: int | None = None


REASON_OK = "replica"
REASON_DISABLED = "no-replica"  # node 1: it reads the primary by design
REASON_DOWN = "replica-down"
REASON_BROKEN = "replication-broken"
REASON_LAG = "replica-lag"
REASON_PRIMARY_DOWN = "primary-down"  # replica usable although its IO thread waits
REASON_PRIMARY_PREFERRED = "primary-preferred"  # node 1 while the primary is up


class _Cached(Generic[T]):
    """A value recomputed at most once per TTL, without making readers wait."""

    def __init__(self, compute: Callable[[], T]):
        self._compute = compute
        self._lock = threading.Lock()
        self._value: T | None = None
        self._expires = 0.0

    def get(self, *, force: bool = False) -> T:
        now = time.monotonic()
        if not force and self._value is not None and now < self._expires:
            return self._value
        if not self._lock.acquire(blocking=self._value is None or force):
            # Only a non-blocking try fails, and only while there is a verdict: another
            # thread is checking, the last verdict stands.
            return cast(T, self._value)
        try:
            self._value = self._compute()
            self._expires = time.monotonic() + settings.REPLICA_HEALTH_TTL_SECONDS
            return self._value
        finally:
            self._lock.release()

    def override(self, value: T) -> None:
        """Take `value` as the verdict for one TTL, for every thread, without asking the server."""
        self._value = value
        self._expires = time.monotonic() + settings.REPLICA_HEALTH_TTL_SECONDS


def _check_primary() -> PrimaryHealth:
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute("SELECT @@server_id")
            (server_id,) = cursor.fetchone()
        return PrimaryHealth(reachable=True, server_id=server_id)
    except DatabaseError as exc:
        connections[PRIMARY].close_if_unusable_or_obsolete()
        return PrimaryHealth(reachable=False, error=str(exc))


_primary = _Cached(_check_primary)


def primary_health() -> PrimaryHealth:
    return _primary.get()


def connection_flavor(alias: str) -> Flavor:
    # Every alias here is Django's MySQL backend (MariaDB or MySQL).
    connection = cast("MySQLDatabaseWrapper", connections[alias])
    connection.ensure_connection()
    return detect_flavor(connection.mysql_server_info)


def _check_replica() -> ReplicaHealth:
    if not settings.READ_REPLICA_ENABLED:
        return ReplicaHealth(usable=False, reason=REASON_DISABLED)
    try:
        flavor = connection_flavor(REPLICA)
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(show_replica_status(flavor))
            row = cursor.fetchone()
            columns = [column[0] for column in cursor.description or ()]
            cursor.execute("SELECT @@server_id")
            (server_id,) = cursor.fetchone()
    except DatabaseError as exc:
        connections[REPLICA].close()
        return ReplicaHealth(usable=False, reason=REASON_DOWN, error=str(exc))
    status = parse_replica_status(dict(zip(columns, row, strict=True)) if row else None)
    verdict = functools.partial(ReplicaHealth, status=status, server_id=server_id)
    if not status.configured or status.sql_running != "Yes":
        return verdict(usable=False, reason=REASON_BROKEN, error=status.last_error)
    if status.io_running != "Yes":
        # The IO thread waits for the primary. If the primary is gone too, the
        # replica is the freshest data we can reach: keep reading it.
        if primary_health().reachable:
            return verdict(usable=False, reason=REASON_BROKEN, error=status.last_error)
        return verdict(usable=True, reason=REASON_PRIMARY_DOWN)
    if status.seconds_behind is None or status.seconds_behind > settings.REPLICA_MAX_LAG_SECONDS:
        return verdict(usable=False, reason=REASON_LAG)
    return verdict(usable=True, reason=REASON_OK)


class _ReplicaVerdicts(_Cached[ReplicaHealth]):
    """Logs every switch between the replica and the primary."""

    def __init__(self) -> None:
        super().__init__(self._check_and_log)
        self._last_usable: bool | None = None

    def _check_and_log(self) -> ReplicaHealth:
        verdict = _check_replica()
        if verdict.usable != self._last_usable and verdict.reason != REASON_DISABLED:
            if verdict.usable:
                logger.warning("reads now on the replica (%s)", verdict.reason)
            else:
                logger.warning(
                    "reads now on the primary: %s (lag=%s) %s", verdict.reason, verdict.lag, verdict.error
                )
        self._last_usable = verdict.usable
        return verdict


_replica = _ReplicaVerdicts()


def replica_health(*, force: bool = False) -> ReplicaHealth:
    return _replica.get(force=force)


def server_failed(alias: str, error: str) -> None:
    """A query on `alias` just failed: no thread reads from it until its next check."""
    if alias == REPLICA:
        logger.warning("reads now on the primary: the replica failed a query: %s", error)
        _replica.override(ReplicaHealth(usable=False, reason=REASON_DOWN, error=error))
        return
    logger.warning("the primary failed a query: %s", error)
    _primary.override(PrimaryHealth(reachable=False, error=error))
    if settings.READ_REPLICA_ENABLED:
        # The replica's verdict depends on the primary being up (an idle IO
        # thread counts as broken only while the primary answers): ask again.
        _replica.get(force=True)


def default_route() -> tuple[str, str]:
    """Where reads go, and why, when nothing about the client says otherwise."""
    if not settings.READ_REPLICA_ENABLED:
        return PRIMARY, REASON_DISABLED
    if topology.read_preference() == "primary":
        if primary_health().reachable:
            return PRIMARY, REASON_PRIMARY_PREFERRED
        usable = replica_health().usable
        return (REPLICA, REASON_PRIMARY_DOWN) if usable else (PRIMARY, REASON_PRIMARY_DOWN)
    verdict = replica_health()
    return (REPLICA, verdict.reason) if verdict.usable else (PRIMARY, verdict.reason)


def read_alias() -> str:
    """Where reads go outside a request (commands, shell)."""
    return default_route()[0]
