"""Driving the compose stack from tests: docker-compose commands, health, addresses."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from cluster.compose import nginx_serves
from tests.cluster.harness import NGINX, ROOT, status, wait_until

NODES = ("app1", "app2", "app3")
ONE_SHOTS = ("setup_replication", "migrate")
LONG_RUNNING = ("db1", "db2", "db3", "app1", "app2", "app3", "monitor", "nginx")


def run(compose: list[str], *args: str, timeout: float = 600) -> str:
    result = subprocess.run(
        [*compose, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout


def container_id(compose: list[str], service: str) -> str:
    return run(compose, "ps", "-q", service).strip()


def inspect(compose: list[str], service: str) -> dict[str, Any]:
    output = subprocess.run(
        ["docker", "inspect", container_id(compose, service)], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output)[0]


def health(compose: list[str], service: str) -> str:
    state = inspect(compose, service)["State"]
    return state.get("Health", {}).get("Status") or state["Status"]


def address(compose: list[str], service: str, network_suffix: str = "_frontend") -> str:
    networks = inspect(compose, service)["NetworkSettings"]["Networks"]
    return next(net["IPAddress"] for name, net in networks.items() if name.endswith(network_suffix))


def gateway(compose: list[str]) -> str:
    """The frontend network's gateway: where this machine's connections to a published port come from."""
    networks = inspect(compose, "nginx")["NetworkSettings"]["Networks"]
    return next(net["Gateway"] for name, net in networks.items() if name.endswith("_frontend"))


def up(compose: list[str]) -> float:
    """`up -d` and wait until nginx serves; the seconds it took."""
    started = time.monotonic()
    run(compose, "up", "-d")
    wait_until(nginx_serves, timeout=180, what="nginx serving /api/status")
    wait_until(lambda: status(NGINX)["status"] == "ok", timeout=60, what="status ok through nginx")
    return time.monotonic() - started


def report(message: str) -> None:
    """Numbers shown as the tests run (not asserted: 2 shared cores), and kept in .state/logs."""
    sys.__stdout__.write(f"\n    [compose] {message}")
    sys.__stdout__.flush()
    logs = ROOT / ".state" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / "compose-tests.log", "a") as log:
        log.write(f"{time.strftime('%H:%M:%S')} {message}\n")
