"""The wrk step: each endpoint through nginx at saturation, between a static ceiling and a bare-WSGI floor.

ceiling  the same /sala/all body as a file from a separate nginx (bench/ceiling.py)
floor    the same bytes from a bare WSGI callable on the nodes' gunicorn settings behind an
         nginx with the cluster's config (bench/floor.py), just before and just after
then     GET /sala/all (a reader, and a reader whose write has just replicated),
         and GET /api/status and POST /sala/create (acknowledged creates/s)
"""

from __future__ import annotations

import argparse
import dataclasses

from bench.api import Api
from bench.ceiling import StaticNginx
from bench.common import say
from bench.config import LIST_ROOMS, REPORTS
from bench.floor import Floor
from bench.report import print_wrk
from bench.rooms import WRK_PREFIX
from bench.sql import wait_replicas_applied
from bench.wrk import WrkResult, ensure_wrk, run_wrk


def run_wrk_suite(args: argparse.Namespace, api: Api, list_body: bytes) -> list[WrkResult]:
    """The ceiling, the floor, then the cluster's endpoints; the table printed, the results returned."""
    wrk = ensure_wrk()
    ceiling_nginx = StaticNginx(REPORTS / "bench-nginx", args.ceiling_port)
    list_path = f"/sala/all?page_size={LIST_ROOMS}"
    reader_cookie = api.reader().cookie_header(with_gtid=False)
    try:
        ceiling_nginx.start({"sala_all.json": list_body})
        ceiling = run_wrk(
            wrk,
            "ceiling: static nginx, same body",
            ceiling_nginx.url("sala_all.json"),
            args,
            count_status=False,
            extra_pids={"ceiling nginx": ceiling_nginx.pid() or 0},
        )
    finally:
        ceiling_nginx.stop()
    # The floor is measured just before and just after the two readers (this machine's speed
    # drifts within minutes); their ratios are to the mean of the two.
    floor_tier = Floor(REPORTS / "bench-floor", args.floor_port)
    try:
        floor_tier.start(api.reader().get(list_path))

        def measure_floor(when: str) -> WrkResult:
            return floor_tier.measure(
                wrk, f"floor: bare WSGI, same bytes ({when})", list_path, args, cookie=reader_cookie
            )

        floor_before = measure_floor("before")
        # A reader who wrote a moment ago: the write is replicated, its cookie still set.
        api.create_room(f"{WRK_PREFIX}-RYW")
        wait_replicas_applied(api.written_gtid())
        writer_cookie = api.cookie_header(with_gtid=True)
        readers = [
            run_wrk(wrk, f"GET {list_path}", api.url(list_path), args, headers=(f"Cookie: {reader_cookie}",)),
            run_wrk(
                wrk,
                "  the same, read-your-writes cookie",
                api.url(list_path),
                args,
                headers=(f"Cookie: {writer_cookie}",),
            ),
        ]
        floor_after = measure_floor("after")
    finally:
        floor_tier.stop()
    floor = dataclasses.replace(
        floor_before,
        name="floor: mean of before and after",
        rps=(floor_before.rps + floor_after.rps) / 2,
        requests=floor_before.requests + floor_after.requests,
        seconds=floor_before.seconds + floor_after.seconds,
    )
    results = [
        *readers,
        run_wrk(wrk, "GET /api/status", api.url("/api/status"), args),
        run_wrk(
            wrk,
            "POST /sala/create",
            api.url("/sala/create"),
            args,
            headers=(
                f"Cookie: {reader_cookie}",
                f"X-CSRFToken: {api.session.cookies.get('csrftoken')}",
                "Content-Type: application/json",
            ),
            create_prefix=WRK_PREFIX,
        ),
        floor_before,
        floor_after,
        ceiling,
    ]
    say(f"  (the ceiling serves the same {len(list_body)}-byte /sala/all body as a file; the floor")
    say("   returns the same bytes from a bare WSGI callable on the nodes' gunicorn settings, behind")
    say("   an nginx with the cluster's config)")
    say(f"  floor req/s before / after the readers: {floor_before.rps:.0f} / {floor_after.rps:.0f}; ratios")
    say("  'vs floor' are to their mean")
    print_wrk(results, ceiling, floor)
    return results
