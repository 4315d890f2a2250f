#!/usr/bin/env python3
"""What routing the API through django-ninja would add per request, measured in one process.

    .venv/bin/python -m cluster ... (inside the cluster's namespace, with its .env):
    DJANGO_SETTINGS_MODULE=salas_project.settings .venv/bin/python bench/ninja_overhead.py [--requests 2000]

GET /api/status (JSON, anonymous) through Django's whole middleware stack, CPU time of this process (the machine may be busy), rounds alternating
between today's URLconf (the apps' urls.py) and one where django-ninja's `api.urls`
(salas_project/api.py) routes every API path to the same view. The difference is ninja's
dispatch: path matching, parameter parsing and validation, its response handling. Not through
nginx: the nodes cannot route through ninja yet (docs/observability.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salas_project.settings")
# fastpath/ refuses a URLconf it was not verified against; its lanes do not serve /api/status.
os.environ["ROOM_LIST_FAST_LANE"] = os.environ["ROOM_CREATE_FAST_LANE"] = "0"

import django  # noqa: E402

django.setup()

from django.test import Client, override_settings  # noqa: E402
from django.urls import path  # noqa: E402

from bench.common import say  # noqa: E402
from salas_project import urls as site_urls  # noqa: E402
from salas_project.api import api  # noqa: E402

# ninja first: it takes every API path; the rest of the site (and the names fastpath/ reverses) after it.
urlpatterns = [path("", api.urls), *site_urls.urlpatterns]
HOST = "127.0.0.1"


def per_request_us(urlconf: str | None, requests: int) -> float:
    client = Client(HTTP_HOST=HOST)
    with override_settings(ROOT_URLCONF=urlconf) if urlconf else override_settings():
        for _ in range(50):
            assert client.get("/api/status").status_code == 200  # noqa: S101 - the warm-up checks what it times
        started = time.process_time()
        for _ in range(requests):
            client.get("/api/status")
        return (time.process_time() - started) / requests * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    today, ninja = [], []
    for round_number in range(1, args.rounds + 1):
        today.append(per_request_us(None, args.requests))
        ninja.append(per_request_us(__name__, args.requests))
        say(
            f"round {round_number}: apps' urls.py {today[-1]:.0f} µs CPU/request, ninja {ninja[-1]:.0f} µs CPU/request"
        )
    a, b = statistics.median(today), statistics.median(ninja)
    say(f"median: {a:.0f} -> {b:.0f} µs CPU/request ({b - a:+.0f} µs, {b / a - 1:+.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
