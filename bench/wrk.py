"""The wrk runner: wrk installed when missing, one run of one URL, its numbers as a WrkResult.

bench/wrk.lua prints the percentiles, the non-2xx and 201 counts as one JSON line; around the
run the CPU time of every cluster process group (bench/procfs.py) and of wrk itself is read,
so that each result also says where the time went, per request.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
from dataclasses import dataclass, field

from bench.common import BenchError, require_loopback, say
from bench.config import WRK_LUA
from bench.procfs import app_log_sizes, cpu_seconds, worker_boots_since


@dataclass
class WrkResult:
    name: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    status_errors: int  # wrk's own count: answers >= 400
    timeouts: int
    non2xx: int | None = None  # counted by bench/wrk.lua, None for the ceiling
    created: int | None = None  # POST runs: 201 answers
    cpu_ms: dict[str, float] = field(default_factory=dict)  # CPU ms per request, by process group
    worker_boots: int = 0  # gunicorn workers started during the run (max_requests recycling)


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    say("  wrk is not installed: installing the Debian package `wrk` with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "wrk"]
    if subprocess.run(install, env=env, check=False).returncode != 0:
        say("  apt-get install failed: refreshing the package lists (apt-get update) and retrying")
        subprocess.run(["apt-get", "update"], env=env, check=False)
        if subprocess.run(install, env=env, check=False).returncode != 0:
            raise BenchError("could not install wrk (apt-get install wrk)")
    path = shutil.which("wrk")
    if not path:
        raise BenchError("wrk is still not on PATH after apt-get install")
    return path


def run_wrk(
    wrk: str,
    name: str,
    url: str,
    args: argparse.Namespace,
    *,
    headers: tuple[str, ...] = (),
    create_prefix: str | None = None,
    count_status: bool = True,
    extra_pids: dict[str, int] | None = None,
    extra_env: dict[str, str] | None = None,
    expected_status: int | None = None,
) -> WrkResult:
    require_loopback(url)
    command = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_LUA),
    ]
    for header in headers:
        command += ["-H", header]
    command.append(url)
    env = dict(os.environ)
    env.pop("WRK_CREATE_PREFIX", None)
    env.pop("WRK_COUNT_STATUS", None)
    env.pop("WRK_EXPECTED_STATUS", None)
    if expected_status is not None:
        env["WRK_EXPECTED_STATUS"] = str(expected_status)
    if create_prefix:
        env["WRK_CREATE_PREFIX"] = create_prefix
    if count_status:
        env["WRK_COUNT_STATUS"] = "1"
    env.update(extra_env or {})
    say(f"  {name}: {args.connections} connections, {args.duration} s ...")
    cpu_before, log_sizes = cpu_seconds(extra_pids), app_log_sizes()
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=args.duration + 60, check=False
    )
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = {group: value - cpu_before.get(group, 0.0) for group, value in cpu_seconds(extra_pids).items()}
    cpu["wrk"] = (wrk_after.ru_utime + wrk_after.ru_stime) - (wrk_before.ru_utime + wrk_before.ru_stime)
    boots = worker_boots_since(log_sizes)
    line = next((line for line in completed.stdout.splitlines() if line.startswith("WRKJSON ")), None)
    if completed.returncode != 0 or line is None:
        raise BenchError(
            f"wrk failed for {name} (exit {completed.returncode}): {completed.stderr or completed.stdout}"
        )
    data = json.loads(line.removeprefix("WRKJSON "))
    seconds = data["duration_us"] / 1e6
    result = WrkResult(
        name=name,
        requests=int(data["requests"]),
        seconds=seconds,
        rps=data["requests"] / seconds if seconds else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        socket_errors=int(data["connect_errors"] + data["read_errors"] + data["write_errors"]),
        status_errors=int(data["status_errors"]),
        timeouts=int(data["timeouts"]),
        cpu_ms={group: 1000 * value / data["requests"] for group, value in cpu.items()}
        if data["requests"]
        else {},
        worker_boots=boots,
    )
    if data["non2xx"] >= 0:
        result.non2xx = int(data["non2xx"])
    if create_prefix or extra_env:
        result.created = int(data["created"])
    return result
