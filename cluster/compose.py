"""The Docker path's front door: `make compose-up`, `compose-test`, `compose-down`.

compose-up, in timed steps: .env (generated on first run, as `make up` does; every
secret docker-compose.yml needs must be set), a Docker engine (Debian's docker.io,
docker-compose and debootstrap installed when missing; dockerd started when none runs),
the base image (pulled, or made by docker/base-image.sh when no registry answers),
wheels built on the host for the images, the images, then `docker-compose up -d` and a
wait until nginx serves. A failed start removes what it started (`down`): no half-started
stack. compose-down stops the stack and the dockerd that compose-up started, if it did.

Standard library only, like the rest of the package.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from cluster.console import ClusterError, Progress, say
from cluster.envfile import ensure_env_file, read_env
from cluster.packages import install_missing
from cluster.paths import LOGS, REPO, STATE, VENV_BIN, shown
from cluster.shell import make_logs_dir, port_in_use, wait_for
from cluster.topology import APPS, DATABASES, HOST, NGINX_PORT, NGINX_URL

PROJECT = "salas"
BASE_IMAGE = os.environ.get("BASE_IMAGE", "debian:bookworm-slim")
COMPOSE_FILE = REPO / "docker-compose.yml"
DB_PORTS_FILE = REPO / "docker" / "compose.db-ports.yml"
WHEELS = REPO / "docker" / "wheels"
RUN_DIR = STATE / "compose"
DOCKERD_PID = RUN_DIR / "dockerd.pid"
DOCKERD_LOG = LOGS / "dockerd.log"
COMPOSE_LOG = LOGS / "compose.log"
# What docker-compose.yml interpolates with ${VAR:?}: compose refuses to start without them.
REQUIRED = (
    "DJANGO_SECRET_KEY",
    "DB_ADMIN_USER",
    "DB_ADMIN_PASSWORD",
    "REPLICATION_USER",
    "REPLICATION_PASSWORD",
    "DB_APP_PASSWORD",
    "DB_MIGRATE_PASSWORD",
)
# One service per image: the others share its tag (docker-compose.yml).
BUILT_SERVICES = ("db1", "nginx", "app1")
PACKAGES = ("docker.io", "docker-compose", "debootstrap")


def compose_command(db_ports: bool) -> list[str]:
    """docker compose (v2) where the plugin exists, else Debian's docker-compose (v1)."""
    if shutil.which("docker") and _quiet(["docker", "compose", "version"]):
        base = ["docker", "compose"]
    elif shutil.which("docker-compose"):
        base = ["docker-compose"]
    else:
        raise ClusterError(
            "docker-compose is missing: apt-get install docker-compose (make compose-up does it)"
        )
    files = ["-f", str(COMPOSE_FILE)] + (["-f", str(DB_PORTS_FILE)] if db_ports else [])
    return [*base, "--project-name", PROJECT, "--project-directory", str(REPO), *files]


def _quiet(cmd: Sequence[str], timeout: float = 20) -> bool:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=timeout, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _run(cmd: Sequence[str], what: str, *, timeout: float | None = None) -> None:
    """Run with the output appended to compose.log; on failure raise naming the log."""
    with COMPOSE_LOG.open("a") as log:
        log.write(f"\n$ {' '.join(cmd)}\n")
        log.flush()
        try:
            code = subprocess.run(
                cmd,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            ).returncode
        except subprocess.TimeoutExpired:
            raise ClusterError(f"{what}: no answer after {timeout:.0f}s", COMPOSE_LOG) from None
    if code:
        raise ClusterError(f"{what} failed (exit {code})", COMPOSE_LOG)


# --- .env ------------------------------------------------------------------------------


def ensure_secrets() -> str:
    result = ensure_env_file()
    env = read_env()
    empty = [key for key in REQUIRED if not env.get(key)]
    if empty:
        raise ClusterError(
            f".env has no value for {', '.join(empty)}: set it, or move .env away to have one generated"
        )
    return result


# --- the engine ------------------------------------------------------------------------


