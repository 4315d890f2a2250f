#!/usr/bin/env python3
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
  booking confirmed bookings/s: POST /reserva/create over --connections connections on 10
          rooms for --duration seconds (bench/booking.py), then the overlapping confirmed pairs
          counted on db1, db2 and db3 (must be 0; the step errors otherwise).
  wrk     throughput and p50/p95/p99 latency, 32 connections for --duration seconds
          each, of GET /sala/all?page_size=100 (100 rooms in the body), GET /api/status
          and POST /sala/create (acknowledged creates/s), against a ceiling: the same
          /sala/all body served as a static file by a separate nginx on 127.0.0.1:8090
          (prefix reports/bench-nginx/, always stopped at the end). Also the CPU time
          each process group spent per request (where the time goes). wrk is installed
          with apt-get when missing; bench/wrk.lua reports percentiles, counts non-2xx
          answers and makes the POST bodies.

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
import contextlib
import csv
import ipaddress
import json
import os
import pwd
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"

try:
    import MySQLdb
    import requests
except ImportError:  # started with a Python outside the project's venv: re-run inside it
    if (VENV / "bin" / "python").exists() and Path(sys.prefix).resolve() != VENV.resolve():
        os.execv(str(VENV / "bin" / "python"), [str(VENV / "bin" / "python"), *sys.argv])
    raise

# One reader of .env for the cluster script, the tests and this bench.
sys.path.insert(0, str(ROOT))
from bench import booking  # noqa: E402
from bench.floor import Floor  # noqa: E402
from cluster import topology  # noqa: E402
from cluster.envfile import dotenv_values  # noqa: E402
from tests.credentials import PASSWORD  # noqa: E402

REPORTS = ROOT / "reports"
WRK_LUA = ROOT / "bench" / "wrk.lua"
DB_PORTS = {db.name: db.port for db in topology.DATABASES}
APPS = tuple(app.name for app in topology.APPS)
BENCH_USER = "salas-bench"
BENCH_EMAIL = "salas-bench@example.com"
LIST_ROOMS = 100
ATTEMPTS = 3
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Codes of the rooms this run creates while measuring, deleted again at the end (--keep-rooms
# keeps them): without that every run would add ~2000 rooms and /sala/all would get slower.
RUN_TAG = uuid.uuid4().hex[:6]
WRK_PREFIX = f"W{RUN_TAG}"
SQL_PREFIX = f"Q{RUN_TAG}"
DELETE_THREADS = 4
# INSERT ... SELECT (the create lane's statement) counts as Com_insert_select, not Com_insert.
WRITE_COUNTERS = ("Com_insert", "Com_insert_select", "Com_update", "Com_delete")
STATUS_COUNTERS = ("Questions", "Com_select", *WRITE_COUNTERS)


class BenchError(Exception):
    """A step could not be carried out (as opposed to a slow number)."""


def say(message: str = "") -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def heading(title: str) -> None:
    say()
    say(f"== {title} " + "=" * max(0, 70 - len(title)))


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"refusing to load {url}: benchmarks only target loopback addresses")


# --- the cluster's HTTP API ---------------------------------------------------------


class Api:
    """A signed-in client of the API through nginx, like one browser."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.session = requests.Session()

    def url(self, path: str) -> str:
        return self.base + path

    def csrf_headers(self) -> dict[str, str]:
        return {"X-CSRFToken": self.session.cookies.get("csrftoken", "")}

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url(path), timeout=30, **kwargs)

    def post(self, path: str, body: dict[str, Any]) -> requests.Response:
        return self.session.post(self.url(path), json=body, headers=self.csrf_headers(), timeout=30)

    def sign_in(self) -> None:
        """Sign up the bench user, or sign in when it exists (never a failed login)."""
        response = self.get("/auth/csrf")
        expect(response, 200, "GET /auth/csrf")
        response = self.post(
            "/auth/register", {"username": BENCH_USER, "email": BENCH_EMAIL, "password": PASSWORD}
        )
        if response.status_code == 201:
            say(f"  signed up {BENCH_USER}")
            return
        expect(response, 409, "POST /auth/register")
        response = self.post("/auth/login", {"username": BENCH_USER, "password": PASSWORD})
        expect(response, 200, f"POST /auth/login as {BENCH_USER}")
        say(f"  signed in as {BENCH_USER}")

    def create_room(self, codigo: str) -> dict[str, Any]:
        response = self.post(
            "/sala/create", {"nombre": f"Sala bench {codigo}", "codigo": codigo, "capacidad": 25}
        )
        expect(response, 201, "POST /sala/create")
        return response.json()

    def cookie_header(self, *, with_gtid: bool) -> str:
        cookies = [cookie for cookie in self.session.cookies if with_gtid or cookie.name != "salas_gtid"]
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in cookies)

    def written_gtid(self) -> str:
        """The GTID in the read-your-writes cookie (signed "gtid:timestamp:signature")."""
        value = self.session.cookies.get("salas_gtid", "").strip('"')
        if not value:
            raise BenchError("no read-your-writes cookie after a write")
        return value.rsplit(":", 2)[0]

    def reader(self) -> Api:
        """A second client with this one's sign-in but no read-your-writes cookie.

        It reads like a user whose last write is long replicated: from its node's
        replica, with no GTID wait. That is the steady state being measured.
        """
        other = Api(self.base)
        for cookie in self.session.cookies:
            if cookie.name != "salas_gtid":
                other.session.cookies.set_cookie(cookie)
        return other


def cleanup_rooms(api: Api, prefixes: tuple[str, ...]) -> int:
    """Delete the bench user's rooms whose codes start with one of `prefixes`; return how many."""
    codigos: list[str] = []
    for prefix in prefixes:
        page = 1
        while True:
            response = api.get(f"/sala/all?q={prefix}&page_size=500&page={page}")
            expect(response, 200, f"GET /sala/all?q={prefix}")
            body = response.json()
            codigos += [
                sala["codigo"]
                for sala in body["salas"]
                if sala["codigo"].startswith(prefix) and sala["owner"]["username"] == BENCH_USER
            ]
            if page >= body["pages"]:
                break
            page += 1
    if not codigos:
        return 0
    say(
        f"  deleting the {len(codigos)} rooms this run created ({', '.join(prefixes)}*), {DELETE_THREADS} at a time"
    )
    local = threading.local()

    def delete(codigo: str) -> int:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.cookies.update(api.reader().session.cookies)
        try:
            response = local.session.delete(
                api.url(f"/sala/codigo/{codigo}"), headers=api.csrf_headers(), timeout=30
            )
        except requests.RequestException:
            return 0  # no answer: tried again below
        return response.status_code

    pending = codigos
    for attempt in range(1, ATTEMPTS + 1):
        with ThreadPoolExecutor(DELETE_THREADS) as pool:
            statuses = dict(zip(pending, pool.map(delete, pending), strict=True))
        failed = {codigo: status for codigo, status in statuses.items() if status not in (204, 404)}
        if not failed:
            return len(codigos)
        if attempt == ATTEMPTS:
            raise BenchError(
                f"{len(failed)} of {len(codigos)} deletes failed (statuses {sorted(set(failed.values()))})"
            )
        say(f"  {len(failed)} deletes failed (statuses {sorted(set(failed.values()))}): waiting, then again")
        wait_for_cluster(api.base)
        time.sleep(2)
        pending = list(failed)
    return len(codigos)


