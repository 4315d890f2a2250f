"""Where each query goes: writes to the primary, reads to this node's replica.

Trade-off: reading a replica spreads load and keeps reads alive when the primary
dies, but a replica lags. So a read leaves the replica for the primary whenever
serving it could show something stale that matters:
  * inside a transaction on the primary (the transaction's own rows);
  * after this request wrote, or when the client's last write (a GTID in a
    signed cookie) has not reached the replica yet (read-your-writes);
  * when the replica is down, not replicating, or lags past a limit.
Django's own example router picks a replica at random and ignores all of the
above: that is the flaw it is labelled with.

Migrations run on the primary only and reach the replicas through the binlog.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models import Model

from replication import health, state
from replication.state import PRIMARY

# Security state must never lag: a lockout recorded on the primary holds at once.
PRIMARY_ONLY_APPS = frozenset({"axes"})


class PrimaryReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        route = state.current()
        if route is not None:
            return route.alias
        return health.read_alias()

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        # Both aliases hold the same data: relations across them are fine.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == PRIMARY
