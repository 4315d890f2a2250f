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
            or route.retried
            or route.wrote
            or request.method not in SAFE_METHODS
            or not isinstance(exception, OperationalError | InterfaceError)
            or request.resolver_match is None
        ):
            return None
        # The server this read used failed since its last health check. A read
        # is safe to answer again, from the other server if that one is fit.
        failed = route.alias
        connections[failed].close()
        if failed == REPLICA:
            health.replica_failed()
            route.pin_to_primary(health.REASON_DOWN)
        else:
            health.primary_failed()
            if not (settings.READ_REPLICA_ENABLED and self._replica_serves(request)):
                return None
            route.alias, route.reason = REPLICA, health.REASON_PRIMARY_DOWN
        route.retried = True
        logger.warning("read on %s failed, answering from %s: %s", failed, route.alias, exception)
        match = request.resolver_match
        try:
            return match.func(request, *match.args, **match.kwargs)
        except (OperationalError, InterfaceError):
            return None  # both failed: DatabaseUnavailableMiddleware answers 503

    @classmethod
    def _choose_route(cls, request: HttpRequest) -> state.ReadRoute:
        alias, reason = health.default_route()
        if alias == REPLICA and not cls._replica_serves(request):
            # The client's own last write has not reached the replica: read the
            # primary (if the primary is down, an honest 503 beats an older state).
            return state.ReadRoute(PRIMARY, "read-your-writes")
        return state.ReadRoute(alias, reason)

    @staticmethod
    def _replica_serves(request: HttpRequest) -> bool:
        """Whether the replica holds the client's own last write (if any)."""
        gtid = consistency.client_gtid(request)
        return not gtid or consistency.replica_has_applied(gtid)


def _spy_on_writes(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict) -> Any:
    if consistency.is_write(sql):
        state.note_write()
    return execute(sql, params, many, context)