def expect(response: requests.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise BenchError(f"{what}: expected {status}, got {response.status_code}: {response.text[:300]}")


def wait_for_cluster(base: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            response = requests.get(base + "/api/status", timeout=5)
            body = response.json()
            if isinstance(body, dict) and body.get("status") in ("ok", "degraded"):
                return body
            last = body
        except (requests.RequestException, ValueError) as exc:
            last = exc
        time.sleep(1)
    raise BenchError(
        f"the cluster at {base} does not answer /api/status (last: {last!r}); is it up (make up)?"
    )


def prepare(api: Api) -> tuple[bytes, str]:
    api.sign_in()
    return prepare_rooms(api)


def prepare_rooms(api: Api) -> tuple[bytes, str]:
    """Make sure at least LIST_ROOMS rooms exist; return the /sala/all body and a room code."""
    response = api.get(f"/sala/all?page_size={LIST_ROOMS}")
    expect(response, 200, "GET /sala/all")
    count = response.json()["count"]
    tag = uuid.uuid4().hex[:8]
    missing = max(0, LIST_ROOMS - count)
    if missing:
        say(f"  {count} rooms present: creating {missing} more as {BENCH_USER}")
    for number in range(missing):
        api.create_room(f"B{tag}-{number:03d}")
    # One room of the bench user's own, for the detail endpoints.
    probe = api.create_room(f"B{tag}-probe")["codigo"]
    response = api.get(f"/sala/all?page_size={LIST_ROOMS}")
    expect(response, 200, "GET /sala/all")
    body = response.json()
    if len(body["salas"]) != LIST_ROOMS:
        raise BenchError(f"/sala/all?page_size={LIST_ROOMS} returned {len(body['salas'])} rooms")
    say(
        f"  {body['count']} rooms in the database; /sala/all?page_size={LIST_ROOMS} body: {len(response.content)} bytes"
    )
    return response.content, probe


# --- locust ------------------------------------------------------------------------------


@dataclass
class LocustResult:
    exit_code: int
    rows: list[dict[str, str]] = field(default_factory=list)


def run_locust(args: argparse.Namespace) -> LocustResult:
    prefix = REPORTS / "locust"
    for suffix in ("_stats.csv", "_failures.csv", "_exceptions.csv", "_stats_history.csv"):
        Path(f"{prefix}{suffix}").unlink(missing_ok=True)
    command = [
        str(VENV / "bin" / "locust"),
        "-f",
        str(ROOT / "locustfile.py"),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        args.run_time,
        "--host",
        args.host,
        "--only-summary",
        "--csv",
        str(prefix),
        "--html",
        str(REPORTS / "locust.html"),
    ]
    say(f"  $ {' '.join(command)}")
    # The locust run is bounded by --run-time; the timeout only guards against a hang.
    completed = subprocess.run(command, cwd=ROOT, timeout=parse_seconds(args.run_time) + 120, check=False)
    stats = Path(f"{prefix}_stats.csv")
    if not stats.is_file():
        raise BenchError(f"locust exited {completed.returncode} without writing {stats}")
    with stats.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return LocustResult(completed.returncode, rows)


def parse_seconds(value: str) -> int:
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?", value.strip())
    if not match or not any(match.groups()):
        raise SystemExit(f"cannot read the duration {value!r} (use e.g. 30s, 2m, 1m30s)")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def print_locust(result: LocustResult) -> None:
    say()
    say(f"  {'request':<42} {'reqs':>6} {'fails':>5} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6}  (ms)")
    for row in result.rows:
        name = row["Name"] if row["Type"] else "ALL"
        say(
            f"  {(row['Type'] + ' ' + name).strip():<42} {row['Request Count']:>6} {row['Failure Count']:>5} "
            f"{float(row['Requests/s']):>7.1f} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}"
        )
    verdict = "passed" if result.exit_code == 0 else f"FAILED (exit code {result.exit_code})"
    say(f"  locust thresholds: {verdict}; report: reports/locust.html, reports/locust_stats.csv")
    say(
        "  (this table is Locust's last CSV snapshot, up to a second before the end; its summary above is final)"
    )


# --- wrk -----------------------------------------------------------------------------------


@dataclass
class WrkResult:
    name: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    status_errors: int  # wrk's own count: answers >= 400
    timeouts: int
    non2xx: int | None = None  # counted by bench/wrk.lua, None for the ceiling
    created: int | None = None  # POST runs: 201 answers
    cpu_ms: dict[str, float] = field(default_factory=dict)  # CPU ms per request, by process group
    worker_boots: int = 0  # gunicorn workers started during the run (max_requests recycling)


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    say("  wrk is not installed: installing the Debian package `wrk` with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "wrk"]
    if subprocess.run(install, env=env, check=False).returncode != 0:
        say("  apt-get install failed: refreshing the package lists (apt-get update) and retrying")
        subprocess.run(["apt-get", "update"], env=env, check=False)
        if subprocess.run(install, env=env, check=False).returncode != 0:
            raise BenchError("could not install wrk (apt-get install wrk)")
    path = shutil.which("wrk")
    if not path:
        raise BenchError("wrk is still not on PATH after apt-get install")
    return path


def run_wrk(
    wrk: str,
    name: str,
    url: str,
    args: argparse.Namespace,
    *,
    headers: tuple[str, ...] = (),
    create_prefix: str | None = None,
    count_status: bool = True,
    extra_pids: dict[str, int] | None = None,
    extra_env: dict[str, str] | None = None,
) -> WrkResult:
    require_loopback(url)
    command = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_LUA),
    ]
    for header in headers:
        command += ["-H", header]
    command.append(url)
    env = dict(os.environ)
    env.pop("WRK_CREATE_PREFIX", None)
    env.pop("WRK_COUNT_STATUS", None)
    if create_prefix:
        env["WRK_CREATE_PREFIX"] = create_prefix
    if count_status:
        env["WRK_COUNT_STATUS"] = "1"
    env.update(extra_env or {})
    say(f"  {name}: {args.connections} connections, {args.duration} s ...")
    cpu_before, log_sizes = cpu_seconds(extra_pids), app_log_sizes()
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=args.duration + 60, check=False
    )
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = {group: value - cpu_before.get(group, 0.0) for group, value in cpu_seconds(extra_pids).items()}
    cpu["wrk"] = (wrk_after.ru_utime + wrk_after.ru_stime) - (wrk_before.ru_utime + wrk_before.ru_stime)
    boots = worker_boots_since(log_sizes)
    line = next((line for line in completed.stdout.splitlines() if line.startswith("WRKJSON ")), None)
    if completed.returncode != 0 or line is None:
        raise BenchError(
            f"wrk failed for {name} (exit {completed.returncode}): {completed.stderr or completed.stdout}"
        )
    data = json.loads(line.removeprefix("WRKJSON "))
    seconds = data["duration_us"] / 1e6
    result = WrkResult(
        name=name,
        requests=int(data["requests"]),
        seconds=seconds,
        rps=data["requests"] / seconds if seconds else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        socket_errors=int(data["connect_errors"] + data["read_errors"] + data["write_errors"]),
        status_errors=int(data["status_errors"]),
        timeouts=int(data["timeouts"]),
        cpu_ms={group: 1000 * value / data["requests"] for group, value in cpu.items()}
        if data["requests"]
        else {},
        worker_boots=boots,
    )
    if data["non2xx"] >= 0:
        result.non2xx = int(data["non2xx"])
    if create_prefix or extra_env:
        result.created = int(data["created"])
    return result


