"""`balance`: send N requests through nginx and check the 3:2:1 split from the answers.

Lives beside topology.py, whose weights and nginx address it checks; it needs
no Django (the answering node comes from each response's X-Node header, or the
"node" of /api/status's JSON).
"""

from __future__ import annotations

import argparse
import http.client
import json
from collections import Counter
from urllib.parse import urlsplit

from cluster.console import ClusterError, say
from cluster.topology import NGINX_URL, WEIGHTS


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "balance",
        help="check nginx's 3:2:1 split",
        description=(
            "Send N requests to /api/status through nginx, count the answering node from each "
            "response, and fail if any request failed or a node is more than --tolerance points off."
        ),
    )
    parser.add_argument("--url", default=f"{NGINX_URL}/api/status")
    parser.add_argument("-n", "--requests", type=int, default=600)
    parser.add_argument("--tolerance", type=float, default=3.0, help="Percentage points.")
    parser.set_defaults(handler=cmd_balance)


def cmd_balance(args: argparse.Namespace) -> int:
    if args.requests < 1:
        raise ClusterError("--requests must be at least 1")
    parts = urlsplit(args.url)
    if not parts.hostname:
        raise ClusterError(f"--url needs a host: {args.url!r}")
    counts, failures = _count(parts.hostname, parts.port or 80, parts.path or "/", args.requests)
    _report(counts, failures, args.requests, args.tolerance)
    return 0


def _count(host: str, port: int, path: str, requests: int) -> tuple[Counter[str], Counter[str]]:
    counts: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    connection = http.client.HTTPConnection(host, port, timeout=10)
    for _ in range(requests):
        try:
            connection.request("GET", path, headers={"Accept": "application/json"})
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            failures[type(exc).__name__] += 1
            connection.close()
            continue
        node = response.getheader("X-Node") or _node_from_body(body)
        if response.status != 200 or not node:
            failures[f"HTTP {response.status}"] += 1
            continue
        counts[node] += 1
    connection.close()
    return counts, failures


def _report(counts: Counter[str], failures: Counter[str], total: int, tolerance: float) -> None:
    weight_sum = sum(WEIGHTS.values())
    say(f"{'node':6} {'answers':>8} {'share':>7} {'expected':>9} {'off':>6}")
    worst = 0.0
    for node in sorted({*WEIGHTS, *counts}):
        share = 100.0 * counts[node] / total
        expected = 100.0 * WEIGHTS.get(node, 0) / weight_sum
        worst = max(worst, abs(share - expected))
        say(f"{node:6} {counts[node]:8d} {share:6.1f}% {expected:8.1f}% {share - expected:+6.1f}")
    failed = sum(failures.values())
    say(f"failed requests: {failed}" + (f" ({dict(failures)})" if failed else ""))
    if failed:
        raise ClusterError(f"{failed} of {total} requests failed")
    if worst > tolerance:
        raise ClusterError(f"a node is {worst:.1f} points off its expected share (tolerance {tolerance})")
    say(f"balance within {tolerance} points (worst {worst:.1f})")


def _node_from_body(body: bytes) -> str | None:
    try:
        return json.loads(body).get("node")
    except (ValueError, AttributeError):
        return None
