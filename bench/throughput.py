"""The wrk step: each endpoint through nginx at saturation, between a static ceiling and a bare-WSGI floor.

ceiling  the same /sala/all body as a file from a separate nginx (bench/ceiling.py)
floor    the same bytes from a bare WSGI callable on the nodes' gunicorn settings behind an
         nginx with the cluster's config (bench/floor.py)
minimal  the same bytes from a minimal Django view through the nodes' whole middleware
         (bench/minimal_view.py), anonymous and signed in
readers  GET /sala/all through the cluster: a reader, a reader whose write has just
         replicated, a reader revalidating its copy (304)
then     GET /api/status and POST /sala/create (acknowledged creates/s)

The floor, the minimal views and the readers are measured in --rounds rounds (6), one of each
per round, so that the machine's drift (the floor moved 2,400-3,500 req/s between runs
minutes apart on this 2-core machine) hits them alike: each ratio is taken within a round,
and the median of the rounds is the run's figure. Every other round runs its rows in reverse
order, so that no row always runs last (an even count of rounds balances the positions).
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable

import requests

from bench.api import Api
from bench.ceiling import StaticNginx
from bench.common import median_item, say
from bench.config import LIST_ROOMS, REPORTS
from bench.floor import Floor
from bench.report import print_wrk
from bench.rooms import WRK_PREFIX
from bench.sql import wait_replicas_applied
from bench.wrk import WrkResult, ensure_wrk, run_wrk

MINIMAL_PATH = "/bench/minimal"  # bench/minimal_view.py
FLOOR = "floor: bare WSGI, same bytes"
MINIMAL_ANONYMOUS = "minimal Django view, anonymous"
MINIMAL_SIGNED_IN = "minimal Django view, signed in"
READER = "GET /sala/all"
READER_RYW = "  the same, read-your-writes cookie"
READER_304 = "  the same, If-None-Match (304)"
READERS = (READER, READER_RYW, READER_304)


def run_wrk_suite(args: argparse.Namespace, api: Api, list_body: bytes) -> list[WrkResult]:
    """The ceiling, the rounds of floor / minimal views / readers, then the other endpoints.

    The table is printed (each round's median result per row) with the targets' ratios
    round by round; every result is returned.
    """
    wrk = ensure_wrk()
    ceiling = measure_ceiling(wrk, args, list_body)
    list_path = f"/sala/all?page_size={LIST_ROOMS}"
    reader_cookie = api.reader().cookie_header(with_gtid=False)
    # A reader who wrote a moment ago: the write is replicated, its cookie still set.
    api.create_room(f"{WRK_PREFIX}-RYW")
    wait_replicas_applied(api.written_gtid())
    writer_cookie = api.cookie_header(with_gtid=True)
    answer = api.reader().get(list_path)
    etag = answer.headers["ETag"]
    floor_tier = Floor(REPORTS / "bench-floor", args.floor_port)
    minimal_tier = Floor(
        REPORTS / "bench-minimal",
        args.minimal_port,
        "salas_project.wsgi:application",
        as_nodes=True,
        extra_env={"BENCH_VIEWS": "1"},
    )

    def reader(cookie: str, *extra: str, status: int | None = None) -> Callable[[str], WrkResult]:
        headers = (f"Cookie: {cookie}", *extra)
        return lambda name: run_wrk(
            wrk, name, api.url(list_path), args, headers=headers, expected_status=status
        )

    cases: dict[str, Callable[[str], WrkResult]] = {
        FLOOR: lambda name: floor_tier.measure(wrk, name, list_path, args, cookie=reader_cookie),
        MINIMAL_ANONYMOUS: lambda name: minimal_tier.measure(wrk, name, MINIMAL_PATH, args, cookie=""),
        MINIMAL_SIGNED_IN: lambda name: minimal_tier.measure(
            wrk, name, MINIMAL_PATH, args, cookie=reader_cookie
        ),
        READER: reader(reader_cookie),
        READER_RYW: reader(writer_cookie),
        READER_304: reader(reader_cookie, f"If-None-Match: {etag}", status=304),
    }
    rounds: dict[str, list[WrkResult]] = {name: [] for name in cases}
    try:
        # Both tiers stay up through the rounds (idle, they cost nothing measurable).
        floor_tier.start(answer)
        start_minimal_view(minimal_tier, answer, reader_cookie)
        # The cluster's workers past the new state's first (uncached) page, as the minimal view's are.
        warm = api.reader()
        for _ in range(100):
            warm.get(list_path)
        if args.rounds % 2:
            say(f"  (an odd count of rounds, {args.rounds}: the rows' positions are not balanced)")
        rows = list(cases.items())
        for number in range(1, args.rounds + 1):
            # Every other round runs the rows in reverse order: a drift within a round (the
            # cluster's rows come after 30 s of it idle, then run 30 s back to back) then hits
            # every row alike, instead of the last rows most.
            order = rows if number % 2 else rows[::-1]
            say(f"  round {number} of {args.rounds} ({' -> '.join(name.strip() for name, _ in order)})")
            for name, measure in order:
                rounds[name].append(measure(f"{name.strip()} (round {number})"))
    finally:
        floor_tier.stop()
        minimal_tier.stop()
    typical = {name: _median_run(results, name) for name, results in rounds.items()}
    others = [
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
    ]
    say(f"  (the ceiling serves the same {len(list_body)}-byte /sala/all body as a file; the floor")
    say("   returns the same bytes from a bare WSGI callable on the nodes' gunicorn settings, behind")
    say("   an nginx with the cluster's config; the minimal view, from the nodes' application)")
    say(f"  floor req/s round by round: {', '.join(f'{r.rps:.0f}' for r in rounds[FLOOR])}")
    say(f"  rows of the rounds: the round with the median req/s of {args.rounds}; 'vs floor' is to the")
    say("  median floor (the ratios within each round follow the table)")
    floor = typical[FLOOR]
    print_wrk([*(typical[name] for name in cases if name != FLOOR), *others, floor, ceiling], ceiling, floor)
    print_targets(rounds)
    return [*(result for results in rounds.values() for result in results), *others, ceiling]


def measure_ceiling(wrk: str, args: argparse.Namespace, list_body: bytes) -> WrkResult:
    ceiling_nginx = StaticNginx(REPORTS / "bench-nginx", args.ceiling_port)
    try:
        ceiling_nginx.start({"sala_all.json": list_body})
        return run_wrk(
            wrk,
            "ceiling: static nginx, same body",
            ceiling_nginx.url("sala_all.json"),
            args,
            count_status=False,
            extra_pids={"ceiling nginx": ceiling_nginx.pid() or 0},
        )
    finally:
        ceiling_nginx.stop()


def _median_run(results: list[WrkResult], name: str) -> WrkResult:
    """The round whose req/s is the median (the lower middle one of an even count), named `name`."""
    return WrkResult(**{**vars(median_item(results, key=lambda result: result.rps)), "name": name})


def start_minimal_view(tier: Floor, answer: requests.Response, cookie: str) -> None:
    """The nodes' own application and middleware, answering the same bytes from a minimal view.

    Three gunicorn instances with the nodes' environment behind the cluster's nginx
    config (bench/floor.py), whose settings add bench/minimal_view.py's URL
    (BENCH_VIEWS=1): measured anonymous, and signed in (the session's user looked up
    as for any signed-in view).
    """
    tier.start(answer, check=MINIMAL_PATH, cookie=cookie)
    for _ in range(100):  # every worker past its first request (imports, connections)
        requests.get(tier.url(MINIMAL_PATH), headers={"Cookie": cookie}, timeout=10)


def print_targets(rounds: dict[str, list[WrkResult]]) -> None:
    """Each reader's req/s as a share of the same round's floor and minimal views (issue 20: >= 35 %
    of the floor, >= 90 % of the minimal view signed in, the 304 faster than the 200), and the median."""
    count = len(rounds[FLOOR])

    def shares(name: str, of: str) -> list[float]:
        return [mine.rps / theirs.rps for mine, theirs in zip(rounds[name], rounds[of], strict=True)]

    say()
    say(f"  share of the same round's req/s: {count} rounds, then their median")
    for of in (FLOOR, MINIMAL_SIGNED_IN, MINIMAL_ANONYMOUS, READER):
        say(f"  vs {of.strip()}")
        for name in (*READERS, MINIMAL_SIGNED_IN, MINIMAL_ANONYMOUS):
            if name == of:
                continue
            values = shares(name, of)
            cells = " ".join(f"{value:>7.1%}" for value in values)
            say(f"    {name.strip():<38} {cells}   median {statistics.median(values):.1%}")
