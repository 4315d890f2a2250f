"""Option (b) of issue 11, for bench/pipeline.py only: the same lanes as a WSGI layer in front of Django.

Not used by the nodes. It answers a lane's request before Django's handler
(no middleware chain, no get_response), keeping only what correctness needs:
Django's request boundaries (request_started / request_finished: connection
ageing) and the request object the lanes read. Declined requests, and the
answers the lanes learn headers from, go through the nodes' own application.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core import signals
from django.core.handlers.wsgi import WSGIRequest

from salas_project.wsgi import application as django

# The lanes of the node's own fast-path middleware, so that they learn from its answers.
_fastpath = django._middleware_chain.__wrapped__  # noqa: SLF001 - a measurement tool
_lanes = _fastpath.lanes


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    lane = _lanes.get((environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")))
    if lane is None:
        return django(environ, start_response)
    signals.request_started.send(sender=None, environ=environ)
    try:
        response = lane.answer(WSGIRequest(environ))
    finally:
        signals.request_finished.send(sender=None)
    if response is None:
        return django(environ, start_response)
    start_response(f"{response.status_code} {response.reason_phrase}", [*response.items()])
    return [response.content]
