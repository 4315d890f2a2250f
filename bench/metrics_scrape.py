#!/usr/bin/env python3
"""GET /metrics on each node: how long a scrape takes and how big it is (numbers in docs/observability.md).

    .venv/bin/python bench/metrics_scrape.py [--scrapes 50]

Sequential scrapes of each node's own port, as a Prometheus server would make them;
the first one per node is left out (it may run the health checks the others reuse).
Also times one counter increment in prometheus_client's multiprocess mode, the cost a
counted request pays.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import timeit
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import say  # noqa: E402
from cluster.topology import APPS  # noqa: E402


def scrape_times(url: str, scrapes: int) -> tuple[list[float], int]:
    session = requests.Session()
    session.get(url, timeout=10).raise_for_status()
    times, size = [], 0
    for _ in range(scrapes):
        started = time.perf_counter()
        response = session.get(url, timeout=10)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        size = len(response.content)
    return times, size


def counter_increment_us() -> float:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="salas-bench-metrics-")
    from prometheus_client import Counter

    counter = Counter("bench_reads", "bench", ["route", "reason"])
    runs = 200_000
    return (
        timeit.timeit(lambda: counter.labels(route="replica", reason="replica").inc(), number=runs)
        / runs
        * 1e6
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scrapes", type=int, default=50)
    args = parser.parse_args()
    say(f"{'node':<6} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'bytes':>7}")
    for app in APPS:
        times, size = scrape_times(f"{app.url}/metrics", args.scrapes)
        p95 = statistics.quantiles(times, n=20)[18]
        say(f"{app.name:<6} {statistics.median(times):>10.2f} {p95:>8.2f} {max(times):>8.2f} {size:>7}")
    say(f"one labelled counter increment (multiprocess mode): {counter_increment_us():.2f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
