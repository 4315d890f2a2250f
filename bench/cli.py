"""Benchmark the running salas cluster through nginx (what `make bench` runs).

    .venv/bin/python bench/run.py [--duration 10] [--connections 32] [--check-locust]

Steps, in this order, each printing numbers to watch (`--skip STEP` leaves one out):
  memory  RSS of each node (gunicorn master + workers), of nginx and of MariaDB, before
          the load and again at the end.
  locust  a headless Locust run of locustfile.py (20 users, spawn rate 10, 30 s by
          default); CSV and HTML report in reports/ (git-ignored).
  sql     SQL statements per request of each endpoint: MariaDB's global `Questions`
          counter on the three servers, before and after N sequential requests, less
          an idle interval of the same length measured right after. Runs before wrk,
          on a quiet cluster, once the replicas have caught up.
  scale   each read endpoint (free rooms, my bookings, a busy room's week and feed, the
          room list) at the demo volume and at --scale-bookings / --scale-rooms (1,000,000 /
          10,000), p50/p99 and their ratios, and bookings/s before and after loading
          (bench/scale.py; loads with manage.py seed_volume and removes it at the end).
  booking confirmed bookings/s: POST /reserva/create over --connections connections on 10
          rooms for --duration seconds (bench/booking.py), then the overlapping confirmed pairs
          counted on db1, db2 and db3 (must be 0; the step errors otherwise).
  wrk     throughput and p50/p95/p99 latency, 32 connections for --duration seconds
          each, of GET /sala/all?page_size=100 (100 rooms in the body; also with a
          read-your-writes cookie, and revalidated with If-None-Match: 304), GET /api/status
          and POST /sala/create (acknowledged creates/s), against a bare-WSGI floor and a
          minimal Django view through the nodes' middleware (bench/minimal_view.py,
          anonymous and signed in, on its own port --minimal-port), and a ceiling: the same
          /sala/all body served as a static file by a separate nginx on 127.0.0.1:8090
          (prefix reports/bench-nginx/, always stopped at the end). Also the CPU time
          each process group spent per request (where the time goes). wrk is installed
          with apt-get when missing; bench/wrk.lua reports percentiles, counts non-2xx
          answers and makes the POST bodies. The floor, the minimal views and the three
          readers run in --rounds rounds, one of each per round (every other round in
          reverse order): each ratio is taken within its round, and the median of the
          rounds is printed beside them.

Everything shares two cores: run it on an otherwise idle machine. A warning says so
when a cluster process restarted during the run (a fault test running meanwhile).
The rooms created while measuring (about creates/s x --duration) are deleted at the end
(--keep-rooms keeps them), so that /sala/all does not get slower run after run; the
Locust users and their rooms stay (a few dozen per run).

Traffic goes to 127.0.0.1 only. The exit code is non-zero only when a step errored
(cluster down, a wrong answer while preparing, wrk or nginx failing), not for slow
numbers; with --check-locust, Locust's own threshold verdict (see locustfile.py)
becomes the exit code as well. A JSON copy of the results goes to reports/bench.json.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import MySQLdb
import requests

from bench import booking, procfs, report, rooms, scale
from bench.api import Api, wait_for_cluster
from bench.common import BenchError, heading, require_loopback, say
from bench.config import BALANCER, CEILING_PORT, FLOOR_PORT, LIST_ROOMS, MINIMAL_PORT, REPORTS
from bench.locust_run import run_locust
from bench.sql import run_sql_suite
from bench.throughput import run_wrk_suite

# What a step may fail with and still let the others run: reported, and the exit code is 1.
STEP_ERRORS = (BenchError, requests.RequestException, MySQLdb.Error, OSError, subprocess.SubprocessError)


def main() -> int:
    args = parse_args()
    REPORTS.mkdir(exist_ok=True)
    run = Run(args)
    pids_before = run.check_cluster()
    if pids_before is None:
        return 1
    run.step("memory", lambda: run.memory("before"))
    run.step("locust", run.locust)
    api = Api(args.host)
    prepared = run.step("prepare", lambda: run.prepare(api))
    if prepared is None:
        say("  cannot go on without the bench user and its rooms")
        return run.finish()
    list_body, probe = prepared
    # Sequential SQL counts first, on a quiet cluster; then the saturating wrk runs.
    run.step("sql", lambda: run.sql(api, probe))
    run.step("wrk", lambda: run.wrk(api, list_body))
    run.step("booking", lambda: run.bookings(api))
    run.step("scale", lambda: run.scale(api))
    run.step("memory", lambda: run.memory("after"))
    if not args.keep_rooms:
        run.step("cleanup", lambda: run.cleanup(api))
    run.warn_restarts(pids_before)
    return run.finish()


class Run:
    """One run of the bench: its arguments, what each step found, and the steps that errored."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.errors: list[str] = []
        self.results: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "args": vars(args)}
        self.locust_code = 0

    def step(self, name: str, function: Callable[[], Any]) -> Any:
        """One step (it prints its own heading first), unless --skip names it.

        An error a step may fail with is recorded and printed, not raised: the other steps run.
        """
        if name in self.args.skip:
            return None
        try:
            return function()
        except STEP_ERRORS as exc:
            self.errors.append(f"{name}: {exc}")
            say(f"  ERROR in {name}: {exc}")
            return None

    def check_cluster(self) -> dict[str, int | None] | None:
        """The cluster answers: print its state and return the pids of its processes (None: it does not)."""
        heading("cluster")
        try:
            status = wait_for_cluster(self.args.host)
        except BenchError as exc:
            say(f"  ERROR: {exc}")
            return None
        say(f"  {self.args.host}/api/status: {status.get('status')} (answered by {status.get('node')})")
        say(
            f"  load average before: {procfs.load_average()} (2 cores; anything else running skews every number)"
        )
        return procfs.service_pids()

    def memory(self, label: str) -> None:
        heading(f"memory {label} the load (RSS)")
        memory = procfs.measure_memory()
        if memory:
            report.print_memory(label, memory)
            self.results[f"memory_{label}"] = memory

    def locust(self) -> None:
        args = self.args
        heading(f"locust: {args.users} users, spawn rate {args.spawn_rate}/s, {args.run_time}")
        locust = run_locust(args)
        report.print_locust(locust)
        self.locust_code = locust.exit_code
        self.results["locust"] = {"exit_code": locust.exit_code, "stats": locust.rows}

    def prepare(self, api: Api) -> tuple[bytes, str]:
        heading("bench user and rooms")
        return rooms.prepare(api)

    def sql(self, api: Api, probe: str) -> None:
        heading(f"SQL statements per request ({self.args.sql_requests} sequential requests each)")
        found = run_sql_suite(self.args, api, api.reader(), probe)
        if found:
            report.print_sql(found)
            self.results["sql"] = [{**asdict(result), "total": result.total} for result in found]

    def wrk(self, api: Api, list_body: bytes) -> None:
        args = self.args
        heading(
            f"wrk: {args.connections} connections, {args.threads} threads, {args.duration} s per endpoint"
        )
        found = run_wrk_suite(self.args, api, list_body)
        if found:
            self.results["wrk"] = [asdict(result) for result in found]

    def bookings(self, api: Api) -> None:
        args = self.args
        heading(
            f"bookings under contention: {args.connections} connections over {booking.BOOK_ROOMS} rooms, "
            f"{args.duration} s"
        )
        booked = booking.run_booking(self.args, api)
        if booked:
            self.results["booking"] = booked

    def scale(self, api: Api) -> None:
        args = self.args
        heading(
            f"scale: each read endpoint at the demo volume and at {args.scale_bookings:,} bookings / "
            f"{args.scale_rooms:,} rooms ({args.scale_connections} connections, {args.scale_duration} s each)"
        )
        self.results["scale"] = scale.run_scale(args, api)

    def cleanup(self, api: Api) -> None:
        heading("cleanup")
        deleted = rooms.cleanup_rooms(api)
        say(f"  {deleted} rooms deleted; the {LIST_ROOMS} base rooms stay for the next run")

    def warn_restarts(self, pids_before: dict[str, int | None]) -> None:
        restarted = sorted(name for name, pid in procfs.service_pids().items() if pid != pids_before[name])
        self.results["restarted_during_bench"] = restarted
        if restarted:
            say()
            say(
                f"  WARNING: {', '.join(restarted)} restarted during the benchmark (another test?): numbers are suspect"
            )

    def finish(self) -> int:
        return report.finish_run(
            self.errors, self.results, check_locust=self.args.check_locust, locust_code=self.locust_code
        )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default=BALANCER, help="the balancer (loopback only)")
    parser.add_argument("--users", type=int, default=20, help="locust users (default 20)")
    parser.add_argument(
        "--spawn-rate", type=float, default=10, help="locust users started per second (default 10)"
    )
    parser.add_argument("--run-time", default="30s", help="locust run time, e.g. 30s, 2m (default 30s)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per endpoint (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2, one per core)")
    parser.add_argument(
        "--rounds", type=int, default=6, help="wrk: rounds of floor, minimal views and readers (default 6)"
    )
    parser.add_argument(
        "--sql-requests", type=int, default=100, help="sequential requests per endpoint for SQL counts"
    )
    parser.add_argument(
        "--ceiling-port", type=int, default=CEILING_PORT, help="port of the static ceiling nginx"
    )
    parser.add_argument(
        "--floor-port", type=int, default=FLOOR_PORT, help="port of the floor's nginx (bare WSGI on gunicorn)"
    )
    parser.add_argument(
        "--minimal-port",
        type=int,
        default=MINIMAL_PORT,
        help="port of the nginx in front of the minimal Django view (the nodes' application)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=("locust", "wrk", "sql", "booking", "scale", "memory"),
        help="leave a step out",
    )
    parser.add_argument(
        "--keep-rooms", action="store_true", help="keep the rooms the wrk and SQL steps created"
    )
    parser.add_argument("--scale-rooms", type=int, default=10_000, help="scale step: rooms (default 10,000)")
    parser.add_argument(
        "--scale-bookings", type=int, default=1_000_000, help="scale step: bookings (default 1,000,000)"
    )
    parser.add_argument(
        "--scale-connections", type=int, default=4, help="scale step: wrk connections (default 4: latency)"
    )
    parser.add_argument(
        "--scale-duration", type=int, default=5, help="scale step: seconds of wrk per endpoint (default 5)"
    )
    parser.add_argument("--keep-scale", action="store_true", help="scale step: keep the large volume loaded")
    parser.add_argument(
        "--check-locust",
        action="store_true",
        help="exit with Locust's threshold exit code when it is non-zero",
    )
    args = parser.parse_args()
    require_loopback(args.host)
    if min(args.users, args.duration, args.connections, args.sql_requests, args.rounds) < 1:
        parser.error("users, duration, connections, sql-requests and rounds must be positive")
    return args
