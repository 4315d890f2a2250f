"""Stopping the cluster: every service in order, then supervisord, then any process left
behind without it (known by its pid file and command line); removing state dirs."""

from __future__ import annotations

import os
import shutil
import signal
import time
from functools import partial
from pathlib import Path

from cluster.console import say
from cluster.layout import Layout
from cluster.procfs import command_line, pid_alive, pid_gone, read_pid
from cluster.shell import wait_for
from cluster.supervisor import Supervisor
from cluster.topology import APPS, DATABASES, STOP_ORDER


def leftover_processes(layout: Layout) -> list[tuple[str, int]]:
    """Cluster processes still alive without supervisord, known by pid file and command line."""
    candidates = {db.name: (layout.db_pid(db), str(layout.cnf(db))) for db in DATABASES}
    candidates |= {app.name: (layout.app_pid(app), str(layout.app_pid(app))) for app in APPS}
    candidates["nginx"] = (layout.nginx_pid, str(layout.nginx_conf))
    found = []
    for name in STOP_ORDER:
        if name not in candidates:
            continue  # the monitor has no pid file: supervisord alone runs it
        pid_file, marker = candidates[name]
        pid = read_pid(pid_file)
        if pid and pid_alive(pid) and marker in command_line(pid):
            found.append((name, pid))
    return found


def stop_leftovers(layout: Layout) -> None:
    for name, pid in leftover_processes(layout):
        say(f"  {name}: stopping leftover process {pid} (SIGTERM)")
        os.kill(pid, signal.SIGTERM)
        wait_for(partial(pid_gone, pid), 120, f"{name} (pid {pid}) to exit")


def stop_cluster(layout: Layout) -> None:
    sup = Supervisor(layout)
    if sup.is_up():
        for name in STOP_ORDER:
            started = time.monotonic()
            stopped = sup.stop(name)
            verdict = f"stopped ({time.monotonic() - started:.1f}s)" if stopped else "not running"
            say(f"  {name:<6} {verdict}")
        pid = sup.supervisord_pid()
        sup.shutdown()
        wait_for(partial(pid_gone, pid), 30, "supervisord to exit")
        say(f"  supervisord (pid {pid}) exited")
    else:
        say("  supervisord is not running")
    stop_leftovers(layout)


def remove_tree(path: Path) -> None:
    if path.is_symlink():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)
        say(f"  removed {path}")
