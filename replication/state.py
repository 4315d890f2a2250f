"""Per-request routing state, set by ReadRoutingMiddleware and read by the router.

Context variables rather than thread locals: each gunicorn thread (and any
future async request) sees only its own request's decision.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass
class ReadRoute:
    alias: str
    reason: str
    wrote: bool = False
    retried: bool = False

    def pin_to_primary(self, reason: str) -> None:
        self.alias = "default"
        self.reason = reason


_current: ContextVar[ReadRoute | None] = ContextVar("salas_read_route", default=None)


def current() -> ReadRoute | None:
    return _current.get()


def begin(route: ReadRoute) -> Token:
    return _current.set(route)


def end(token: Token) -> None:
    _current.reset(token)


def note_write() -> None:
    """After a write, the rest of the request reads what it wrote: from the primary."""
    route = _current.get()
    if route is not None and not route.wrote:
        route.wrote = True
        route.pin_to_primary("own-write")