def engine_answers() -> bool:
    return _quiet(["docker", "info"], timeout=15)


def ensure_engine() -> str:
    missing = [
        name for name in ("dockerd", "docker", "docker-compose", "debootstrap") if not shutil.which(name)
    ]
    installed = ""
    if missing and not (shutil.which("docker") and engine_answers() and shutil.which("docker-compose")):
        if not shutil.which("apt-get") or os.geteuid() != 0:
            raise ClusterError(
                "no Docker engine here and no way to install one (needs root and apt-get): "
                "install docker.io and docker-compose, then run make compose-up again"
            )
        try:
            installed = install_missing(PACKAGES)
        except ClusterError as error:
            raise ClusterError(
                f"no Docker engine here and installing one failed ({error}): "
                "install docker.io and docker-compose by hand",
                error.log,
            ) from None
    if engine_answers():
        return "engine running" + (f"; {installed}" if installed else "")
    if not shutil.which("dockerd"):
        raise ClusterError("no dockerd here: apt-get install docker.io")
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    with DOCKERD_LOG.open("a") as log:
        subprocess.Popen(
            ["dockerd", "--pidfile", str(DOCKERD_PID)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_for(engine_answers, 60, "dockerd", log=DOCKERD_LOG)
    return f"started dockerd (pid {DOCKERD_PID.read_text().strip()}, log {shown(DOCKERD_LOG)})" + (
        f"; {installed}" if installed else ""
    )


def stop_engine() -> str:
    """Stop the dockerd compose-up started (and only that one)."""
    try:
        pid = int(DOCKERD_PID.read_text().strip())
    except (OSError, ValueError):
        return "dockerd was not started here: left running"
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        DOCKERD_PID.unlink(missing_ok=True)
        return "dockerd already gone"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        raise ClusterError(f"dockerd (pid {pid}) did not stop within 60s", DOCKERD_LOG)
    DOCKERD_PID.unlink(missing_ok=True)
    return f"stopped dockerd (pid {pid})"


# --- images ----------------------------------------------------------------------------


def ensure_base_image() -> str:
    if _quiet(["docker", "image", "inspect", BASE_IMAGE]):
        return f"{BASE_IMAGE} present"
    if _quiet(["docker", "pull", BASE_IMAGE], timeout=120):
        return f"{BASE_IMAGE} pulled"
    _run([str(REPO / "docker" / "base-image.sh"), BASE_IMAGE], "docker/base-image.sh")
    return f"no registry answered: {BASE_IMAGE} made with debootstrap"


def ensure_wheels() -> str:
    """Wheels for requirements.txt in the build context (pip in a build container may
    not reach the index the host's pip uses); rebuilt when requirements.txt changes."""
    requirements = REPO / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    stamp = WHEELS / ".requirements.sha256"
    if stamp.is_file() and stamp.read_text() == digest:
        return "up to date"
    python = VENV_BIN / "python" if (VENV_BIN / "python").exists() else Path("python3")
    for old in WHEELS.glob("*.whl"):
        old.unlink()
    try:
        _run(
            [str(python), "-m", "pip", "wheel", "-q", "-r", str(requirements), "-w", str(WHEELS)], "pip wheel"
        )
    except ClusterError:
        return "pip wheel failed here: the images will install from the index"
    stamp.write_text(digest)
    return f"{len(list(WHEELS.glob('*.whl')))} wheels in {shown(WHEELS)}"


def build_images(compose: list[str]) -> str:
    _run([*compose, "build", *BUILT_SERVICES], "docker-compose build")
    return ", ".join(
        f"{tag} {_image_size(tag)}" for tag in ("salas-db:local", "salas-nginx:local", "salas-app:local")
    )


def _image_size(tag: str) -> str:
    result = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Size}}", tag],
        capture_output=True,
        text=True,
        check=False,
    )
    return f"{int(result.stdout.strip()) / 1e6:.0f} MB" if result.returncode == 0 else "?"


# --- the stack -------------------------------------------------------------------------


