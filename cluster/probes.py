"""Whether a service answers (SQL over its socket, HTTP on its port), and starting services
and waiting until they do."""

from __future__ import annotations

import http.client
import secrets
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from cluster.layout import Layout
from cluster.paths import log_file, shown
from cluster.shell import ensure_port_free, wait_for
from cluster.supervisor import Supervisor
from cluster.topology import HOST, Database, database, service_port


def mariadb_root(
    layout: Layout, db: Database, sql: str, timeout: float = 10
) -> subprocess.CompletedProcess[str]:
    """Run SQL as root over the instance's unix socket."""
    cmd = [
        "mariadb",
        "--no-defaults",
        "--protocol=socket",
        f"--socket={layout.socket(db)}",
        "--user=root",
        "--batch",
        "--skip-column-names",
        "--connect-timeout=2",
    ]
    return subprocess.run(cmd, input=sql, capture_output=True, text=True, timeout=timeout, check=False)


def db_answers(layout: Layout, db: Database) -> bool:
    try:
        return mariadb_root(layout, db, "SELECT 1;", timeout=5).returncode == 0
    except subprocess.TimeoutExpired:
        return False


@dataclass(frozen=True)
class HttpResult:
    status: int
    node: str | None
    millis: float


def http_get(port: int, path: str = "/api/status", timeout: float = 3.0) -> HttpResult:
    """GET on 127.0.0.1; raises OSError when nothing answers."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    started = time.monotonic()
    try:
        conn.request("GET", path, headers={"X-Request-ID": f"cluster-{secrets.token_hex(6)}"})
        response = conn.getresponse()
        response.read()
        millis = (time.monotonic() - started) * 1000
        return HttpResult(response.status, response.getheader("X-Node"), millis)
    finally:
        conn.close()


def http_answers(port: int) -> bool:
    """Any HTTP answer means the server is up (health is judged separately)."""
    try:
        http_get(port, timeout=2.0)
    except OSError:
        return False
    return True


def readiness(layout: Layout, name: str) -> tuple[Callable[[], bool], str]:
    """How to tell a service answers (SQL over its socket, or HTTP), and its address."""
    if name.startswith("db"):
        db = database(name)
        return partial(db_answers, layout, db), f"{name} on {shown(layout.socket(db))}"
    port = service_port(name)
    if port is None:  # the monitor, which listens nowhere
        return (lambda: True), name
    return partial(http_answers, port), f"{name} on {HOST}:{port}"


def wait_ready(layout: Layout, sup: Supervisor, name: str, timeout: float = 90) -> None:
    """Wait until the service answers and supervisord counts it RUNNING (past startsecs)."""
    answers, what = readiness(layout, name)

    def ready() -> bool:
        return answers() and sup.state(name) == "RUNNING"

    wait_for(ready, timeout, what, log=log_file(name), failed=partial(sup.failure, name))


def start_and_wait(layout: Layout, sup: Supervisor, names: Sequence[str]) -> list[str]:
    """Start those not running (all at once), then wait for each; return the started."""
    started = []
    for name in names:
        if sup.state(name) != "RUNNING":
            port = service_port(name)
            if port is not None:
                ensure_port_free(port, name)
            sup.start(name)
            started.append(name)
    for name in names:
        wait_ready(layout, sup, name)
    return started
