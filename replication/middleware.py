"""Decides, once per request, which database this request's reads use."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse

from replication import consistency, health, state
from replication.health import PRIMARY, REPLICA

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadRoutingMiddleware:
    """Route reads per request; spot writes; retry a failed replica read on the primary."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        route = self._choose_route(request)
        token = state.begin(route)
        request.read_route = route
        try:
            with connections[PRIMARY].execute_wrapper(_spy_on_writes):
                response = self.get_response(request)
            if route.wrote:
                consistency.remember_write(response)
        finally:
            state.end(token)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        route: state.ReadRoute | None = getattr(request, "read_route", None)
        if (
            route is None
            or route.alias != REPLICA
            or request.method not in SAFE_METHODS
            or not isinstance(exception, OperationalError | InterfaceError)
            or request.resolver_match is None
        ):
            return None
        # The replica failed mid-request (it died since the last health check):
        # a read is safe to answer again, from the primary.
        logger.warning("replica read failed, retrying on the primary: %s", exception)
        health.replica_failed()
        connections[REPLICA].close()
        route.pin_to_primary(health.REASON_DOWN)
        match = request.resolver_match
        try:
            return match.func(request, *match.args, **match.kwargs)
        except (OperationalError, InterfaceError):
            return None  # the primary failed too: DatabaseUnavailableMiddleware answers 503

    @staticmethod
    def _choose_route(request: HttpRequest) -> state.ReadRoute:
        if not settings.READ_REPLICA_ENABLED:
            return state.ReadRoute(PRIMARY, health.REASON_DISABLED)
        verdict = health.replica_health()
        if not verdict.usable:
            return state.ReadRoute(PRIMARY, verdict.reason)
        gtid = consistency.client_gtid(request)
        if gtid and not consistency.replica_has_applied(gtid):
            return state.ReadRoute(PRIMARY, "read-your-writes")
        return state.ReadRoute(REPLICA, verdict.reason)


def _spy_on_writes(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict) -> Any:
    if consistency.is_write(sql):
        state.note_write()
    return execute(sql, params, many, context)