def running_services(compose: list[str]) -> set[str]:
    result = subprocess.run(
        [*compose, "ps", "--services", "--filter", "status=running"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    return set(result.stdout.split()) if result.returncode == 0 else set()


def check_ports(compose: list[str]) -> None:
    """Ports the stack publishes must be free, unless the stack itself holds them."""
    ours = running_services(compose)
    published = {NGINX_PORT: "nginx", **{app.port: app.name for app in APPS}}
    if DB_PORTS_FILE.name in " ".join(compose):
        published |= {db.port: db.name for db in DATABASES}
    for port, service in published.items():
        if service not in ours and port_in_use(port):
            raise ClusterError(
                f"port {port} ({service}) is taken by another process: stop it first "
                f"(the local cluster: make down; see `ss -ltnp 'sport = :{port}'`)"
            )


def nginx_serves() -> bool:
    try:
        with socket.create_connection((HOST, NGINX_PORT), timeout=2) as sock:
            sock.sendall(b"GET /api/status HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            return sock.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def start_stack(compose: list[str]) -> str:
    try:
        _run([*compose, "up", "-d"], "docker-compose up", timeout=600)
        wait_for(nginx_serves, 120, f"{NGINX_URL}/api/status", log=COMPOSE_LOG)
    except ClusterError:
        _dump_logs(compose)
        say(f"\nstart failed: removing what was started ({' '.join(compose[-1:])} down)")
        _run([*compose, "down"], "docker-compose down", timeout=300)
        raise
    return f"{NGINX_URL} serving"


def _dump_logs(compose: list[str]) -> None:
    with COMPOSE_LOG.open("a") as log:
        subprocess.run([*compose, "ps"], cwd=REPO, stdout=log, stderr=subprocess.STDOUT, check=False)
        subprocess.run(
            [*compose, "logs", "--no-color", "--tail", "30"],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )


def cmd_compose_up(db_ports: bool) -> int:
    make_logs_dir()
    progress = Progress(7)
    started = time.monotonic()
    with progress.step(".env (secrets)") as out:
        out.detail = ensure_secrets()
    with progress.step("Docker engine") as out:
        out.detail = ensure_engine()
    compose = compose_command(db_ports)
    with progress.step("ports free") as out:
        check_ports(compose)
    with progress.step(f"base image {BASE_IMAGE}") as out:
        out.detail = ensure_base_image()
    with progress.step("wheels for the images (pip wheel on the host)") as out:
        out.detail = ensure_wheels()
    with progress.step("images (docker-compose build)") as out:
        out.detail = build_images(compose)
    with progress.step("stack (docker-compose up -d, then nginx serving)") as out:
        out.detail = start_stack(compose)
    say(
        f"\nup in {time.monotonic() - started:.1f}s: {NGINX_URL} (nodes on :5000-5002; make compose-down stops it)"
    )
    return 0


def cmd_compose_down(volumes: bool) -> int:
    make_logs_dir()
    progress = Progress(2)
    with progress.step("stack (docker-compose down" + (" -v" if volumes else "") + ")") as out:
        if engine_answers():
            _run(
                [*compose_command(db_ports=True), "down", *(["-v"] if volumes else [])], "docker-compose down"
            )
            out.detail = "removed" + ("; volumes dropped" if volumes else "; volumes kept")
        else:
            out.detail = "no engine answering: nothing to stop"
    with progress.step("Docker engine") as out:
        out.detail = stop_engine()
    return 0


def cmd_compose_test(pytest_args: Sequence[str]) -> int:
    """The compose suite against a stack with the databases published (started if needed)."""
    cmd_compose_up(db_ports=True)
    env = {**os.environ, "SALAS_COMPOSE": json.dumps(compose_command(db_ports=True))}
    pytest = str(VENV_BIN / "pytest")
    say(f"\npytest -m compose tests/compose {' '.join(pytest_args)}")
    started = time.monotonic()
    code = subprocess.run(
        [pytest, "-m", "compose", "tests/compose", *pytest_args], cwd=REPO, env=env, check=False
    ).returncode
    say(f"compose suite exited {code} after {time.monotonic() - started:.1f}s")
    return code
