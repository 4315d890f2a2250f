"""What /api/status and replication_status say about high availability (read only).

The current primary and the last switchover/failover come from the topology
record; semi-sync's state from the servers (SHOW GLOBAL STATUS, no privilege
needed). On the app nodes that query runs at most once per health TTL per
process, over the `default` connection, like the primary's health check.
"""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, connections

from replication import topology
from replication.health import PRIMARY, _Cached, connection_flavor
from replication.sql import Flavor


def semi_sync_status(flavor: Flavor) -> str:
    return "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync%'"


def semi_sync_variables(flavor: Flavor) -> str:
    return "SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync%'"


def semi_sync_names(flavor: Flavor) -> dict[str, str]:
    """Flavour-neutral names of the status and variables we show."""
    source, replica = "master", "slave"
    return {
        "source_enabled": f"rpl_semi_sync_{source}_enabled",
        "source_status": f"Rpl_semi_sync_{source}_status",
        "source_clients": f"Rpl_semi_sync_{source}_clients",
        "source_yes_tx": f"Rpl_semi_sync_{source}_yes_tx",
        "source_no_tx": f"Rpl_semi_sync_{source}_no_tx",
        "wait_point": f"rpl_semi_sync_{source}_wait_point",
        "timeout": f"rpl_semi_sync_{source}_timeout",
        "replica_enabled": f"rpl_semi_sync_{replica}_enabled",
        "replica_status": f"Rpl_semi_sync_{replica}_status",
    }


def semi_sync_from_rows(flavor: Flavor, rows: dict[str, Any]) -> dict[str, Any]:
    """Flavour-neutral semi-sync state from a name -> value map of status and variables."""
    names = semi_sync_names(flavor)

    def get(key: str) -> Any:
        value = rows.get(names[key])
        return value.decode() if isinstance(value, bytes) else value

    def number(key: str) -> int | None:
        value = get(key)
        return int(value) if value not in (None, "") else None

    return {
        "enabled": get("source_enabled") == "ON",
        # OFF while enabled means the primary fell back to asynchronous replication.
        "active": get("source_status") == "ON",
        "replicas_acknowledging": number("source_clients"),
        "acknowledged_commits": number("source_yes_tx"),
        "unacknowledged_commits": number("source_no_tx"),
        "wait_point": get("wait_point"),
        "timeout_ms": number("timeout"),
    }


def _check_semi_sync() -> dict[str, Any] | None:
    try:
        flavor = connection_flavor(PRIMARY)
        with connections[PRIMARY].cursor() as cursor:
            rows: dict[str, Any] = {}
            for statement in (semi_sync_status(flavor), semi_sync_variables(flavor)):
                cursor.execute(statement)
                rows |= dict(cursor.fetchall())
    except DatabaseError:
        connections[PRIMARY].close_if_unusable_or_obsolete()
        return None
    return semi_sync_from_rows(flavor, rows)


_semi_sync = _Cached(_check_semi_sync)


def topology_body() -> dict[str, Any]:
    current = topology.current()
    change = current.last_change or {}
    return {
        "primary": current.primary,
        "epoch": current.epoch,
        "last_change": {
            key: change.get(key) for key in ("kind", "from", "to", "at", "reason", "took_seconds")
        }
        if change
        else None,
        "node_reads": topology.node_server(),
    }


def semi_sync_body() -> dict[str, Any] | None:
    """The primary's semi-sync state as this node sees it (None while the primary is unreachable)."""
    return _semi_sync.get()
