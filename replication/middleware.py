"""Decides, once per request, which database this request's reads use."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse

from replication import consistency, health, metrics, remembered, state
from replication.health import PRIMARY, REPLICA

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadRoutingMiddleware:
    """Route reads per request; spot writes; answer a failed read once more from the other server."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        route = self.choose_route(request)
        # A per-request attribute, as Django's own middleware set them; read back with getattr().
        request.read_route = route  # type: ignore[attr-defined]
        with state.routed(route), connections[PRIMARY].execute_wrapper(_spy_on_writes):
            response = self.get_response(request)
            if route.wrote:
                consistency.set_write_position_cookie(response)
        if request.method in SAFE_METHODS:
            metrics.count_read(route.alias, route.reason)
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
        # A server this read used failed since the last health check. Which one
        # is told by Django's per-connection error flag (an admin view reads the
        # primary inside its transaction whatever the route says). Every thread
        # stops using it at once; this read is answered again, once, from the
        # other server if that one is fit.
        failed = [alias for alias in (PRIMARY, REPLICA) if connections[alias].errors_occurred] or [
            route.alias
        ]
        for alias in failed:
            connections[alias].close()
            health.server_failed(alias, str(exception))
        retry = self.choose_route(request)
        fit = health.primary_health().reachable if retry.alias == PRIMARY else health.replica_health().usable
        if retry.alias in failed or not fit:
            return None  # DatabaseUnavailableMiddleware answers 503
        logger.warning(
            "read on %s failed, answering again from %s: %s", "+".join(failed), retry.alias, exception
        )
        route.alias, route.reason, route.retried = retry.alias, retry.reason, True
        match = request.resolver_match
        try:
            response = match.func(request, *match.args, **match.kwargs)
            # A failure while a TemplateResponse rendered: Django will not render this one.
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        except (OperationalError, InterfaceError):
            return None
        return response

    @classmethod
    def choose_route(cls, request: HttpRequest) -> state.ReadRoute:
        """Where this request's reads go, and why (the reason /api/status and the logs show)."""
        if request.method not in SAFE_METHODS:
            # A write needs the primary anyway; its reads (the session user, the
            # row it edits) come from there too, so a replica dying mid-request
            # can never fail a write, and no read-your-writes wait is spent.
            return state.ReadRoute(PRIMARY, "write-request", written=consistency.client_gtid(request))
        alias, reason = health.default_route()
        written = consistency.client_gtid(request)
        if alias == REPLICA and not cls._replica_serves(written):
            # The client's own last write has not reached the replica: read the
            # primary (if the primary is down, an honest 503 beats an older state).
            return state.ReadRoute(PRIMARY, "read-your-writes", written=written)
        return state.ReadRoute(alias, reason, written=written)

    @staticmethod
    def _replica_serves(written: str | None) -> bool:
        """Whether the replica holds the client's own last write (if any).

        The replica's state, remembered for STATE_RECHECK_SECONDS (read again when
        older, once, and then also this request's token for cached reads), answers
        when it holds the write; otherwise the replica waits briefly for it.
        """
        if not written:
            return True
        applied = written != consistency.PIN_TO_PRIMARY and (
            _remembered_state_holds(written) or consistency.replica_has_applied(written)
        )
        metrics.count_read_your_writes(applied)
        return applied


def _remembered_state_holds(written: str) -> bool:
    try:
        return remembered.recent_state(REPLICA, written) is not None
    except (DatabaseError, InterfaceError) as exc:
        logger.info("could not read the replica's state: %s", exc)
        return False


def _spy_on_writes(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict) -> Any:
    if consistency.is_write(sql):
        state.note_write()
    return execute(sql, params, many, context)
