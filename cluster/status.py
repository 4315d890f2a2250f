"""`make status` and the end of `make up`: one row per service (supervisor state and a live
probe) and the URLs to open."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from cluster import monitor
from cluster.console import say
from cluster.layout import Layout
from cluster.paths import LOGS, log_file, shown
from cluster.probes import db_answers, http_get
from cluster.supervisor import Supervisor
from cluster.topology import APPS, HOST, MONITOR, NGINX_PORT, database, service_port


@dataclass(frozen=True)
class Row:
    name: str
    state: str
    pid: str
    uptime: str
    healthy: bool | None
    probe: str


def uptime(info: dict) -> str:
    if info["statename"] != "RUNNING":
        return "-"
    seconds = max(0, int(info["now"]) - int(info["start"]))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def probe(layout: Layout, name: str) -> tuple[bool, str]:
    if name.startswith("db"):
        started = time.monotonic()
        ok = db_answers(layout, database(name))
        millis = (time.monotonic() - started) * 1000
        return ok, f"SELECT 1 via socket {'ok' if ok else 'FAILED'} ({millis:.0f} ms)"
    port = service_port(name)
    if port is None:  # the monitor, which listens nowhere: its last decision
        return True, monitor.last_line(log_file(name))
    try:
        result = http_get(port)
    except OSError as error:
        return False, f"GET :{port}/api/status: {error}"
    via = f" via {result.node}" if name == "nginx" and result.node else ""
    text = f"GET :{port}/api/status -> {result.status}{via} ({result.millis:.0f} ms)"
    return result.status == 200, text


def status_row(layout: Layout, sup: Supervisor, name: str) -> Row:
    info = sup.info(name)
    running = info["statename"] == "RUNNING"
    healthy, text = probe(layout, name) if running else (None, "-")
    pid = str(info["pid"]) if running else "-"
    return Row(name, info["statename"], pid, uptime(info), healthy, text)


def print_rows(rows: Sequence[Row]) -> None:
    say(f"  {'service':<8} {'supervisor':<10} {'pid':>7}  {'uptime':>8}  health  probe")
    for row in rows:
        health = {True: "ok", False: "FAIL", None: "-"}[row.healthy]
        say(f"  {row.name:<8} {row.state:<10} {row.pid:>7}  {row.uptime:>8}  {health:<6}  {row.probe}")


def problems(rows: Sequence[Row], skip_django: bool) -> list[str]:
    """What is wrong; with the Django side skipped, apps stay down and nginx has no nodes."""
    found = []
    for row in rows:
        if skip_django and (row.name.startswith("app") or row.name == MONITOR):
            continue
        if row.state != "RUNNING":
            found.append(f"{row.name} is {row.state}")
        elif row.healthy is False and not (skip_django and row.name == "nginx"):
            found.append(f"{row.name}: {row.probe}")
    return found


def print_urls() -> None:
    base = f"http://{HOST}:{NGINX_PORT}"
    nodes = "  ".join(f"http://{HOST}:{app.port}/ ({app.name})" for app in APPS)
    say(f"  app      {base}/")
    say(f"  admin    {base}/admin/")
    say(f"  status   {base}/api/status")
    say(f"  nodes    {nodes}")
    say(f"  logs     {shown(LOGS)}/  (make logs SERVICE=app1 [FOLLOW=1])")
