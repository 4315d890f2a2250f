"""Per-request routing state, set by ReadRoutingMiddleware and read by the router.

Context variables rather than thread locals: each gunicorn thread (and any
future async request) sees only its own request's decision.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

PRIMARY = "default"
REPLICA = "replica"


@dataclass
class ReadRoute:
    alias: str
    reason: str
    wrote: bool = False
    retried: bool = False
    # The GTID position of the client's own last write (its read-your-writes cookie), if any.
    written: str | None = None
    # The state token of each database this request's cached reads use
    # (replication.remembered.request_token), so the server is asked once at most.
    tokens: dict[str, str | None] = field(default_factory=dict)

    def pin_to_primary(self, reason: str) -> None:
        self.alias = PRIMARY
        self.reason = reason


_current: ContextVar[ReadRoute | None] = ContextVar("salas_read_route", default=None)


def current() -> ReadRoute | None:
    return _current.get()


@contextmanager
def routed(route: ReadRoute) -> Iterator[ReadRoute]:
    """Reads inside the block follow `route`; the previous route comes back after it."""
    token = _current.set(route)
    try:
        yield route
    finally:
        _current.reset(token)


def note_write() -> None:
    """After a write, the rest of the request reads what it wrote: from the primary."""
    route = _current.get()
    if route is not None:
        # The primary's state moved: a token read before the write names an older state.
        route.tokens.clear()
        if not route.wrote:
            route.wrote = True
            route.pin_to_primary("own-write")
