"""The cluster's processes as /proc shows them: pids, restarts, CPU time, resident memory, worker boots.

Read-only: nothing here signals or starts a process. "Process group" means a long-lived
cluster process with its children (a gunicorn master and its workers, nginx and its workers).
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from pathlib import Path
from typing import Any

from bench import config
from bench.common import BenchError
from bench.config import (
    APP_PORTS,
    APPS,
    CLOCK_TICKS,
    DB_PORTS,
    NGINX_PID,
    SUPERVISORD_PID,
    app_log,
    app_pid_file,
    db_pid_file,
)

# --- one process ------------------------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def read_pid(path: Path) -> int | None:
    """The pid in a pid file, or None when the file is missing or that process is gone."""
    pid = config.read_pid(path)  # cluster.procfs: the one pid-file reader
    return pid if pid is not None and pid_alive(pid) else None


def process_cpu(pid: int, *, with_children: bool = False) -> float:
    """CPU seconds (user + system) of a process, plus those of its reaped children if asked."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if with_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# --- the cluster's processes -------------------------------------------------------------------


def gunicorn_master(app: str, port: int) -> int | None:
    pid = read_pid(app_pid_file(app))
    if pid:
        return pid
    found = subprocess.run(
        ["pgrep", "-f", f"gunicorn.*127.0.0.1:{port}"], capture_output=True, text=True, check=False
    ).stdout.split()
    pids = {int(p) for p in found}
    # The master is the one whose parent is not itself a match.
    masters = [p for p in pids if not any(p in children(q) for q in pids)]
    return min(masters) if masters else None


def service_pids() -> dict[str, int | None]:
    """The pid of each long-lived cluster process; a change means a restart."""
    pids: dict[str, int | None] = {}
    for app in APPS:
        pids[app] = gunicorn_master(app, APP_PORTS[app])
    for db in DB_PORTS:
        pids[db] = read_pid(db_pid_file(db))
    pids["nginx"] = read_pid(NGINX_PID)
    return pids


def group_cpu(pid: int) -> float:
    """CPU seconds of a process and its children, living or reaped."""
    # A worker's time moves into its master's children time when it exits: no loss.
    return process_cpu(pid, with_children=True) + sum(process_cpu(child) for child in children(pid))


def cpu_seconds(extra_pids: dict[str, int] | None = None) -> dict[str, float]:
    """CPU seconds so far of each cluster process group (a master with its workers, a server)."""
    # A worker that exited but is not reaped yet shows no CPU time, and its master has not
    # counted it either: give the masters a moment to reap (they do within a second).
    masters = [pid for pid in service_pids().values() if pid]
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and any(is_zombie(child) for pid in masters for child in children(pid)):
        time.sleep(0.1)
    cpu: dict[str, float] = {}
    for name, pid in service_pids().items():
        if pid is None:
            continue
        cpu[name] = group_cpu(pid)
    for name, pid in (extra_pids or {}).items():
        if pid:
            cpu[name] = group_cpu(pid)
    # supervisord copies what the nodes and nginx print (errors; access lines only with
    # GUNICORN_ACCESS_LOG=1) into .state/logs.
    # Its own time only: its children are the cluster processes, counted above.
    supervisord = read_pid(SUPERVISORD_PID)
    if supervisord:
        cpu["supervisord"] = process_cpu(supervisord)
    return cpu


def app_log_sizes() -> dict[str, int]:
    sizes = {}
    for app in APPS:
        with contextlib.suppress(OSError):
            sizes[app] = app_log(app).stat().st_size
    return sizes


def worker_boots_since(sizes: dict[str, int]) -> int:
    """gunicorn 'Booting worker' lines the node logs gained since `sizes` was taken."""
    total = 0
    for app in APPS:
        log = app_log(app)
        with contextlib.suppress(OSError), log.open("rb") as handle:
            offset = sizes.get(app, 0)
            handle.seek(offset if offset <= log.stat().st_size else 0)  # rotated: from the start
            total += sum(1 for line in handle if b"Booting worker" in line)
    return total


def measure_memory() -> dict[str, Any]:
    """RSS of each node (master and each worker), of each MariaDB server and of nginx, in KiB."""
    nodes: dict[str, Any] = {}
    for app in APPS:
        master = gunicorn_master(app, APP_PORTS[app])
        if master is None:
            raise BenchError(f"no gunicorn master found for {app}")
        workers = children(master)
        nodes[app] = {
            "master_pid": master,
            "master_kib": rss_kib(master),
            "workers_kib": {pid: rss_kib(pid) for pid in workers},
        }
    others: dict[str, int] = {}
    for db in DB_PORTS:
        pid = read_pid(db_pid_file(db))
        if pid:
            others[db] = rss_kib(pid)
    nginx = read_pid(NGINX_PID)
    if nginx:
        others["nginx"] = rss_kib(nginx) + sum(rss_kib(pid) for pid in children(nginx))
    return {"nodes": nodes, "others": others}
