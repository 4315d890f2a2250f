#!/usr/bin/env python3
"""CPU per request in-process, A/B between two checkouts, interleaved in one run.

    .venv/bin/python bench/cpu.py [--other-tree DIR] [--requests 3000] [--rounds 3] [--profile cumulative]
    .venv/bin/python bench/cpu.py --cases "/reservas/buscar/?fecha=2027-01-04&hora_inicio=10:00&hora_fin=12:00"

Each checkout runs as one child process with node app1's environment and settings
(the running cluster's databases, prometheus_client in multiprocess mode as under
gunicorn, the bench's minimal view as BENCH_VIEWS=1 serves it), its WSGI
application called directly: no socket, no gunicorn, no nginx, so what is measured
is Django's pipeline and the project's code. The children take turns (A, B, A,
B, ...) per case and round, so drift of a shared machine hits both alike. Printed:
process CPU time per request (time.process_time), best and median of the rounds.
--profile prints a cProfile of each case in the first tree (stderr). The other
checkout needs this one's .env (the same secret key and passwords) and compiled
messages; it may be an export of another branch (git archive). A case that starts
with "/" is a GET of that path and query as a page (Accept: text/html), signed in
as the reader; it must answer 200.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import say  # noqa: E402

CASES = ("reader", "reader+gtid", "reader 304", "minimal signed in", "minimal anonymous")
LIST = ("/sala/all", "page_size=100")
MINIMAL = ("/bench/minimal", "")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def environ(path: str, query: str, cookie: str, extra: dict[str, str]) -> dict[str, Any]:
    """A GET as nginx passes it to a node over its unix socket (HTTPS, no REMOTE_ADDR)."""
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT": "application/json",
        "HTTP_COOKIE": cookie,
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **extra,
    }


def call(application: WsgiApp, env: dict[str, Any]) -> tuple[str, dict[str, str]]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        answer["status"], answer["headers"] = status, dict(headers)

    result = application(env, start_response)
    b"".join(result)
    close = getattr(result, "close", None)
    if close is not None:
        close()
    return answer["status"], answer["headers"]


def request_for(application: WsgiApp, order: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The case's request (checked once), and the status it must answer."""
    case = order["case"]
    cookie = order["gtid_cookie"] if case == "reader+gtid" else order["cookie"]
    if case.startswith("/"):  # any page, as the signed-in reader
        path, _, query = case.partition("?")
        return environ(path, query, cookie, {"HTTP_ACCEPT": "text/html"}), "200"
    path, query = MINIMAL if case.startswith("minimal") else LIST
    extra = {}
    if case == "reader 304":
        etag = call(application, environ(path, query, cookie, {}))[1].get("ETag", "")
        extra["HTTP_IF_NONE_MATCH"] = etag
    if case == "minimal anonymous":
        cookie = ""
    return environ(path, query, cookie, extra), "304" if case == "reader 304" else "200"


def measure(application: WsgiApp, env: dict[str, Any], count: int, profile: str | None) -> float:
    profiler = cProfile.Profile(time.process_time) if profile else None
    started = time.process_time()
    if profiler is not None:
        profiler.enable()
    for _ in range(count):
        env["wsgi.input"].seek(0)
        call(application, dict(env))
    seconds = time.process_time() - started
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats(profile or "").print_stats(45)
    return seconds


def child() -> None:
    """Answer measurement orders read from stdin, one JSON line each, with the seconds they took."""
    # The checkout measured (the child's working directory), ahead of this one's.
    sys.path.insert(0, os.getcwd())
    import django
    from django.core.handlers.wsgi import WSGIHandler

    django.setup()
    import salas_project

    if Path(salas_project.__file__).resolve().parents[1] != Path.cwd().resolve():
        raise SystemExit(f"measuring {salas_project.__file__}, not {Path.cwd()}")
    application: WsgiApp = WSGIHandler()
    for line in sys.stdin:
        order = json.loads(line)
        env, expected = request_for(application, order)
        status = call(application, dict(env))[0]
        if not status.startswith(expected):
            reply: dict[str, Any] = {"error": f"{order['case']}: {status}"}
        else:
            reply = {"seconds": measure(application, env, order["n"], order.get("profile"))}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


def start_child(repo: Path, answer: Path) -> subprocess.Popen[str]:
    from bench import config

    settings = config.dotenv_values()
    topology_file = os.environ.get("TOPOLOGY_FILE") or settings.get("TOPOLOGY_FILE") or config.TOPOLOGY_FILE
    env = {
        **os.environ,
        **config.node_environment(config.CLUSTER_NODES[0], settings),
        "TOPOLOGY_FILE": str(config.CLUSTER_REPO / topology_file),
        "DJANGO_SETTINGS_MODULE": "salas_project.settings",
        "BENCH_VIEWS": "1",
        "FLOOR_ANSWER": str(answer),
        "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="salas-cpu-"),
        "PYTHONPATH": str(repo),
    }
    return subprocess.Popen(
        [sys.executable, __file__, "--child"],
        cwd=repo,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def ask(process: subprocess.Popen[str], order: dict[str, Any]) -> float:
    if process.stdin is None or process.stdout is None:
        raise SystemExit("the child has no pipes")
    process.stdin.write(json.dumps(order) + "\n")
    process.stdin.flush()
    reply = json.loads(process.stdout.readline())
    if "error" in reply:
        raise SystemExit(reply["error"])
    return float(reply["seconds"])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--other-tree", type=Path)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--cases", default=",".join(CASES), help=f"comma-separated, of {', '.join(CASES)} or /a/page?query"
    )
    parser.add_argument(
        "--profile", metavar="SORT", help="cProfile each case in the first tree, sorted by SORT"
    )
    args = parser.parse_args()
    if args.child:
        child()
        return 0
    from bench.api import Api
    from bench.config import BALANCER
    from bench.rooms import prepare

    api = Api(BALANCER)
    prepare(api)
    cookies = {
        "cookie": api.reader().cookie_header(with_gtid=False),
        "gtid_cookie": api.cookie_header(with_gtid=True),
    }
    recorded = Path(tempfile.mkdtemp(prefix="salas-cpu-answer-")) / "answer.json"
    recorded.write_text(json.dumps({"body": api.get(f"{LIST[0]}?{LIST[1]}").content.hex(), "headers": []}))
    trees = [ROOT] + ([args.other_tree.resolve()] if args.other_tree else [])
    children = [start_child(tree, recorded) for tree in trees]
    cases = args.cases.split(",")
    times: dict[tuple[int, str], list[float]] = {}
    try:
        for _ in range(args.rounds):
            for case in cases:
                for index, process in enumerate(children):
                    order = {
                        "case": case,
                        "n": args.requests,
                        **cookies,
                        "profile": index == 0 and args.profile,
                    }
                    times.setdefault((index, case), []).append(ask(process, order) / args.requests * 1e3)
    finally:
        for process in children:
            if process.stdin is not None:
                process.stdin.close()
            process.wait()
    say(
        f"load average {os.getloadavg()[0]:.1f}; ms of CPU per request, best / median of {args.rounds} rounds"
    )
    width = max(20, *(len(case) for case in cases))
    say(f"  {'case':{width}}" + "".join(f"{tree.name:>22}" for tree in trees))
    for case in cases:
        row = "".join(
            f"{min(times[i, case]):>11.3f} / {statistics.median(times[i, case]):<8.3f}"
            for i in range(len(trees))
        )
        say(f"  {case:{width}}{row}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
