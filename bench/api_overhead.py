#!/usr/bin/env python3
"""CPU time per JSON request of two versions of the code, in one process each, rounds interleaved.

    ip netns exec hN .venv/bin/python bench/api_overhead.py --other-tree /tmp/salas-b [--rounds 5]

Each round runs this checkout (A) and another checkout (B, e.g. the commit before the API
moved to django-ninja) in turn, each in a fresh process of this virtualenv against the running
cluster's databases: GET /sala/all (signed in, the page cache warm) and POST /sala/create
(a new room each time, deleted afterwards), through Django's whole middleware stack with the
test client. CPU time of the process (time.process_time), not wall-clock: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE_PREFIX = "BENCHAPI"


def measure(requests: int) -> dict[str, float]:
    """In the child: µs of CPU per request for each endpoint (the child's cwd is the tree measured)."""
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salas_project.settings")
    import django

    django.setup()
    from django.test import Client

    from accounts.models import User
    from salas.models import Sala

    user, _created = User.objects.get_or_create(
        username="bench-api", defaults={"email": "bench-api@example.com"}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    results = {}
    for _ in range(50):  # warm-up: imports, the page cache, connections
        assert client.get("/sala/all").status_code == 200  # noqa: S101 - the warm-up checks what it times
    started = time.process_time()
    for _ in range(requests):
        client.get("/sala/all")
    results["GET /sala/all"] = (time.process_time() - started) / requests * 1e6
    stamp = time.monotonic_ns() % 10**9

    def create(n: int) -> int:
        body = json.dumps({"nombre": "b", "codigo": f"{CODE_PREFIX}{stamp % 10**6}-{n}"[:20], "capacidad": 3})
        return client.post("/sala/create", body, content_type="application/json").status_code

    assert create(-1) == 201  # noqa: S101
    started = time.process_time()
    for n in range(requests // 4):
        create(n)
    results["POST /sala/create"] = (time.process_time() - started) / (requests // 4) * 1e6
    Sala.objects.filter(codigo__startswith=CODE_PREFIX).delete()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--other-tree", type=Path, help="B: another checkout")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        # Imports the measured tree's code (its cwd), not this checkout's.
        sys.stdout.write(json.dumps(measure(args.requests)) + "\n")  # the parent reads it
        return 0
    if args.other_tree is None:
        parser.error("--other-tree is required")
    sys.path.insert(0, str(ROOT))
    from bench.common import say

    other = args.other_tree.resolve()
    shutil.copy(ROOT / ".env", other / ".env")  # the same databases and secret
    trees = {"A (this checkout)": ROOT, f"B ({other.name})": other}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for round_number in range(1, args.rounds + 1):
        for name, tree in trees.items():
            out = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--child", "--requests", str(args.requests)],
                cwd=tree,
                capture_output=True,
                text=True,
                check=True,
            )
            runs[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
            figures = ", ".join(f"{k} {v:.0f}" for k, v in runs[name][-1].items())
            say(f"round {round_number} {name}: {figures} µs CPU/request")
    for endpoint in runs[next(iter(trees))][0]:
        a, b = (statistics.median(r[endpoint] for r in runs[name]) for name in trees)
        say(f"median {endpoint}: A {a:.0f}, B {b:.0f} µs CPU/request (A-B {a - b:+.0f} µs, {a / b - 1:+.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
