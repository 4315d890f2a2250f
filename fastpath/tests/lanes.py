"""Requests through Django with the fast path in front, counting how many Django itself answered."""

from __future__ import annotations

from typing import Any

import orjson
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings

from fastpath.middleware import FastPathMiddleware
from fastpath.wsgi import FastPathHandler, memory_lanes


class LaneUnderTest(FastPathHandler):
    """The nodes' handler (memory answers in front), whose first middleware hands on to a counted rest."""

    def __init__(self) -> None:
        assert settings.MIDDLEWARE[0] == "fastpath.middleware.FastPathMiddleware"
        with override_settings(MIDDLEWARE=settings.MIDDLEWARE[1:]):
            WSGIHandler.__init__(self)  # the rest of Django, without the fast path
        self.calls = 0
        self.fastpath = FastPathMiddleware(self._django)
        self.memory_lanes = memory_lanes(self.fastpath)

    def get_response(self, request: HttpRequest) -> HttpResponse:
        return self.fastpath(request)

    def _django(self, request: HttpRequest) -> HttpResponse:
        self.calls += 1
        return super().get_response(request)


class Answer:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes):
        self.status_code = int(status.split(maxsplit=1)[0])
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return orjson.loads(self.body)


def run(app: Any, environ: dict[str, Any]) -> Answer:
    """One request through a WSGI app, as a server would make it."""
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *args: Any) -> None:
        seen.update(status=status, headers=headers)

    result = app(environ, start_response)
    body = b"".join(result)
    if hasattr(result, "close"):
        result.close()
    return Answer(seen["status"], seen["headers"], body)


def call(app: Any, path: str = "/sala/all", method: str = "GET", **environ: Any) -> Answer:
    return run(app, getattr(RequestFactory(**environ), method.lower())(path).environ)


def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