class StaticNginx:
    """A throw-away nginx on 127.0.0.1:<port> serving one file: the ceiling for a JSON GET.

    It shares nothing with the cluster's balancer: own prefix, config, pid file and
    logs under reports/bench-nginx/. Same worker count as the balancer, no access log.
    """

    def __init__(self, prefix: Path, port: int):
        self.prefix = prefix
        self.port = port
        self.conf = prefix / "nginx.conf"
        self.pid_file = prefix / "nginx.pid"
        self.error_log = prefix / "error.log"
        self.html = prefix / "html"

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def start(self, files: dict[str, bytes]) -> None:
        self.stop()  # a leftover from an interrupted run
        self.html.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (self.html / name).write_bytes(content)
            (self.html / name).chmod(0o644)
        user = ""
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("www-data")
                user = "user www-data;"
            except KeyError:
                user = ""
        for directory in (REPORTS, self.prefix, self.html):
            directory.chmod(0o755)
        self.conf.write_text(
            f"""# Written by bench/run.py: the static ceiling, stopped when the benchmark ends.
{user}
worker_processes 2;
pid {self.pid_file};
error_log {self.error_log} warn;
events {{
    worker_connections 1024;
}}
http {{
    default_type application/json;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 30s;
    client_body_temp_path {self.prefix}/client_body;
    proxy_temp_path {self.prefix}/proxy;
    fastcgi_temp_path {self.prefix}/fastcgi;
    uwsgi_temp_path {self.prefix}/uwsgi;
    scgi_temp_path {self.prefix}/scgi;
    server {{
        listen 127.0.0.1:{self.port};
        root {self.html};
    }}
}}
"""
        )
        command = ["nginx", "-p", str(self.prefix), "-c", str(self.conf), "-e", str(self.error_log)]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise BenchError(f"the ceiling nginx did not start: {completed.stderr.strip()}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url(next(iter(files))), timeout=2).status_code == 200:
                    say(f"  ceiling nginx started on 127.0.0.1:{self.port} (pid {self.pid()})")
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise BenchError(f"the ceiling nginx on 127.0.0.1:{self.port} does not answer")

    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        pid = self.pid()
        if pid is None or not pid_alive(pid) or str(self.conf) not in command_line(pid):
            return
        os.kill(pid, signal.SIGQUIT)  # graceful: workers finish, master exits
        deadline = time.monotonic() + 10
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if pid_alive(pid):
            os.kill(pid, signal.SIGTERM)
        say(f"  ceiling nginx (pid {pid}) stopped")


def print_wrk(results: list[WrkResult], ceiling: WrkResult | None, floor: WrkResult | None = None) -> None:
    say()
    say(
        f"  {'endpoint':<36} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'sock err':>8} {'non-2xx':>7} {'t/o':>4} {'vs ceiling':>10} {'vs floor':>8}"
    )
    for result in results:
        ratio = f"{result.rps / ceiling.rps:.2%}" if ceiling and ceiling.rps else "-"
        to_floor = f"{result.rps / floor.rps:.1%}" if floor and floor.rps else "-"
        non2xx = str(result.non2xx) if result.non2xx is not None else f"{result.status_errors}*"
        say(
            f"  {result.name:<36} {result.rps:>8.1f} {result.p50_ms:>7.1f} {result.p95_ms:>7.1f} "
            f"{result.p99_ms:>7.1f} {result.socket_errors:>8} {non2xx:>7} {result.timeouts:>4} {ratio:>10} {to_floor:>8}"
        )
        if result.created is not None:
            say(
                f"  {'':<36} {result.created / result.seconds:>8.1f} acknowledged creates/s "
                f"({result.created} created, {result.requests - result.created} not)"
            )
    say("  req/s counts every answer; * = wrk's own count of answers >= 400 (no per-answer hook there).")
    say()
    groups = ["app1", "app2", "app3", "db1", "db2", "db3", "nginx", "supervisord", "ceiling nginx", "wrk"]
    say(
        "  Where the time goes: CPU milliseconds per request, by process (2 cores = 2000 ms of CPU per second)"
    )
    say(
        f"  {'endpoint':<36} "
        + " ".join(f"{group.split()[0][:7]:>7}" for group in groups)
        + f" {'total':>6} {'boots':>5} {'cpu cap/s':>9}"
    )
    for result in results:
        cells = " ".join(
            f"{result.cpu_ms[group]:>7.2f}" if group in result.cpu_ms else f"{'-':>7}" for group in groups
        )
        total = sum(result.cpu_ms.values())
        cap = f"{2000 / total:>9.0f}" if total else f"{'-':>9}"
        say(f"  {result.name:<36} {cells} {total:>6.2f} {result.worker_boots:>5} {cap}")
    say(
        "  appN = its gunicorn master and workers (workers recycled meanwhile included); superv = supervisord\n"
        "  writing the logs; boots = gunicorn workers started during the run (max_requests recycling: each\n"
        "  boot re-imports Django); cpu cap/s = 2000 / total: the rate at which this endpoint's work, load\n"
        "  generator included, would fill both cores (wrk cannot reach it: some time is spent waiting)."
    )
    if any(result.non2xx or result.status_errors or result.socket_errors for result in results):
        say("  Some answers were errors: .state/logs/nginx-access.log has each request's status and node.")


# --- SQL statements per request ---------------------------------------------------------------


class Counters:
    """Global status counters of the three MariaDB servers, over one open connection each."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.connections: dict[str, Any] = {}
        self.connect()

    def connect(self) -> None:
        self.close()
        self.connections = {
            name: MySQLdb.connect(
                host="127.0.0.1",
                port=port,
                user=self.env.get("DB_ADMIN_USER", "salas_admin"),
                password=self.env.get("DB_ADMIN_PASSWORD", ""),
                connect_timeout=5,
                autocommit=True,
            )
            for name, port in DB_PORTS.items()
        }

    def snapshot(self) -> dict[str, dict[str, int]]:
        names = ", ".join(f"'{name}'" for name in STATUS_COUNTERS)
        values: dict[str, dict[str, int]] = {}
        for name, connection in self.connections.items():
            with connection.cursor() as cursor:
                cursor.execute(f"SHOW GLOBAL STATUS WHERE Variable_name IN ({names})")
                values[name] = {key: int(value) for key, value in cursor.fetchall()}
        return values

    def scalar(self, db: str, sql: str) -> str:
        with self.connections[db].cursor() as cursor:
            cursor.execute(sql)
            return str(cursor.fetchone()[0] or "")

    def wait_replicated(self, timeout: float = 60.0) -> bool:
        """Wait until db2 and db3 have applied everything db1 has written (GTID positions)."""

        def gtids(value: str) -> set[str]:
            return {part.strip() for part in value.split(",") if part.strip()}

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            primary = gtids(self.scalar("db1", "SELECT @@GLOBAL.gtid_binlog_pos"))
            if all(
                primary <= gtids(self.scalar(db, "SELECT @@GLOBAL.gtid_slave_pos")) for db in ("db2", "db3")
            ):
                return True
            time.sleep(0.2)
        return False

    def close(self) -> None:
        for connection in self.connections.values():
            with contextlib.suppress(MySQLdb.Error):  # already dropped: nothing to close
                connection.close()
        self.connections = {}


def delta(after: dict[str, dict[str, int]], before: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {db: {key: after[db][key] - before[db][key] for key in after[db]} for db in after}


@dataclass
class SqlResult:
    name: str
    requests: int
    seconds: float
    per_request: dict[str, float]  # Questions per request, per server
    select_per_request: float  # Com_select, all servers
    writes_per_request: float  # WRITE_COUNTERS on the primary (db1)

    @property
    def total(self) -> float:
        return sum(self.per_request.values())


class CountersReset(Exception):
    """The measurement cannot be trusted: a server restarted or a connection dropped."""


def measure_sql(counters: Counters, name: str, call: Any, requests_count: int) -> SqlResult:
    """Statements per request of `call`, less what the same time idle costs."""
    before = counters.snapshot()
    started = time.monotonic()
    for _ in range(requests_count):
        call()
    elapsed = time.monotonic() - started
    busy = delta(counters.snapshot(), before)
    idle_start = counters.snapshot()
    time.sleep(elapsed)
    idle = delta(counters.snapshot(), idle_start)
    if any(value < 0 for counts in (*busy.values(), *idle.values()) for value in counts.values()):
        raise CountersReset("a database server restarted during the measurement (its counters went back)")

    def per_request(db: str, key: str) -> float:
        return (busy[db][key] - idle[db][key]) / requests_count

    return SqlResult(
        name=name,
        requests=requests_count,
        seconds=elapsed,
        per_request={db: per_request(db, "Questions") for db in DB_PORTS},
        select_per_request=sum(per_request(db, "Com_select") for db in DB_PORTS),
        # On the replicas these counters also count the rows replication applies.
        writes_per_request=sum(per_request("db1", key) for key in WRITE_COUNTERS),
    )


def sql_endpoints(writer: Api, reader: Api, probe: str) -> list[tuple[str, Any]]:
    def get(path: str, status: int = 200) -> Any:
        def call() -> None:
            expect(reader.get(path, allow_redirects=False), status, f"GET {path}")

        return call

    numbers = iter(range(1_000_000))

    def create() -> None:
        writer.create_room(f"{SQL_PREFIX}-{next(numbers)}")

    return [
        ("GET /api/status", get("/api/status")),
        ("GET /auth/me", get("/auth/me")),
        (f"GET /sala/all?page_size={LIST_ROOMS}", get(f"/sala/all?page_size={LIST_ROOMS}")),
        ("GET /sala/all?q=<probe>", get(f"/sala/all?q={probe}")),
        ("GET /sala/codigo/<codigo>", get(f"/sala/codigo/{probe}")),
        ("GET /dashboard (page)", get("/dashboard")),
        ("GET /salas/<codigo>/ (page)", get(f"/salas/{probe}/")),
        ("POST /sala/create", create),
    ]


def print_sql(results: list[SqlResult]) -> None:
    say()
    say(
        f"  {'endpoint':<32} {'db1':>6} {'db2':>6} {'db3':>6} {'total':>6} {'SELECT':>7} {'db1 wr':>7} "
        f"{'ms/req':>7}"
    )
    for result in results:
        say(
            f"  {result.name:<32} {result.per_request['db1']:>6.2f} {result.per_request['db2']:>6.2f} "
            f"{result.per_request['db3']:>6.2f} {result.total:>6.2f} {result.select_per_request:>7.2f} "
            f"{result.writes_per_request:>7.2f} {1000 * result.seconds / result.requests:>7.1f}"
        )
    say(
        "  Statements per request: MariaDB's global Questions counter on db1..db3 (total = their sum),\n"
        "  SELECT = Com_select on all three, db1 wr = Com_insert(_select)+update+delete on the primary; ms/req is\n"
        "  the sequential latency. N sequential requests through nginx (spread 3:2:1 over app1..app3,\n"
        "  which read db1, db2, db3), after the replicas caught up with db1. An idle interval of the same\n"
        "  length, measured right after, is subtracted: it removes traffic-independent background queries\n"
        "  (status probes, other clients). Each worker's health check of its replica and the primary (at\n"
        "  most one per second, made only when requests arrive) is NOT removed: it is spread over that\n"
        "  second's requests. Reads use a client without a salas_gtid cookie (no read-your-writes wait),\n"
        "  like a user whose writes have replicated."
    )


# --- memory -------------------------------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def gunicorn_master(app: str, port: int) -> int | None:
    pid = read_pid(ROOT / ".state" / "run" / f"{app}.pid")
    if pid:
        return pid
    found = subprocess.run(
        ["pgrep", "-f", f"gunicorn.*127.0.0.1:{port}"], capture_output=True, text=True, check=False
    ).stdout.split()
    pids = {int(p) for p in found}
    # The master is the one whose parent is not itself a match.
    masters = [p for p in pids if not any(p in children(q) for q in pids)]
    return min(masters) if masters else None


def process_cpu(pid: int, *, with_children: bool = False) -> float:
    """CPU seconds (user + system) of a process, plus those of its reaped children if asked."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if with_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


def is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def cpu_seconds(extra_pids: dict[str, int] | None = None) -> dict[str, float]:
    """CPU seconds so far of each cluster process group (a master with its workers, a server)."""
    # A worker that exited but is not reaped yet shows no CPU time, and its master has not
    # counted it either: give the masters a moment to reap (they do within a second).
    masters = [pid for pid in service_pids().values() if pid]
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and any(is_zombie(child) for pid in masters for child in children(pid)):
        time.sleep(0.1)
    cpu: dict[str, float] = {}
    for name, pid in service_pids().items():
        if pid is None:
            continue
        # A worker's time moves into its master's children time when it exits: no loss.
        cpu[name] = process_cpu(pid, with_children=True) + sum(process_cpu(child) for child in children(pid))
    for name, pid in (extra_pids or {}).items():
        if pid:
            cpu[name] = process_cpu(pid, with_children=True) + sum(
                process_cpu(child) for child in children(pid)
            )
    # supervisord copies what the nodes and nginx print (errors; access lines only with
    # GUNICORN_ACCESS_LOG=1) into .state/logs.
    # Its own time only: its children are the cluster processes, counted above.
    supervisord = read_pid(ROOT / ".state" / "run" / "supervisord.pid")
    if supervisord:
        cpu["supervisord"] = process_cpu(supervisord)
    return cpu


def app_log_sizes() -> dict[str, int]:
    sizes = {}
    for app in APPS:
        with contextlib.suppress(OSError):
            sizes[app] = (ROOT / ".state" / "logs" / f"{app}.log").stat().st_size
    return sizes


def worker_boots_since(sizes: dict[str, int]) -> int:
    """gunicorn 'Booting worker' lines the node logs gained since `sizes` was taken."""
    total = 0
    for app in APPS:
        log = ROOT / ".state" / "logs" / f"{app}.log"
        with contextlib.suppress(OSError), log.open("rb") as handle:
            offset = sizes.get(app, 0)
            handle.seek(offset if offset <= log.stat().st_size else 0)  # rotated: from the start
            total += sum(1 for line in handle if b"Booting worker" in line)
    return total


def service_pids() -> dict[str, int | None]:
    """The pid of each long-lived cluster process; a change means a restart."""
    pids: dict[str, int | None] = {}
    for number, app in enumerate(APPS):
        pids[app] = gunicorn_master(app, 5000 + number)
    for db in DB_PORTS:
        pids[db] = read_pid(ROOT / ".state" / db / "mysqld.pid")
    pids["nginx"] = read_pid(ROOT / ".state" / "nginx" / "nginx.pid")
    return pids


def measure_memory() -> dict[str, Any]:
    nodes: dict[str, Any] = {}
    for number, app in enumerate(APPS):
        master = gunicorn_master(app, 5000 + number)
        if master is None:
            raise BenchError(f"no gunicorn master found for {app}")
        workers = children(master)
        nodes[app] = {
            "master_pid": master,
            "master_kib": rss_kib(master),
            "workers_kib": {pid: rss_kib(pid) for pid in workers},
        }
    others: dict[str, int] = {}
    for db in DB_PORTS:
        pid = read_pid(ROOT / ".state" / db / "mysqld.pid")
        if pid:
            others[db] = rss_kib(pid)
    nginx = read_pid(ROOT / ".state" / "nginx" / "nginx.pid")
    if nginx:
        others["nginx"] = rss_kib(nginx) + sum(rss_kib(pid) for pid in children(nginx))
    return {"nodes": nodes, "others": others}


def print_memory(label: str, memory: dict[str, Any]) -> None:
    say(f"  {label}:")
    for app, node in memory["nodes"].items():
        workers = node["workers_kib"]
        total = node["master_kib"] + sum(workers.values())
        worker_text = ", ".join(f"{kib / 1024:.1f}" for kib in workers.values())
        say(
            f"    {app}: {total / 1024:7.1f} MiB = master {node['master_kib'] / 1024:.1f} "
            f"+ {len(workers)} workers [{worker_text}] MiB"
        )
    others = ", ".join(f"{name} {kib / 1024:.1f}" for name, kib in memory["others"].items())
    say(f"    others (MiB): {others}")


# --- main ------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default=topology.NGINX_URL, help="the balancer (loopback only)")
    parser.add_argument("--users", type=int, default=20, help="locust users (default 20)")
    parser.add_argument(
        "--spawn-rate", type=float, default=10, help="locust users started per second (default 10)"
    )
    parser.add_argument("--run-time", default="30s", help="locust run time, e.g. 30s, 2m (default 30s)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per endpoint (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2, one per core)")
    parser.add_argument(
        "--sql-requests", type=int, default=100, help="sequential requests per endpoint for SQL counts"
    )
    parser.add_argument("--ceiling-port", type=int, default=8090, help="port of the static ceiling nginx")
    parser.add_argument(
        "--floor-port", type=int, default=8091, help="port of the floor's nginx (bare WSGI on gunicorn)"
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=("locust", "wrk", "sql", "booking", "memory"),
        help="leave a step out",
    )
    parser.add_argument(
        "--keep-rooms", action="store_true", help="keep the rooms the wrk and SQL steps created"
    )
    parser.add_argument(
        "--check-locust",
        action="store_true",
        help="exit with Locust's threshold exit code when it is non-zero",
    )
    args = parser.parse_args()
    require_loopback(args.host)
    if args.users < 1 or args.duration < 1 or args.connections < 1 or args.sql_requests < 1:
        parser.error("users, duration, connections and sql-requests must be positive")
    return args


def main() -> int:
    args = parse_args()
    REPORTS.mkdir(exist_ok=True)
    errors: list[str] = []
    results: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "args": vars(args)}
    locust_code = 0

    def step(name: str, function: Any) -> Any:
        if name in args.skip:
            return None
        try:
            return function()
        except (
            BenchError,
            requests.RequestException,
            MySQLdb.Error,
            OSError,
            subprocess.SubprocessError,
        ) as exc:
            errors.append(f"{name}: {exc}")
            say(f"  ERROR in {name}: {exc}")
            return None

    heading("cluster")
    try:
        status = wait_for_cluster(args.host)
    except BenchError as exc:
        say(f"  ERROR: {exc}")
        return 1
    say(f"  {args.host}/api/status: {status.get('status')} (answered by {status.get('node')})")
    say(f"  load average before: {load_average()} (2 cores; anything else running skews every number)")
    pids_before = service_pids()

    if "memory" not in args.skip:
        heading("memory before the load (RSS)")
        memory_before = step("memory", measure_memory)
        if memory_before:
            print_memory("before", memory_before)
            results["memory_before"] = memory_before

    if "locust" not in args.skip:
        heading(f"locust: {args.users} users, spawn rate {args.spawn_rate}/s, {args.run_time}")
        locust = step("locust", lambda: run_locust(args))
        if locust:
            print_locust(locust)
            locust_code = locust.exit_code
            results["locust"] = {"exit_code": locust.exit_code, "stats": locust.rows}

    api = Api(args.host)
    heading("bench user and rooms")
    prepared = step("prepare", lambda: prepare(api))
    if prepared is None:
        say("  cannot go on without the bench user and its rooms")
        return finish(errors, results, args, locust_code)
    list_body, probe = prepared
    reader = api.reader()

    # Sequential SQL counts first, on a quiet cluster; then the saturating wrk runs.
    if "sql" not in args.skip:
        heading(f"SQL statements per request ({args.sql_requests} sequential requests each)")
        sql_results = step("sql", lambda: run_sql_suite(args, api, reader, probe))
        if sql_results:
            print_sql(sql_results)
            results["sql"] = [{**asdict(result), "total": result.total} for result in sql_results]

    if "wrk" not in args.skip:
        heading(
            f"wrk: {args.connections} connections, {args.threads} threads, {args.duration} s per endpoint"
        )
        wrk_results = step("wrk", lambda: run_wrk_suite(args, api, list_body))
        if wrk_results:
            results["wrk"] = [asdict(result) for result in wrk_results]

    if "booking" not in args.skip:
        heading(
            f"bookings under contention: {args.connections} connections over {booking.BOOK_ROOMS} rooms, "
            f"{args.duration} s"
        )
        booked = step("booking", lambda: run_booking(args, api))
        if booked:
            results["booking"] = booked

    if "memory" not in args.skip:
        heading("memory after the load (RSS)")
        memory_after = step("memory", measure_memory)
        if memory_after:
            print_memory("after", memory_after)
            results["memory_after"] = memory_after

    if not args.keep_rooms:
        heading("cleanup")
        deleted = step("cleanup", lambda: cleanup_rooms(api, (WRK_PREFIX, SQL_PREFIX)))
        if deleted is not None:
            say(f"  {deleted} rooms deleted; the {LIST_ROOMS} base rooms stay for the next run")

    restarted = sorted(name for name, pid in service_pids().items() if pid != pids_before[name])
    results["restarted_during_bench"] = restarted
    if restarted:
        say()
        say(
            f"  WARNING: {', '.join(restarted)} restarted during the benchmark (another test?): numbers are suspect"
        )
    return finish(errors, results, args, locust_code)


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def run_wrk_suite(args: argparse.Namespace, api: Api, list_body: bytes) -> list[WrkResult]:
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
    floor_tier = Floor(REPORTS / "bench-floor", args.floor_port)
    try:
        floor_tier.start(api.reader().get(list_path))
        floor = run_wrk(
            wrk,
            "floor: bare WSGI, same bytes",
            floor_tier.url(list_path),
            args,
            headers=(f"Cookie: {reader_cookie}",),
            extra_pids=floor_tier.pids(),
        )
    finally:
        floor_tier.stop()
    # A reader who wrote a moment ago: the write is replicated, its cookie still set.
    api.create_room(f"{WRK_PREFIX}-RYW")
    wait_replicas_applied(api.written_gtid())
    writer_cookie = api.cookie_header(with_gtid=True)
    results = [
        run_wrk(wrk, f"GET {list_path}", api.url(list_path), args, headers=(f"Cookie: {reader_cookie}",)),
        run_wrk(
            wrk,
            "  the same, read-your-writes cookie",
            api.url(list_path),
            args,
            headers=(f"Cookie: {writer_cookie}",),
        ),
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
        floor,
        ceiling,
    ]
    say(f"  (the ceiling serves the same {len(list_body)}-byte /sala/all body as a file; the floor")
    say("   returns the same bytes from a bare WSGI callable on the nodes' gunicorn settings, behind")
    say("   an nginx with the cluster's config)")
    print_wrk(results, ceiling, floor)
    return results


