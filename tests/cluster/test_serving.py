"""The serving tier: seven services, idempotent `make up`, balance, stops and graceful restarts."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from cluster.topology import MONITOR, STATUS_ORDER
from tests.cluster.harness import DBS, NGINX, NODES, ROOT, status, table_checksum, wait_until
from tests.cluster.load import LoadRun

pytestmark = pytest.mark.usefixtures("healthy_cluster")

SERVICES = tuple(name for name in STATUS_ORDER if name != MONITOR)


def test_all_seven_services_run(healthy_cluster):
    for service in SERVICES:
        assert healthy_cluster.state(service) == "RUNNING", service
    for node, base in NODES.items():
        assert status(base)["node"] == node


def test_a_second_make_up_changes_nothing(healthy_cluster):
    pids = {service: healthy_cluster.pid(service) for service in SERVICES}
    checksums = {name: table_checksum(DBS[name]) for name in DBS}
    result = subprocess.run(
        ["make", "-s", "up"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "already running" in result.stdout
    assert {service: healthy_cluster.pid(service) for service in SERVICES} == pids
    assert {name: table_checksum(DBS[name]) for name in DBS} == checksums


def test_balance_is_three_two_one():
    result = subprocess.run(
        [sys.executable, "-m", "cluster", "balance", "--requests", "600"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "app1" in result.stdout and "balance within" in result.stdout


def test_stopped_node_leaves_traffic_all_200(healthy_cluster):
    healthy_cluster.stop("app2")
    nodes = set()
    for _ in range(60):
        response = requests.get(f"{NGINX}/api/status", timeout=10)
        assert response.status_code == 200
        nodes.add(response.headers["X-Node"])
    assert nodes == {"app1", "app3"}


def test_graceful_restart_under_load_fails_no_request(healthy_cluster):
    with LoadRun(readers=4, writers=2) as load:
        load.wait_for(100)
        before = healthy_cluster.pid("app1")
        result = subprocess.run(
            ["make", "-s", "restart", "SERVICE=app1"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        wait_until(lambda: status(NODES["app1"])["status"] == "ok", timeout=30, what="app1 after reload")
        load.wait_for(300)
    assert healthy_cluster.pid("app1") == before  # a reload, not a stop/start
    failures = [o for o in load.outcomes if o.status not in (200, 201)]
    assert failures == []
    assert any(o.node == "app1" for o in load.outcomes)
