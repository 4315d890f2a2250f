"""GET /api/status: which node answered, where its reads go right now, and why."""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.http import api_view, json_response
from replication import ha_status, health
from replication.health import PRIMARY


@api_view(["GET"], login_required=False)
def status(request: HttpRequest) -> HttpResponse:
    route = getattr(request, "read_route", None)
    reads_from = "primary" if route is None or route.alias == PRIMARY else "replica"
    primary = health.primary_health()
    replica = health.replica_health()
    can_read = primary.reachable if reads_from == "primary" else replica.usable
    body = {
        "node": settings.NODE_NAME,
        "status": "ok" if can_read and primary.reachable else ("degraded" if can_read else "down"),
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
