"""GET /api/status: which node answered, where its reads go right now, and why.

Anyone may ask whether the service is up (status and node); the detail (server
ids, GTID positions, failover history, error numbers) helps an attacker map the
cluster, so only staff and the monitoring networks (MONITORING_NETWORKS, by
default this machine's 127.0.0.1 and ::1) see it. replication/api.py routes it.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.http import address_in, client_ip, json_response
from replication import ha_status, health
from replication.health import PRIMARY


def status(request: HttpRequest) -> HttpResponse:
    route = getattr(request, "read_route", None)
    reads_from = "primary" if route is None or route.alias == PRIMARY else "replica"
    primary = health.primary_health()
    replica = health.replica_health()
    can_read = primary.reachable if reads_from == "primary" else replica.usable
    summary = {
        "node": settings.NODE_NAME,
        "status": "ok" if can_read and primary.reachable else ("degraded" if can_read else "down"),
    }
    if not sees_detail(request):
        return json_response(summary, status=200 if can_read else 503)
    body = {
        **summary,
        "reads_from": reads_from,
        "reason": route.reason if route else health.REASON_DISABLED,
        # Which server answered this node's health check for its read source.
        "read_server_id": primary.server_id if reads_from == "primary" else replica.server_id,
        "primary": {"reachable": primary.reachable, "error": _error_code(primary.error)},
        "replica": _replica_body(replica) if settings.READ_REPLICA_ENABLED else None,
        "writes": "ok" if primary.reachable else "unavailable",
        "topology": ha_status.topology_body(),
        "semi_sync": ha_status.semi_sync_body() if primary.reachable else None,
    }
    return json_response(body, status=200 if can_read else 503)


def sees_detail(request: HttpRequest) -> bool:
    if address_in(client_ip(request), "MONITORING_NETWORKS"):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


def _replica_body(replica: health.ReplicaHealth) -> dict:
    status = replica.status
    return {
        "usable": replica.usable,
        "reason": replica.reason,
        "io_running": status.io_running if status else None,
        "sql_running": status.sql_running if status else None,
        "seconds_behind": status.seconds_behind if status else None,
        "delay": status.sql_delay if status else None,
        "last_error": _replica_error(replica),
    }


def _error_code(message: str) -> str | None:
    """Only the driver's error number, e.g. "(2002, ..."): the text may quote user data."""
    if not message:
        return None
    match = re.match(r"\((\d+),", message)
    return f"error {match[1]}" if match else "error"


def _replica_error(replica: health.ReplicaHealth) -> str | None:
    if replica.status and replica.status.last_errno:
        return f"error {replica.status.last_errno}"
    return _error_code(replica.error)
