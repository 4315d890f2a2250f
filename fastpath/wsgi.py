"""The WSGI application of every node: Django's handler, with the list lane's memory answers in front.

A request the list lane can answer from memory alone (RoomListLane.answer_from_memory:
fresh health verdicts, the server's remembered state, the session's verdict and
the page cached for that state) is answered before Django's handler, because it
touches no database connection: Django's request boundaries (request_started /
request_finished) exist to age and health-check connections, and there is none
to age. What they also do is moot here: no cache backend is used, no URLconf is
set, the queries log is for DEBUG. Every other request, including every one that
needs the database, goes through Django's handler, where the first middleware
(fastpath.middleware) answers it with those boundaries around it, or hands it on.

What this costs: a pooled connection of a thread that serves only memory
answers can stay open past CONN_MAX_AGE; it is aged (closed) at the start of the
next request that goes through Django, before anything uses it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.core.handlers.wsgi import WSGIHandler, WSGIRequest

from fastpath.middleware import FastPathMiddleware
from fastpath.room_list import RoomListLane

logger = logging.getLogger(__name__)


def memory_lanes(middleware: FastPathMiddleware | None) -> dict[tuple[str, str], RoomListLane]:
    """The lanes of `middleware` that answer from memory, by (method, path)."""
    lanes = middleware.lanes.items() if middleware is not None else ()
    return {key: lane for key, lane in lanes if isinstance(lane, RoomListLane)}


class FastPathHandler(WSGIHandler):
    def __init__(self) -> None:
        FastPathMiddleware.built = None
        super().__init__()
        # The middleware instance this handler's chain holds (None: the lanes are off).
        self.memory_lanes = memory_lanes(FastPathMiddleware.built)

    # Any iterable of bytes is a WSGI answer; the stubs narrow Django's to its response class.
    def __call__(  # type: ignore[override]
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        lane = self.memory_lanes.get((environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")))
        if lane is not None:
            try:
                answer = lane.answer_from_memory(WSGIRequest(environ))
            except Exception:
                logger.exception("fast path: unexpected error in a memory answer; Django answers instead")
                answer = None
            if answer is not None:
                # As WSGIHandler would hand it over (no HttpResponse: its close() sends request_finished).
                headers, body = answer
                start_response(lane.status_line, headers)
                return [body]
        return super().__call__(environ, start_response)
