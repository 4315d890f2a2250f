"""What /api/status and replication_status say about high availability.

The current primary and the last switchover/failover come from the topology
record; semi-sync's state from the servers (SHOW GLOBAL STATUS, no privilege
needed). On the app nodes that query runs at most once per health TTL per
process, over the `default` connection, like the primary's health check.
"""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, connections

from replication import ha_sql, topology
from replication.health import PRIMARY, _Cached, connection_flavor
from replication.sql import Flavor


def semi_sync_from_rows(flavor: Flavor, rows: dict[str, Any]) -> dict[str, Any]:
    """Flavour-neutral semi-sync state from a name -> value map of status and variables."""
    names = ha_sql.semi_sync_names(flavor)

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


def server_semi_sync(server: Any) -> dict[str, Any]:
    """Semi-sync state of one admin connection (replication.servers.Server)."""
    rows = {r["Variable_name"]: r["Value"] for r in server.rows(ha_sql.semi_sync_status(server.flavor))}
    rows |= {r["Variable_name"]: r["Value"] for r in server.rows(ha_sql.semi_sync_variables(server.flavor))}
    state = semi_sync_from_rows(server.flavor, rows)
    names = ha_sql.semi_sync_names(server.flavor)
    state["replica_acknowledges"] = rows.get(names["replica_status"]) == "ON"
    return state


def _check_semi_sync() -> dict[str, Any] | None:
    try:
        flavor = connection_flavor(PRIMARY)
        with connections[PRIMARY].cursor() as cursor:
            rows: dict[str, Any] = {}
            for statement in (ha_sql.semi_sync_status(flavor), ha_sql.semi_sync_variables(flavor)):
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
