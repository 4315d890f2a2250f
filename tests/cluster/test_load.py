"""A short headless Locust run through nginx: locustfile.py works and the cluster holds up.

20 users for 30 seconds on the 2-core machine the whole cluster shares. The run's own
thresholds (locustfile.py: failure ratio, p95) decide Locust's exit code; this test
also reads the CSV it wrote, so a run that quietly skipped an endpoint fails too.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest

from tests.cluster.harness import NGINX, ROOT

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("healthy_cluster")]

USERS = 20
RUN_SECONDS = 30
MAX_FAIL_RATIO = float(os.environ.get("LOCUST_MAX_FAIL_RATIO", "0.01"))
# Each simulated user must have reached every one of these (names as locustfile.py sets them).
MAIN_ENDPOINTS = (
    ("POST", "/auth/register"),
    ("GET", "/dashboard"),
    ("GET", "/sala/all"),
    ("GET", "/sala/all?q="),
    ("GET", "/sala/codigo/[codigo]"),
    ("GET", "/salas/[codigo]/"),
    ("POST", "/sala/create"),
    ("GET", "/sala/codigo/[codigo] (just created)"),
    ("POST", "/reserva/create"),
)


def test_headless_locust_run_meets_its_thresholds(tmp_path):
    prefix = tmp_path / "locust"
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(ROOT / "locustfile.py"),
        "--headless",
        "--users",
        str(USERS),
        "--spawn-rate",
        "10",
        "--run-time",
        f"{RUN_SECONDS}s",
        "--host",
        NGINX,
        "--only-summary",
        "--csv",
        str(prefix),
    ]
    run = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=RUN_SECONDS + 60, check=False
    )
    output = (run.stdout + run.stderr)[-6000:]
    assert run.returncode == 0, f"locust exited {run.returncode}:\n{output}"

    with (tmp_path / "locust_stats.csv").open(newline="") as handle:
        rows = {(row["Type"], row["Name"]): row for row in csv.DictReader(handle)}
    for endpoint in MAIN_ENDPOINTS:
        assert endpoint in rows, f"no request to {endpoint}:\n{output}"
        assert int(rows[endpoint]["Request Count"]) > 0, f"no request to {endpoint}"
    total = rows[("", "Aggregated")]
    requests_made = int(total["Request Count"])
    failures = int(total["Failure Count"])
    assert requests_made > 0
    assert failures / requests_made <= MAX_FAIL_RATIO, f"{failures}/{requests_made} failed:\n{output}"