def wait_replicas_applied(gtid: str, timeout: float = 30) -> None:
    """Until db2 and db3 have applied `gtid` (MASTER_GTID_WAIT), so the cookie's write is replicated."""
    env = dotenv_values()
    for name in ("db2", "db3"):
        connection = MySQLdb.connect(
            host="127.0.0.1",
            port=DB_PORTS[name],
            user=env.get("DB_ADMIN_USER", "salas_admin"),
            password=env.get("DB_ADMIN_PASSWORD", ""),
            connect_timeout=5,
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT MASTER_GTID_WAIT(%s, %s)", [gtid, timeout])
                if cursor.fetchone()[0] != 0:
                    raise BenchError(f"{name} did not apply {gtid} within {timeout:.0f} s")
        finally:
            connection.close()


def run_booking(args: argparse.Namespace, api: Api) -> dict[str, Any]:
    """Confirmed bookings/s through nginx, then the overlapping confirmed pairs on every server."""
    wrk = ensure_wrk()
    codes = booking.prepare_rooms(api, expect)
    counters = Counters(dotenv_values())
    try:
        booking.delete_bookings(counters.connections)
        result = run_wrk(
            wrk,
            "POST /reserva/create",
            api.url("/reserva/create"),
            args,
            headers=(
                f"Cookie: {api.reader().cookie_header(with_gtid=False)}",
                f"X-CSRFToken: {api.session.cookies.get('csrftoken')}",
                "Content-Type: application/json",
            ),
            extra_env=booking.wrk_env(codes),
        )
        if not counters.wait_replicated():
            say("  warning: the replicas have not caught up with db1 after 60 s; counting anyway")
        doubles = booking.count_double_bookings(counters.connections)
        deleted = booking.delete_bookings(counters.connections)
    finally:
        counters.close()
    confirmed = result.created or 0
    refused = (result.non2xx or 0) + result.socket_errors
    say(
        f"  {confirmed / result.seconds:.1f} confirmed bookings/s ({confirmed} confirmed, {refused} not: "
        f"409 for a taken slot, or errors), {result.rps:.1f} req/s, p50 {result.p50_ms:.1f} ms, "
        f"p95 {result.p95_ms:.1f} ms"
    )
    say(f"  overlapping confirmed pairs afterwards: {doubles} (must be 0 everywhere)")
    say(f"  {deleted} bench bookings deleted again")
    if any(doubles.values()):
        raise BenchError(f"double bookings found: {doubles}")
    return {**asdict(result), "confirmed_per_s": confirmed / result.seconds, "double_bookings": doubles}


def run_sql_suite(args: argparse.Namespace, api: Api, reader: Api, probe: str) -> list[SqlResult]:
    counters = Counters(dotenv_values())
    try:
        results = []
        for name, call in sql_endpoints(api, reader, probe):
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    call()  # warm: a first request may open connections or fill caches
                    # Replication still applying earlier writes would count in the idle interval.
                    if not counters.wait_replicated():
                        say(
                            "  warning: the replicas have not caught up with db1 after 60 s; measuring anyway"
                        )
                    results.append(measure_sql(counters, name, call, args.sql_requests))
                    break
                except (CountersReset, MySQLdb.OperationalError, BenchError) as exc:
                    # Someone restarted a server meanwhile (a fault test?): start this endpoint again.
                    if attempt == ATTEMPTS:
                        raise BenchError(f"{name}: {exc} ({ATTEMPTS} attempts)") from exc
                    say(f"  {name}: {exc}; waiting for the cluster and measuring again")
                    wait_for_cluster(api.base)
                    time.sleep(2)
                    counters.connect()
            say(f"  {name}: done")
        return results
    finally:
        counters.close()


def finish(errors: list[str], results: dict[str, Any], args: argparse.Namespace, locust_code: int) -> int:
    results["errors"] = errors
    (REPORTS / "bench.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    heading("result")
    say("  results also in reports/bench.json")
    if errors:
        say(f"  {len(errors)} step(s) errored:")
        for error in errors:
            say(f"    - {error}")
        return 1
    if args.check_locust and locust_code != 0:
        say(f"  locust thresholds failed (exit code {locust_code}) and --check-locust is set")
        return locust_code
    say("  every step ran (numbers above are to watch, not pass/fail)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
