#!/usr/bin/env python3
"""Paired runs of GET /sala/all on two versions of the nodes: this checkout's and another's.

    .venv/bin/python bench/pipeline.py --other-tree /tmp/salas-b [--rounds 2] [--duration 8]

Each version runs as three gunicorn instances with the nodes' own environment
and settings (app1..app3: same replicas, workers, threads) behind an nginx
rendered from the cluster's template (bench/floor.py), against the running
cluster's databases; the bare-WSGI floor runs in the same rounds. Rounds
alternate A, B, floor, so drift of the machine hits all of them alike. B is
another checkout's nodes (--other-tree), for example main against a branch.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api import Api  # noqa: E402
from bench.common import require_loopback, say  # noqa: E402
from bench.config import BALANCER, LIST_ROOMS, PIPELINE_PORTS, REPORTS  # noqa: E402
from bench.floor import Floor  # noqa: E402
from bench.rooms import prepare  # noqa: E402
from bench.wrk import ensure_wrk  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--other-tree", type=Path, required=True, help="B: another checkout's nodes")
    parser.add_argument("--host", default=BALANCER)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    require_loopback(args.host)
    other = args.other_tree.resolve()
    if not (other / "salas_project" / "wsgi.py").is_file():
        parser.error(f"{other} is not a salas checkout")
    shutil.copy(ROOT / ".env", other / ".env")  # same secret key: the same session cookies verify
    version_b = Floor(
        REPORTS / "pipeline-b", PIPELINE_PORTS[1], "salas_project.wsgi:application", as_nodes=True, repo=other
    )
    name_b = f"B: {other.name}"
    api = Api(args.host)
    prepare(api)
    reader = api.reader()
    path = f"/sala/all?page_size={LIST_ROOMS}"
    cookie = reader.cookie_header(with_gtid=False)
    # The signed-in writer's view (its read-your-writes cookie): every room prepare() made, which
    # a reader without writes may be shown up to STATE_RECHECK_SECONDS later.
    answer = api.get(path)
    wrk = ensure_wrk()
    tiers = {
        "A: the nodes' application": Floor(
            REPORTS / "pipeline-a", PIPELINE_PORTS[0], "salas_project.wsgi:application", as_nodes=True
        ),
        name_b: version_b,
        "floor": Floor(REPORTS / "pipeline-floor", PIPELINE_PORTS[2]),
    }
    # Per round: req/s, p99 ms, and the CPU ms per request of the tier's gunicorn processes.
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in tiers}
    for round_number in range(1, args.rounds + 1):
        for name, tier in tiers.items():
            try:
                tier.start(answer, check=path, cookie=cookie)
                # Warm every worker's caches before measuring.
                for _ in range(200):
                    reader.session.get(tier.url(path), timeout=10)
                result = tier.measure(wrk, f"round {round_number} {name}", path, args, cookie=cookie)
            finally:
                tier.stop()
            if result.non2xx:
                say(f"  WARNING: {result.non2xx} answers were not 2xx")
            gunicorn_ms = sum(ms for group, ms in result.cpu_ms.items() if "gunicorn" in group)
            results[name].append((result.rps, result.p99_ms, gunicorn_ms))
    say()
    say("  req/s, p99 latency and gunicorn's CPU per request (ms) of each version, round by round")
    say(f"  {'version':<28} " + " ".join(f"{'round ' + str(i):>28}" for i in range(1, args.rounds + 1)))
    for name, rows in results.items():
        cells = " ".join(f"{rps:>6.0f} req/s p99 {p99:>4.0f} {cpu:.2f} ms" for rps, p99, cpu in rows)
        say(f"  {name:<28} {cells}")
    for index in range(args.rounds):
        a, b, floor = (results[n][index][0] for n in tiers)
        say(f"  round {index + 1}: B/A = {b / a:.3f}; A = {a / floor:.1%} of the floor, B = {b / floor:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
