"""The bench's minimal Django view: the recorded /sala/all bytes, through the nodes' whole middleware.

Served only by the bench's own gunicorn tier (bench/floor.py, the nodes' environment
plus BENCH_VIEWS=1, which makes settings.py use this URLconf); the cluster's nodes
never route to it. It reads request.user, as every signed-in view does, so a client
with a session cookie pays the session's user lookup and an anonymous one does not:
the two measure Django's own cost, with no query and no page of ours.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.urls import path

from salas_project.urls import urlpatterns as project_urlpatterns

PATH = "bench/minimal"  # bench/throughput.py measures it


@cache
def _recorded_body() -> bytes:
    return bytes.fromhex(json.loads(Path(os.environ["FLOOR_ANSWER"]).read_text())["body"])


def minimal(request: HttpRequest) -> HttpResponse:
    request.user.is_authenticated  # noqa: B018 - the session's user, as every signed-in view reads it
    return HttpResponse(_recorded_body(), content_type="application/json")


urlpatterns = [*project_urlpatterns, path(PATH, minimal)]
