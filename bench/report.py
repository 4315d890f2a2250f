"""What the bench prints: the table of each step, and the run's verdict (with reports/bench.json).

Numbers are formatted here only; the steps measure and return dataclasses or dicts.
"""

from __future__ import annotations

import json
from typing import Any

from bench.common import heading, say
from bench.config import REPORTS
from bench.locust_run import LocustResult
from bench.sql import SqlResult
from bench.wrk import WrkResult


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


def finish_run(errors: list[str], results: dict[str, Any], *, check_locust: bool, locust_code: int) -> int:
    """Write reports/bench.json, print the verdict and return the exit code."""
    results["errors"] = errors
    (REPORTS / "bench.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    heading("result")
    say("  results also in reports/bench.json")
    if errors:
        say(f"  {len(errors)} step(s) errored:")
        for error in errors:
            say(f"    - {error}")
        return 1
    if check_locust and locust_code != 0:
        say(f"  locust thresholds failed (exit code {locust_code}) and --check-locust is set")
        return locust_code
    say("  every step ran (numbers above are to watch, not pass/fail)")
    return 0
