"""The wrk step: each endpoint through nginx at saturation, between a static ceiling and a bare-WSGI floor.

ceiling  the same /sala/all body as a file from a separate nginx (bench/ceiling.py)
floor    the same bytes from a bare WSGI callable on the nodes' gunicorn settings behind an
         nginx with the cluster's config (bench/floor.py), just before and just after
minimal  the same bytes from a minimal Django view through the nodes' whole middleware
         (bench/minimal_view.py), anonymous and signed in
then     GET /sala/all (a reader, a reader whose write has just replicated, a reader
         revalidating its copy: 304), and GET /api/status and POST /sala/create
         (acknowledged creates/s)
"""

from __future__ import annotations

import argparse
import dataclasses

import requests

from bench.api import Api
from bench.ceiling import StaticNginx
from bench.common import say
from bench.config import LIST_ROOMS, REPORTS
from bench.floor import Floor
from bench.report import print_wrk
from bench.rooms import WRK_PREFIX
from bench.sql import wait_replicas_applied
from bench.wrk import WrkResult, ensure_wrk, run_wrk

MINIMAL_PATH = "/bench/minimal"  # bench/minimal_view.py


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
    # The floor is measured just before and just after the minimal view and the readers
    # (this machine's speed drifts within minutes); their ratios are to the mean of the two.
    floor_tier = Floor(REPORTS / "bench-floor", args.floor_port)
    answer = api.reader().get(list_path)
    try:
        floor_tier.start(answer)

        def measure_floor(when: str) -> WrkResult:
            return floor_tier.measure(
                wrk, f"floor: bare WSGI, same bytes ({when})", list_path, args, cookie=reader_cookie
            )

        floor_before = measure_floor("before")
        minimal = measure_minimal_view(wrk, args, answer, reader_cookie)
        # A reader who wrote a moment ago: the write is replicated, its cookie still set.
        api.create_room(f"{WRK_PREFIX}-RYW")
        wait_replicas_applied(api.written_gtid())
        writer_cookie = api.cookie_header(with_gtid=True)
        etag = api.reader().get(list_path).headers["ETag"]
        readers = [
            run_wrk(wrk, f"GET {list_path}", api.url(list_path), args, headers=(f"Cookie: {reader_cookie}",)),
            run_wrk(
                wrk,
                "  the same, read-your-writes cookie",
                api.url(list_path),
                args,
                headers=(f"Cookie: {writer_cookie}",),
            ),
            run_wrk(
                wrk,
                "  the same, If-None-Match (304)",
                api.url(list_path),
                args,
                headers=(f"Cookie: {reader_cookie}", f"If-None-Match: {etag}"),
                expected_status=304,
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
        *minimal,
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
    say("   an nginx with the cluster's config; the minimal view, from the nodes' application)")
    say(f"  floor req/s before / after the readers: {floor_before.rps:.0f} / {floor_after.rps:.0f}; ratios")
    say("  'vs floor' are to their mean")
    print_wrk(results, ceiling, floor)
    print_targets(readers, minimal, floor)
    return results


def measure_minimal_view(
    wrk: str, args: argparse.Namespace, answer: requests.Response, cookie: str
) -> list[WrkResult]:
    """The nodes' own application and middleware answering the same bytes from a minimal view.

    Three gunicorn instances with the nodes' environment behind the cluster's nginx
    config (bench/floor.py), whose settings add bench/minimal_view.py's URL
    (BENCH_VIEWS=1): anonymous, then signed in (the session's user looked up as for
    any signed-in view).
    """
    tier = Floor(
        REPORTS / "bench-minimal",
        args.minimal_port,
        "salas_project.wsgi:application",
        as_nodes=True,
        extra_env={"BENCH_VIEWS": "1"},
    )
    try:
        tier.start(answer, check=MINIMAL_PATH, cookie=cookie)
        for _ in range(100):  # every worker past its first request (imports, connections)
            requests.get(tier.url(MINIMAL_PATH), headers={"Cookie": cookie}, timeout=10)
        return [
            tier.measure(wrk, "minimal Django view, anonymous", MINIMAL_PATH, args, cookie=""),
            tier.measure(wrk, "minimal Django view, signed in", MINIMAL_PATH, args, cookie=cookie),
        ]
    finally:
        tier.stop()


def print_targets(readers: list[WrkResult], minimal: list[WrkResult], floor: WrkResult) -> None:
    """Each reader against the floor and both minimal views (issue 20: >= 35 % and >= 90 % of signed in)."""
    anonymous, signed_in = minimal
    say()
    say(f"  {'':<36} {'vs floor':>8} {'vs minimal signed in':>21} {'vs minimal anonymous':>21}")
    for result in [*readers, *minimal]:
        say(
            f"  {result.name:<36} {result.rps / floor.rps:>8.1%} {result.rps / signed_in.rps:>21.1%} "
            f"{result.rps / anonymous.rps:>21.1%}"
        )
