"""Send N requests through the balancer and check the 3:2:1 split from the answers."""

from __future__ import annotations

import http.client
import json
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cluster.topology import NGINX_URL, WEIGHTS

# nginx's weights (cluster/topology.py; the template repeats them).
EXPECTED_WEIGHTS = WEIGHTS


class Command(BaseCommand):
    help = (
        "Send N requests to /api/status through nginx, count the answering node from each "
        "response, and fail if any request failed or a node is more than --tolerance points off."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default=f"{NGINX_URL}/api/status")
        parser.add_argument("-n", "--requests", type=int, default=600)
        parser.add_argument("--tolerance", type=float, default=3.0, help="Percentage points.")

    def handle(self, *args: Any, url: str, requests: int, tolerance: float, **options: Any) -> None:
        if requests < 1:
            raise CommandError("--requests must be at least 1")
        parts = urlsplit(url)
        if not parts.hostname:
            raise CommandError(f"--url needs a host: {url!r}")
        path = parts.path or "/"
        counts: Counter[str] = Counter()
        failures: Counter[str] = Counter()
        connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=10)
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
        self._report(counts, failures, requests, tolerance)

    def _report(self, counts: Counter[str], failures: Counter[str], total: int, tolerance: float) -> None:
        weight_sum = sum(EXPECTED_WEIGHTS.values())
        self.stdout.write(f"{'node':6} {'answers':>8} {'share':>7} {'expected':>9} {'off':>6}")
        worst = 0.0
        for node in sorted({*EXPECTED_WEIGHTS, *counts}):
            share = 100.0 * counts[node] / total
            expected = 100.0 * EXPECTED_WEIGHTS.get(node, 0) / weight_sum
            worst = max(worst, abs(share - expected))
            self.stdout.write(
                f"{node:6} {counts[node]:8d} {share:6.1f}% {expected:8.1f}% {share - expected:+6.1f}"
            )
        failed = sum(failures.values())
        self.stdout.write(f"failed requests: {failed}" + (f" ({dict(failures)})" if failed else ""))
        if failed:
            raise CommandError(f"{failed} of {total} requests failed")
        if worst > tolerance:
            raise CommandError(f"a node is {worst:.1f} points off its expected share (tolerance {tolerance})")
        self.stdout.write(self.style.SUCCESS(f"balance within {tolerance} points (worst {worst:.1f})"))


def _node_from_body(body: bytes) -> str | None:
    try:
        return json.loads(body).get("node")
    except (ValueError, AttributeError):
        return None
