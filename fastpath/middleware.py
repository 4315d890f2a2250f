"""FastPathMiddleware: first in MIDDLEWARE, it answers a lane's request or hands it to the rest of Django.

Django's handler still runs around it: the request object, request_started and
request_finished (connections aged by CONN_MAX_AGE, closed after errors), and
the WSGI response; a pooled connection found dead is reconnected as Django's
health check would (fastpath.mirror.read_on_healthy_connection). What the lane skips is the
rest of the middleware and the view; their headers are replayed from Django's
own answer to the same kind of request (fastpath.mirror.RecordedHeaders).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse

from fastpath.checks import check_fast_path
from fastpath.room_create import RoomCreateLane
from fastpath.room_list import RoomListLane

logger = logging.getLogger(__name__)


class FastPathMiddleware:
    # The instance last built, so that fastpath.wsgi's handler shares its lanes (and
    # the headers they learnt): Django keeps middleware instances only in its chain.
    built: FastPathMiddleware | None = None

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        lanes: list[RoomListLane | RoomCreateLane] = []
        if settings.ROOM_LIST_FAST_LANE:
            lanes.append(RoomListLane())
        if settings.ROOM_CREATE_FAST_LANE:
            lanes.append(RoomCreateLane())
        if not lanes:
            raise MiddlewareNotUsed
        errors = check_fast_path()
        if errors:
            raise ImproperlyConfigured("; ".join(f"{error.msg} ({error.hint})" for error in errors))
        self.lanes = {(lane.method, lane.path): lane for lane in lanes}
        FastPathMiddleware.built = self

    def __call__(self, request: HttpRequest) -> HttpResponse:
        lane = self.lanes.get((request.method or "", request.path_info))
        if lane is None:
            return self.get_response(request)
        try:
            response = lane.answer(request)
        except Exception:
            # Before any write (the create lane answers its own failures once it wrote).
            logger.exception("fast path: unexpected error; Django answers instead")
            response = None
        if response is not None:
            return response
        response = self.get_response(request)
        lane.headers.learn(request, response)
        return response
