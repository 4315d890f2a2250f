#!/usr/bin/env python3
"""Run the salas three-node cluster on one machine, without Docker.

`make up` runs `python3 cluster/cluster.py up`, which brings up, under one
supervisord:

    db1  MariaDB primary   127.0.0.1:3308      app1  gunicorn :5000, reads db1
    db2  MariaDB replica   127.0.0.1:3309      app2  gunicorn :5001, reads db2
    db3  MariaDB replica   127.0.0.1:3310      app3  gunicorn :5002, reads db3
    nginx  127.0.0.1:8084, weights 3:2:1 over app1..app3, serves /static/

in ten numbered steps (OS packages, .venv, .env, database dirs, supervisord,
databases, Django commands, app nodes, nginx, status). Every step checks before
it acts, so a second `up` on a running cluster changes nothing and still prints
the status. A failing step names the log to read and the command exits 1.

Subcommands: up, status, start|stop|restart|logs SERVICE, recover dbN (see
cmd_recover), down (stop everything,
keep the data), clean (down, then delete all state), deps [--test], pytest
[ARGS] (pytest against the cluster's primary). Load tests live in locustfile.py
and bench/run.py (make loadtest, make bench).

Where things live:
    .state/                  git-ignored: supervisord.conf, logs/ (db1.err,
                             app1.log, nginx.log, nginx-access.log, ...),
                             run/ (sockets, pids)
    .state/dbN/              my.cnf, data/, mysqld.sock, mysqld.pid
    .state/nginx/            nginx.conf, pid file, temp dirs, nodes/appN.sock (the
                             unix socket nginx reaches each node on)
    /var/lib/salas/<hash>/   holds run/, dbN/ and nginx/ instead (with .state
                             symlinks) when user mysql or www-data cannot reach
                             .state (a clone under /root, mode 700) or a socket
                             path would be too long for AF_UNIX.

Settings come from the repo's .env (created from .env.example on the first run,
with a random DJANGO_SECRET_KEY): DATABASE_URL, DB_ADMIN_USER, DB_ADMIN_PASSWORD.
Variables exported in the shell do not reach the nodes: supervisord starts from a
clean environment and the nodes read .env themselves. CLUSTER_SKIP_DJANGO=1 (or
--skip-django) brings up only the databases and nginx: no Django commands, no
app nodes.

Standard library only (Python 3.11+): it runs before the virtualenv exists.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import http.client
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

try:  # imported as cluster.cluster (tests) or run as a script (make)
    from cluster import failover_monitor
except ImportError:
    import failover_monitor  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parent.parent
STATE = REPO / ".state"
LOGS = STATE / "logs"
VENV = REPO / ".venv"
VENV_BIN = VENV / "bin"
ENV_FILE = REPO / ".env"
ENV_EXAMPLE = REPO / ".env.example"
MYSQL_TEMPLATES = REPO / "mysql" / "local"
NGINX_TEMPLATE = REPO / "nginx" / "nginx.conf.template"
GUNICORN_CONF = REPO / "cluster" / "gunicorn.conf.py"
# Written only when the runtime files live outside .state (see Layout).
RUNTIME_MARKER = STATE / "runtime-root"
RELOCATION_ROOT = Path("/var/lib/salas")

HOST = "127.0.0.1"
NGINX_PORT = 8084
# AF_UNIX socket paths are limited to 108 bytes; keep a margin.
MAX_SOCKET_PATH = 100
NGINX_USER = "www-data"

BASE_PACKAGES = (
    "nginx",
    "mariadb-server",
    "mariadb-client",
    # manage.py reclone: rebuild a replica from a physical copy of the primary.
    "mariadb-backup",
    "libmariadb-dev",
    "pkg-config",
    # mysqlclient has no Linux wheel: pip compiles it.
    "gcc",
    "libc6-dev",
)
# Debian's own python3 splits venv and headers into packages of their own.
DEBIAN_PYTHON_PACKAGES = ("python3-venv", "python3-dev")
# curl: the socket-permission test connects as other users with it.
TEST_PACKAGES = ("chromium", "chromium-driver", "docker-compose", "curl")
# Any of these provides the nginx binary (on Debian 12 they all pull in "nginx").
PACKAGE_ALTERNATIVES = {"nginx": ("nginx-light", "nginx-full", "nginx-extras")}

DJANGO_COMMANDS = (
    ("setup_replication",),
    ("migrate", "--noinput"),
    ("collectstatic", "--noinput"),
    ("ensure_admin",),
    ("seed_demo",),
)
UP_STEPS = 10


@dataclass(frozen=True)
class Database:
    name: str
    port: int
    server_id: int
    replica: bool


@dataclass(frozen=True)
class App:
    name: str
    port: int
    replica: Database
    # "primary": read the primary, and the replica only while the primary is down.
    read_preference: str = "replica"


DATABASES = (
    Database("db1", 3308, 1, replica=False),
    Database("db2", 3309, 2, replica=True),
    Database("db3", 3310, 3, replica=True),
)
PRIMARY = DATABASES[0]
# Node 1 reads the primary; db2 is its fallback for reads while the primary is down.
APPS = (
    App("app1", 5000, DATABASES[1], read_preference="primary"),
    App("app2", 5001, DATABASES[1]),
    App("app3", 5002, DATABASES[2]),
)
SERVICES = ("nginx", "app1", "app2", "app3", "db1", "db2", "db3", failover_monitor.NAME)
STATUS_ORDER = ("db1", "db2", "db3", "app1", "app2", "app3", "nginx", failover_monitor.NAME)
# The monitor first (a database stopping must not look like a lost primary), then
# front to back; replicas before the primary, so they stop at a quiet point.
STOP_ORDER = (failover_monitor.NAME, "nginx", "app1", "app2", "app3", "db2", "db3", "db1")


class ClusterError(Exception):
    """A failure to report: what went wrong and, when there is one, the log to read."""

    def __init__(self, message: str, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log


# --- output -------------------------------------------------------------------


def say(text: str = "", end: str = "\n") -> None:
    sys.stdout.write(text + end)
    sys.stdout.flush()


def shown(path: Path) -> str:
    """A path as short as it can be shown: relative to the repo when inside it."""
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


class StepOutput:
    """One `[3/10] title ... ok (1.2s) - detail` line, with streamed lines inside."""

    def __init__(self, header: str) -> None:
        self.header = header
        self.detail = ""
        self._line_open = True
        say(f"{header} ... ", end="")

    def line(self, text: str) -> None:
        if self._line_open:
            say()
            self._line_open = False
        say(f"      {text}")

    def finish(self, verdict: str, seconds: float) -> None:
        if not self._line_open:
            say(f"{self.header} ... ", end="")
        detail = f" - {self.detail}" if self.detail else ""
        say(f"{verdict} ({seconds:.1f}s){detail}")


class Progress:
    """Numbers the steps of a command and times each one."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.index = 0

    @contextmanager
    def step(self, title: str) -> Iterator[StepOutput]:
        self.index += 1
        out = StepOutput(f"[{self.index}/{self.total}] {title}")
        started = time.monotonic()
        try:
            yield out
        except BaseException:
            out.finish("FAILED", time.monotonic() - started)
            raise
        out.finish("ok", time.monotonic() - started)


def report_failure(error: ClusterError) -> None:
    say(f"\nerror: {error}")
    if error.log is None:
        return
    say(f"read: {shown(error.log)}")
    if error.log.is_file():
        lines = error.log.read_text(errors="replace").splitlines()[-25:]
        say(f"--- last {len(lines)} lines of {shown(error.log)}")
        for line in lines:
            say(f"    {line}")


# --- running commands -----------------------------------------------------------


def clean_environment() -> dict[str, str]:
    """The environment supervisord and the Django commands start from."""
    return {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
    }


def run_logged(cmd: Sequence[str], log: Path, *, env: dict[str, str] | None = None, what: str = "") -> None:
    """Run a command with its output appended to `log`; raise if it fails."""
    with log.open("a") as handle:
        handle.write(f"\n$ {shlex.join(cmd)}\n")
        handle.flush()
        code = subprocess.run(
            cmd,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        ).returncode
    if code:
        raise ClusterError(f"{what or cmd[0]} failed (exit {code})", log)


def run_streamed(cmd: Sequence[str], log: Path, out: StepOutput, label: str, env: dict[str, str]) -> None:
    """Run a command, showing each output line under the step and keeping it in `log`."""
    with log.open("a") as handle:
        handle.write(f"\n$ {shlex.join(cmd)}\n")
        handle.flush()
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            handle.write(line)
            out.line(f"{label} | {line.rstrip()}")
        code = proc.wait()
    if code:
        raise ClusterError(f"{label} failed (exit {code})", log)


def wait_for(
    ready: Callable[[], bool],
    timeout: float,
    what: str,
    *,
    log: Path | None = None,
    failed: Callable[[], str | None] | None = None,
) -> None:
    """Poll `ready` every 0.1 s; give up on timeout or as soon as `failed` says why."""
    deadline = time.monotonic() + timeout
    while not ready():
        reason = failed() if failed else None
        if reason:
            raise ClusterError(f"{what}: {reason}", log)
        if time.monotonic() > deadline:
            raise ClusterError(f"{what}: not ready after {timeout:.0f}s", log)
        time.sleep(0.1)


def write_if_changed(path: Path, text: str, mode: int = 0o644) -> bool:
    if path.is_file() and path.read_text() == text:
        return False
    path.write_text(text)
    path.chmod(mode)
    return True


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def ensure_port_free(port: int, service: str) -> None:
    if port_in_use(port):
        raise ClusterError(
            f"port {port} is taken by a process that is not this cluster's {service}; "
            f"find it with `ss -ltnp 'sport = :{port}'`"
        )


def log_file(service: str) -> Path:
    suffix = ".err" if service.startswith("db") else ".log"
    return LOGS / f"{service}{suffix}"


@contextmanager
def exclusive_lock() -> Iterator[None]:
    """One up/down/clean at a time."""
    STATE.mkdir(parents=True, exist_ok=True)
    with (STATE / "cluster.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ClusterError("another cluster.py up/down/clean is running") from None
        yield


def make_logs_dir() -> None:
    """Root only: django.log holds the admin password that ensure_admin prints once."""
    LOGS.mkdir(parents=True, exist_ok=True)
    LOGS.chmod(0o700)


def require_root(action: str) -> None:
    if os.geteuid() != 0:
        raise ClusterError(f"{action} needs root (apt-get, mariadbd --user=mysql)")


# --- .env -------------------------------------------------------------------------


def parse_env_text(text: str) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments skipped, one pair of quotes removed."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        key, sep, value = line.partition("=")
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def read_env() -> dict[str, str]:
    if not ENV_FILE.is_file():
        raise ClusterError(".env is missing: run `make up` once to create it")
    return parse_env_text(ENV_FILE.read_text())


def dotenv_values() -> dict[str, str]:
    """.env's values (none if it is missing), each overridden by the same variable in the
    environment, as the Django settings read them. For the tests and the bench."""
    values = parse_env_text(ENV_FILE.read_text()) if ENV_FILE.is_file() else {}
    return {key: os.environ.get(key, value) for key, value in values.items()}


def require(env: dict[str, str], *keys: str) -> list[str]:
    missing = [key for key in keys if not env.get(key)]
    if missing:
        raise ClusterError(f".env has no value for {', '.join(missing)}", ENV_FILE)
    return [env[key] for key in keys]


def with_secret_key(text: str) -> tuple[str, bool]:
    """Fill an empty DJANGO_SECRET_KEY= line (or add one) with a random key."""
    line = f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}"
    if "DJANGO_SECRET_KEY" not in parse_env_text(text):
        return text.rstrip("\n") + f"\n{line}\n", True
    pattern = re.compile(r"^DJANGO_SECRET_KEY=[ \t]*$", re.MULTILINE)
    new_text, count = pattern.subn(lambda _match: line, text, count=1)
    return new_text, bool(count)


def ensure_env_file() -> str:
    if not ENV_EXAMPLE.is_file():
        raise ClusterError(".env.example is missing from the repo")
    created = not ENV_FILE.is_file()
    source = ENV_EXAMPLE if created else ENV_FILE
    text, filled = with_secret_key(source.read_text())
    if created or filled:
        write_if_changed(ENV_FILE, text, mode=0o600)
    if created:
        result = "created from .env.example with a random DJANGO_SECRET_KEY"
    else:
        result = "kept" + ("; filled the empty DJANGO_SECRET_KEY" if filled else "")
    example_keys = parse_env_text(ENV_EXAMPLE.read_text())
    missing = sorted(set(example_keys) - set(read_env()))
    if missing:
        result += f"; note: .env lacks {', '.join(missing)} (in .env.example)"
    return result


def replica_url(primary_url: str, port: int) -> str:
    """The primary's URL (same credentials and database) with another port."""
    parts = urlsplit(primary_url)
    userinfo, _, _ = parts.netloc.rpartition("@")
    hostport = f"{parts.hostname or HOST}:{port}"
    netloc = f"{userinfo}@{hostport}" if userinfo else hostport
    return urlunsplit(parts._replace(netloc=netloc))


# --- layout -----------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where the runtime files live: .state itself, or a dir under /var/lib/salas.

    mariadbd runs as user mysql and nginx workers as www-data; both need every
    parent of their files to be traversable, which a clone under /root is not.
    """

    runtime: Path

    @property
    def relocated(self) -> bool:
        return self.runtime != STATE

    def db_dir(self, db: Database) -> Path:
        return self.runtime / db.name

    def cnf(self, db: Database) -> Path:
        return self.db_dir(db) / "my.cnf"

    def datadir(self, db: Database) -> Path:
        return self.db_dir(db) / "data"

    def socket(self, db: Database) -> Path:
        return self.db_dir(db) / "mysqld.sock"

    def db_pid(self, db: Database) -> Path:
        return self.db_dir(db) / "mysqld.pid"

    def db_tmp(self, db: Database) -> Path:
        return self.db_dir(db) / "tmp"

    @property
    def nginx_dir(self) -> Path:
        return self.runtime / "nginx"

    @property
    def nginx_conf(self) -> Path:
        return self.nginx_dir / "nginx.conf"

    @property
    def nginx_pid(self) -> Path:
        return self.nginx_dir / "nginx.pid"

    @property
    def run_dir(self) -> Path:
        return self.runtime / "run"

    @property
    def supervisor_sock(self) -> Path:
        return self.run_dir / "supervisor.sock"

    @property
    def supervisor_pid(self) -> Path:
        return self.run_dir / "supervisord.pid"

    @property
    def supervisor_conf(self) -> Path:
        return STATE / "supervisord.conf"

    def app_pid(self, app: App) -> Path:
        return self.run_dir / f"{app.name}.pid"

    @property
    def app_socket_dir(self) -> Path:
        return self.nginx_dir / "nodes"

    def app_socket(self, app: App) -> Path:
        """Where nginx reaches the node: a unix socket only root and nginx's group may reach."""
        return self.app_socket_dir / f"{app.name}.sock"

    @property
    def static_root(self) -> Path:
        """What nginx serves /static/ from (a copy when www-data cannot read the repo)."""
        return self.runtime / "static" if self.relocated else REPO / "staticfiles"


def relocation_dir() -> Path:
    digest = hashlib.sha1(str(REPO).encode()).hexdigest()[:10]
    return RELOCATION_ROOT / digest


def load_layout() -> Layout:
    if RUNTIME_MARKER.is_file():
        return Layout(Path(RUNTIME_MARKER.read_text().strip()))
    return Layout(STATE)


def user_can_enter(user: str, path: Path) -> bool:
    cmd = ["runuser", "-u", user, "--", "test", "-x", str(path)]
    return subprocess.run(cmd, capture_output=True, check=False).returncode == 0


def must_relocate() -> bool:
    longest_socket = STATE / "nginx" / "nodes" / "app1.sock"
    if len(str(longest_socket)) > MAX_SOCKET_PATH:
        return True
    return not all(user_can_enter(user, STATE) for user in ("mysql", NGINX_USER))


def choose_layout() -> Layout:
    """Decide once where runtime files go; later runs reuse the decision."""
    if RUNTIME_MARKER.is_file() or (STATE / "run").is_dir():
        return load_layout()
    if not must_relocate():
        return Layout(STATE)
    runtime = relocation_dir()
    RUNTIME_MARKER.write_text(f"{runtime}\n")
    return Layout(runtime)


def ensure_symlink(link: Path, target: Path) -> None:
    if link.is_symlink() and Path(os.readlink(link)) == target:
        return
    if link.is_symlink():
        link.unlink()
    elif link.exists():
        raise ClusterError(f"{link} exists and is not a link to {target}; run make clean")
    link.symlink_to(target)


def prepare_dirs(layout: Layout) -> None:
    for path in (layout.runtime.parent, layout.runtime):
        path.mkdir(parents=True, exist_ok=True)
    layout.runtime.chmod(0o755)
    layout.run_dir.mkdir(mode=0o700, exist_ok=True)
    layout.nginx_dir.mkdir(exist_ok=True)
    # nginx workers (www-data) connect to the app sockets in here, whatever root's umask.
    layout.nginx_dir.chmod(0o755)
    # The nodes trust the client address nginx names (X-Real-IP) only on these
    # sockets, so no other local user may connect to them: root and www-data only.
    layout.app_socket_dir.mkdir(exist_ok=True)
    shutil.chown(layout.app_socket_dir, "root", NGINX_USER)
    layout.app_socket_dir.chmod(0o750)
    for db in DATABASES:
        # 0750 and owned by mysql: the socket inside lets root in without a
        # password, so nobody else may reach it.
        for path in (layout.db_dir(db), layout.db_tmp(db)):
            path.mkdir(mode=0o750, exist_ok=True)
            shutil.chown(path, "mysql", "mysql")
    if layout.relocated:
        for name in (*(db.name for db in DATABASES), "nginx", "run"):
            ensure_symlink(STATE / name, layout.runtime / name)


# --- templates ----------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
GENERATED = "# Generated by cluster/cluster.py from {source}: edit that, not this file.\n"


def render(template: Path, values: dict[str, str]) -> str:
    """Fill ${NAME} placeholders; an unknown one is an error, not an empty string."""
    text = template.read_text()
    unknown = sorted({name for name in PLACEHOLDER.findall(text) if name not in values})
    if unknown:
        raise ClusterError(f"{shown(template)}: no value for {', '.join(unknown)}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def mysql_config(layout: Layout, db: Database) -> str:
    values = {
        "NAME": db.name,
        "SERVER_ID": str(db.server_id),
        "PORT": str(db.port),
        "BIND_ADDRESS": HOST,
        "DATADIR": str(layout.datadir(db)),
        "SOCKET": str(layout.socket(db)),
        "PID_FILE": str(layout.db_pid(db)),
        "TMPDIR": str(layout.db_tmp(db)),
    }
    text = render(MYSQL_TEMPLATES / "mysqld.cnf.template", values)
    if db.replica:
        text += render(MYSQL_TEMPLATES / "replica.cnf.template", values)
    return GENERATED.format(source="mysql/local/*.cnf.template") + text


def nginx_config(layout: Layout) -> str:
    values = {
        "SALAS_NGINX_USER": NGINX_USER,
        "SALAS_LISTEN": f"{HOST}:{NGINX_PORT}",
        "SALAS_RUN_DIR": str(layout.nginx_dir),
        "SALAS_ERROR_LOG": "stderr",
        # A file nginx writes itself, in buffered blocks: through supervisord's pipe
        # every request cost a write, a read and a write again.
        "SALAS_ACCESS_LOG": str(LOGS / "nginx-access.log"),
        "SALAS_STATIC_ROOT": str(layout.static_root),
    }
    for index, app in enumerate(APPS, start=1):
        # A unix socket spares both sides the loopback TCP stack: measured on
        # this machine, 5-20 % more requests per second through nginx.
        values[f"SALAS_UPSTREAM_{index}"] = f"unix:{layout.app_socket(app)}"
    return GENERATED.format(source=shown(NGINX_TEMPLATE)) + render(NGINX_TEMPLATE, values)


# --- supervisord configuration --------------------------------------------------------


def sv(value: str) -> str:
    """Escape for supervisord's config, which expands %(name)s."""
    return value.replace("%", "%%")


def sv_environment(values: dict[str, str]) -> str:
    for key, value in values.items():
        if '"' in value or "\n" in value:
            raise ClusterError(f"{key} cannot contain a double quote or a newline")
    return ",".join(f'{key}="{sv(value)}"' for key, value in values.items())


def supervisord_section(layout: Layout) -> str:
    return f"""\
; Generated by cluster/cluster.py: edit that, not this file.
; Control it with: .venv/bin/supervisorctl -c {sv(shown(layout.supervisor_conf))}

[unix_http_server]
file={sv(str(layout.supervisor_sock))}
; Only root may talk to it (the socket's dir is 0700 as well).
chmod=0700

[supervisord]
logfile={sv(str(LOGS / "supervisord.log"))}
logfile_maxbytes=5MB
logfile_backups=2
pidfile={sv(str(layout.supervisor_pid))}
childlogdir={sv(str(LOGS))}
directory={sv(str(REPO))}
identifier=salas
minfds=8192
nodaemon=false

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{sv(str(layout.supervisor_sock))}
"""


def program_section(name: str, command: str, options: dict[str, str]) -> str:
    """A [program:x]; autostart is off because cluster.py starts things in order."""
    settings = {
        "command": command,
        "autostart": "false",
        "autorestart": "true",
        "startsecs": "1",
        "startretries": "3",
        "redirect_stderr": "true",
        "stdout_logfile": sv(str(log_file(name))),
        "stdout_logfile_maxbytes": "20MB",
        "stdout_logfile_backups": "3",
        **options,
    }
    lines = [f"[program:{name}]", *(f"{key}={value}" for key, value in settings.items())]
    return "\n".join(lines) + "\n"


def db_program(layout: Layout, db: Database) -> str:
    mariadbd = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
    command = shlex.join([mariadbd, f"--defaults-file={layout.cnf(db)}", "--user=mysql"])
    # InnoDB may need a while to flush on shutdown; never SIGKILL it early.
    options = {"stopsignal": "TERM", "stopwaitsecs": "120"}
    return program_section(db.name, sv(command), options)


GUNICORN_VARIABLES = ("GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_ACCESS_LOG")


def node_environment(app: App, env: dict[str, str]) -> dict[str, str]:
    """What makes a gunicorn process node `app` (the rest comes from .env)."""
    return {
        "NODE_NAME": app.name,
        "PYTHONUNBUFFERED": "1",
        "REPLICA_DATABASE_URL": replica_url(env["DATABASE_URL"], app.replica.port),
        "READ_PREFERENCE": app.read_preference,
        # With it, both of the node's aliases follow the topology (replication/topology.py).
        "NODE_DATABASE": failover_monitor.own_database(app.name),
        # gunicorn.conf.py reads these from its environment, not from .env.
        **{key: env[key] for key in GUNICORN_VARIABLES if env.get(key)},
    }


def app_program(layout: Layout, app: App, env: dict[str, str]) -> str:
    command = shlex.join(
        [
            str(VENV_BIN / "gunicorn"),
            "salas_project.wsgi:application",
            "--config",
            str(GUNICORN_CONF),
            "--bind",
            f"{HOST}:{app.port}",
            # nginx's way in; the port stays for probes, tests and a person with curl.
            "--bind",
            f"unix:{layout.app_socket(app)}",
            "--name",
            app.name,
            "--pid",
            str(layout.app_pid(app)),
        ]
    )
    variables = node_environment(app, env)
    return program_section(
        app.name,
        sv(command),
        {
            "directory": sv(str(REPO)),
            "environment": sv_environment(variables),
            "startsecs": "2",
            # TERM is gunicorn's graceful stop; graceful_timeout is 20 s.
            "stopsignal": "TERM",
            "stopwaitsecs": "30",
            "stopasgroup": "true",
            "killasgroup": "true",
        },
    )


def nginx_program(layout: Layout) -> str:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    command = shlex.join(
        [
            nginx,
            "-p",
            f"{layout.nginx_dir}/",
            "-c",
            str(layout.nginx_conf),
            "-e",
            "stderr",
            "-g",
            "daemon off;",
        ]
    )
    # QUIT: finish the requests in flight, then exit.
    return program_section(
        "nginx",
        sv(command),
        {"stopsignal": "QUIT", "stopwaitsecs": "15", "stopasgroup": "true", "killasgroup": "true"},
    )


def monitor_program(env: dict[str, str]) -> str:
    command, options = failover_monitor.program(REPO, VENV_BIN, env)
    variables = options.pop("environment_values")
    options = {key: sv(value) for key, value in options.items()}
    return program_section(
        failover_monitor.NAME, sv(command), {**options, "environment": sv_environment(variables)}
    )


def supervisor_config(layout: Layout, env: dict[str, str]) -> str:
    sections = [supervisord_section(layout)]
    sections += [db_program(layout, db) for db in DATABASES]
    sections += [app_program(layout, app, env) for app in APPS]
    sections.append(nginx_program(layout))
    sections.append(monitor_program(env))
    return "\n".join(sections)


# --- supervisord client ---------------------------------------------------------------


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class _UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__()
        self._path = path
        self._timeout = timeout

    def make_connection(self, host: object) -> http.client.HTTPConnection:
        return _UnixConnection(self._path, self._timeout)


class Supervisor:
    """supervisord's XML-RPC API over its unix socket (what supervisorctl uses)."""

    def __init__(self, layout: Layout, timeout: float = 150.0) -> None:
        transport = _UnixTransport(str(layout.supervisor_sock), timeout)
        proxy = xmlrpc.client.ServerProxy("http://localhost/RPC2", transport=transport)
        self._api = proxy.supervisor

    def is_up(self) -> bool:
        try:
            return self._api.getState()["statename"] == "RUNNING"
        except (OSError, xmlrpc.client.Error):
            return False

    def info(self, name: str) -> dict:
        return self._api.getProcessInfo(name)

    def state(self, name: str) -> str:
        return self.info(name)["statename"]

    def failure(self, name: str) -> str | None:
        """Why a process that should be starting is not, or None if it may still come up."""
        state = self.state(name)
        if state in ("FATAL", "EXITED", "STOPPED", "UNKNOWN"):
            return f"supervisord reports {state}"
        return None

    def start(self, name: str) -> None:
        try:
            self._api.startProcess(name, False)
        except xmlrpc.client.Fault as fault:
            if not fault.faultString.startswith("ALREADY_STARTED"):
                raise ClusterError(f"{name}: {fault.faultString}", log_file(name)) from None

    def stop(self, name: str) -> bool:
        """Stop and wait; False when it was not running."""
        try:
            self._api.stopProcess(name, True)
        except xmlrpc.client.Fault as fault:
            # BAD_NAME: a service this supervisord's config predates (the monitor).
            if fault.faultString.startswith(("NOT_RUNNING", "BAD_NAME")):
                return False
            raise ClusterError(f"{name}: {fault.faultString}", log_file(name)) from None
        return True

    def stop_nowait(self, name: str) -> None:
        """Ask for a stop without waiting (supervisord will not restart it)."""
        self._api.stopProcess(name, False)

    def signal(self, name: str, signame: str) -> None:
        self._api.signalProcess(name, signame)

    def update(self) -> list[str]:
        """Apply a changed supervisord.conf: only changed programs are touched."""
        added, changed, removed = self._api.reloadConfig()[0]
        for name in removed + changed:
            self.stop(name)
            self._api.removeProcessGroup(name)
        for name in added + changed:
            self._api.addProcessGroup(name)
        return sorted(added + changed + removed)

    def pid(self) -> int:
        return int(self._api.getPID())

    def shutdown(self) -> None:
        self._api.shutdown()


def connected(layout: Layout) -> Supervisor:
    sup = Supervisor(layout)
    if not sup.is_up():
        raise ClusterError("the cluster is down (supervisord is not running): run make up")
    return sup


def start_supervisord(layout: Layout) -> None:
    cmd = [str(VENV_BIN / "supervisord"), "-c", str(layout.supervisor_conf)]
    log = LOGS / "supervisord.log"
    run_logged(cmd, log, env=clean_environment(), what="supervisord")
    wait_for(Supervisor(layout).is_up, 20, "supervisord", log=log)


# --- probes ---------------------------------------------------------------------------


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


def service_port(name: str) -> int | None:
    if name == failover_monitor.NAME:
        return None  # listens nowhere
    ports = {db.name: db.port for db in DATABASES} | {app.name: app.port for app in APPS}
    return ports.get(name, NGINX_PORT)


def database(name: str) -> Database:
    return next(db for db in DATABASES if db.name == name)


def readiness(layout: Layout, name: str) -> tuple[Callable[[], bool], str]:
    """How to tell a service answers (SQL over its socket, or HTTP), and its address."""
    if name.startswith("db"):
        db = database(name)
        return partial(db_answers, layout, db), f"{name} on {shown(layout.socket(db))}"
    if name == failover_monitor.NAME:
        return (lambda: True), name
    port = service_port(name)
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


# --- up: the steps ----------------------------------------------------------------------


def installed_packages(names: Sequence[str]) -> set[str]:
    cmd = ["dpkg-query", "-W", "-f=${Package}\t${Status}\n", *names]
    output = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    found = set()
    for line in output.splitlines():
        name, _, status = line.partition("\t")
        if status.strip() == "install ok installed":
            found.add(name.split(":")[0])
    return found


def missing_packages(names: Sequence[str]) -> list[str]:
    candidates = [*names, *(alt for n in names for alt in PACKAGE_ALTERNATIVES.get(n, ()))]
    have = installed_packages(candidates)
    return [n for n in names if not ({n, *PACKAGE_ALTERNATIVES.get(n, ())} & have)]


def wanted_packages(with_tests: bool) -> list[str]:
    names = list(BASE_PACKAGES)
    if Path(sys.base_prefix) == Path("/usr"):
        names += DEBIAN_PYTHON_PACKAGES
    if with_tests:
        names += TEST_PACKAGES
    return names


@contextmanager
def services_not_started() -> Iterator[None]:
    """Keep maintainer scripts from starting nginx (port 80) or mariadb (3306)."""
    policy = Path("/usr/sbin/policy-rc.d")
    if policy.exists():
        yield
        return
    policy.write_text("#!/bin/sh\n# Temporary, from salas cluster/cluster.py.\nexit 101\n")
    policy.chmod(0o755)
    try:
        yield
    finally:
        policy.unlink(missing_ok=True)


def ensure_packages(with_tests: bool) -> str:
    missing = missing_packages(wanted_packages(with_tests))
    if not missing:
        return "all present"
    require_root("installing OS packages")
    if not shutil.which("apt-get"):
        raise ClusterError(f"no apt-get here: install {' '.join(missing)} by hand")
    log = LOGS / "apt.log"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with services_not_started():
        run_logged(["apt-get", "update"], log, env=env, what="apt-get update")
        install = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
        run_logged(install, log, env=env, what="apt-get install")
    return f"installed {' '.join(missing)}"


def venv_works() -> bool:
    python = VENV_BIN / "python"
    if not python.exists():
        return False
    return subprocess.run([python, "-c", "import sys"], check=False).returncode == 0


def ensure_venv() -> str:
    requirements = sorted(REPO.glob("requirements*.txt"))
    if not requirements:
        raise ClusterError("no requirements*.txt in the repo")
    stamp = VENV / ".requirements.stamp"
    newest = max(path.stat().st_mtime for path in requirements)
    works = venv_works()
    if works and stamp.is_file() and stamp.stat().st_mtime > newest:
        return "up to date"
    log = LOGS / "pip.log"
    if not works:
        run_logged([sys.executable, "-m", "venv", "--clear", str(VENV)], log, what="venv")
    pip = [
        str(VENV_BIN / "python"),
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "-r",
        "requirements-dev.txt",
    ]
    run_logged(pip, log, what="pip install")
    stamp.touch()
    return ("created; " if not works else "") + f"installed requirements-dev.txt (log {shown(log)})"


def install_databases(layout: Layout) -> list[str]:
    """Initialise every missing data dir, in parallel; return their names."""
    pending = [db for db in DATABASES if not (layout.datadir(db) / "mysql").is_dir()]
    procs = [(db, start_install_db(layout, db)) for db in pending]
    for db, proc in procs:
        log = LOGS / f"{db.name}-init.log"
        if proc.wait() != 0:
            raise ClusterError(f"mariadb-install-db failed for {db.name}", log)
        # Initialised aside and renamed: a half-done init is never mistaken for data.
        staging(layout, db).rename(layout.datadir(db))
    return [db.name for db in pending]


def staging(layout: Layout, db: Database) -> Path:
    return layout.db_dir(db) / "data.init"


def start_install_db(layout: Layout, db: Database) -> subprocess.Popen[bytes]:
    shutil.rmtree(staging(layout, db), ignore_errors=True)
    cmd = [
        "mariadb-install-db",
        f"--defaults-file={layout.cnf(db)}",
        "--skip-test-db",
        "--auth-root-authentication-method=normal",
        "--skip-log-bin",
        "--user=mysql",
        f"--datadir={staging(layout, db)}",
    ]
    with (LOGS / f"{db.name}-init.log").open("w") as handle:
        handle.write(f"$ {shlex.join(cmd)}\n")
        handle.flush()
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT)


def ensure_database_files(layout: Layout, sup_running: bool) -> str:
    prepare_dirs(layout)
    changed = [db.name for db in DATABASES if write_if_changed(layout.cnf(db), mysql_config(layout, db))]
    initialised = install_databases(layout)
    parts = [f"initialised {', '.join(initialised)}" if initialised else "data dirs present"]
    stale = [name for name in changed if name not in initialised and sup_running]
    if stale:
        parts.append(f"config changed for {', '.join(stale)}: make restart SERVICE=<db> to apply")
    if layout.relocated:
        parts.append(f"runtime files in {layout.runtime} (.state is not reachable by mysql/www-data)")
    return "; ".join(parts)


def ensure_supervisord(layout: Layout, env: dict[str, str]) -> str:
    changed = write_if_changed(layout.supervisor_conf, supervisor_config(layout, env), 0o600)
    sup = Supervisor(layout)
    if sup.is_up():
        if not changed:
            return "already running"
        updated = sup.update()
        return f"running; config reloaded ({', '.join(updated) or 'no program changed'})"
    start_supervisord(layout)
    return f"started (pid {sup.pid()}, socket {shown(layout.supervisor_sock)})"


def sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def admin_user_sql(user: str, password: str, hostname: str) -> str:
    """The admin account on one server, outside the binlog; no passwordless TCP root.

    mariadb-install-db with the `normal` root method also creates root@127.0.0.1,
    root@::1 and root@<hostname> with an empty password: anyone on the machine
    could log in over TCP. Only root@localhost (the socket, in a 0750 dir) stays.
    """
    name, secret = sql_string(user), sql_string(password)
    lines = ["SET SESSION sql_log_bin=0;"]
    for host in ("127.0.0.1", "::1", hostname):
        if host != "localhost":
            lines.append(f"DROP USER IF EXISTS 'root'@{sql_string(host)};")
    for host in ("127.0.0.1", "localhost"):
        account = f"{name}@'{host}'"
        lines += [
            f"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY {secret};",
            f"ALTER USER {account} IDENTIFIED BY {secret};",
            f"GRANT ALL PRIVILEGES ON *.* TO {account} WITH GRANT OPTION;",
        ]
    return "\n".join(lines) + "\n"


def ensure_admin_user(layout: Layout, db: Database, user: str, password: str) -> None:
    result = mariadb_root(layout, db, admin_user_sql(user, password, socket.gethostname()))
    if result.returncode:
        raise ClusterError(f"creating {user} on {db.name}: {result.stderr.strip()}")
    check_admin_login(db, user, password)


def check_admin_login(db: Database, user: str, password: str) -> None:
    """Log in over TCP as the admin, as setup_replication will."""
    cmd = [
        "mariadb",
        "--no-defaults",
        f"--host={HOST}",
        f"--port={db.port}",
        f"--user={user}",
        "--batch",
        "--skip-column-names",
        "--connect-timeout=2",
        "-e",
        "SELECT 1",
    ]
    env = {**clean_environment(), "MYSQL_PWD": password}
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if result.returncode:
        raise ClusterError(f"{user} cannot log in to {db.name}: {result.stderr.strip()}")


def ensure_databases_running(layout: Layout, sup: Supervisor, env: dict[str, str]) -> str:
    user, password = require(env, "DB_ADMIN_USER", "DB_ADMIN_PASSWORD")
    started = start_and_wait(layout, sup, [db.name for db in DATABASES])
    for db in DATABASES:
        ensure_admin_user(layout, db, user, password)
    prefix = f"started {', '.join(started)}" if started else "already running"
    return f"{prefix}; admin account {user} checked on each"


def django_environment(env: dict[str, str]) -> dict[str, str]:
    return {**clean_environment(), **env, "PYTHONUNBUFFERED": "1"}


def manage(out: StepOutput, env: dict[str, str], *args: str) -> None:
    cmd = [str(VENV_BIN / "python"), "manage.py", *args]
    run_streamed(cmd, LOGS / "django.log", out, args[0], django_environment(env))


def sync_static(layout: Layout) -> str:
    """Copy staticfiles/ where www-data can read it, when the repo is out of its reach."""
    source = REPO / "staticfiles"
    if not layout.relocated or not source.is_dir():
        return ""
    fresh = layout.static_root.with_name("static.new")
    old = layout.static_root.with_name("static.old")
    for path in (fresh, old):
        shutil.rmtree(path, ignore_errors=True)
    shutil.copytree(source, fresh)
    if layout.static_root.exists():
        layout.static_root.rename(old)
    fresh.rename(layout.static_root)
    shutil.rmtree(old, ignore_errors=True)
    return f"static files copied to {layout.static_root}"


def run_django_commands(layout: Layout, out: StepOutput, env: dict[str, str]) -> None:
    for args in DJANGO_COMMANDS:
        manage(out, env, *args)
    out.detail = sync_static(layout)


def ensure_apps(layout: Layout, sup: Supervisor) -> str:
    started = start_and_wait(layout, sup, [app.name for app in APPS] + [failover_monitor.NAME])
    return f"started {', '.join(started)}" if started else "already running"


def test_nginx_config(layout: Layout) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    cmd = [nginx, "-t", "-q", "-p", f"{layout.nginx_dir}/", "-c", str(layout.nginx_conf), "-e", "stderr"]
    run_logged(cmd, LOGS / "nginx-test.log", what="nginx -t")


def _nginx_serves(port: int) -> bool:
    try:
        return http_get(port, timeout=2.0).status < 500
    except OSError:
        return False


def ensure_nginx(layout: Layout, sup: Supervisor) -> str:
    changed = write_if_changed(layout.nginx_conf, nginx_config(layout))
    test_nginx_config(layout)
    if sup.state("nginx") == "RUNNING":
        if not changed:
            return "already running"
        sup.signal("nginx", "HUP")
        # HUP starts new workers and retires the old ones a moment later: wait
        # until a request is answered under the new config before reporting.
        wait_for(partial(_nginx_serves, NGINX_PORT), 10, "nginx reload", log=log_file("nginx"))
        return "config changed: reloaded (HUP)"
    started = start_and_wait(layout, sup, ["nginx"])
    return "started" if started else "already running"


# --- status -----------------------------------------------------------------------------


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
    if name == failover_monitor.NAME:
        return True, failover_monitor.last_line(log_file(name))
    port = service_port(name)
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
        if skip_django and (row.name.startswith("app") or row.name == failover_monitor.NAME):
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


# --- commands ---------------------------------------------------------------------------


def skip_django_requested(flag: bool) -> bool:
    value = os.environ.get("CLUSTER_SKIP_DJANGO", "").strip().lower()
    return flag or value in ("1", "true", "yes", "on")


def cmd_up(args: argparse.Namespace) -> int:
    require_root("make up")
    skip = skip_django_requested(args.skip_django)
    started = time.monotonic()
    with exclusive_lock():
        make_logs_dir()
        healthy = bring_up(Progress(UP_STEPS), skip)
    verdict = "up" if healthy else "up with problems (see above)"
    say(f"\ncluster {verdict} in {time.monotonic() - started:.1f}s")
    return 0 if healthy else 1


def bring_up(progress: Progress, skip: bool) -> bool:
    with progress.step("OS packages (apt)") as out:
        out.detail = ensure_packages(with_tests=False)
    with progress.step("Python virtualenv .venv") as out:
        out.detail = ensure_venv()
    with progress.step("settings file .env") as out:
        out.detail = ensure_env_file()
    env = read_env()
    require(env, "DATABASE_URL", "DB_ADMIN_USER", "DB_ADMIN_PASSWORD")
    layout = choose_layout()
    sup = Supervisor(layout)
    with progress.step("MariaDB configs and data dirs (mysql/local/)") as out:
        out.detail = ensure_database_files(layout, sup.is_up())
    with progress.step("supervisord") as out:
        out.detail = ensure_supervisord(layout, env)
    with progress.step("starting db1..db3 (3308-3310)") as out:
        out.detail = ensure_databases_running(layout, sup, env)
    bring_up_django(progress, layout, sup, env, skip)
    with progress.step(f"nginx on {HOST}:{NGINX_PORT}") as out:
        out.detail = ensure_nginx(layout, sup)
    return report_up(progress, layout, sup, env, skip)


def bring_up_django(
    progress: Progress, layout: Layout, sup: Supervisor, env: dict[str, str], skip: bool
) -> None:
    names = ", ".join(args[0] for args in DJANGO_COMMANDS)
    with progress.step(f"Django: {names}") as out:
        if skip:
            out.detail = "skipped (CLUSTER_SKIP_DJANGO)"
        else:
            run_django_commands(layout, out, env)
    with progress.step("starting app1..app3 (5000-5002) and the failover monitor") as out:
        out.detail = "skipped (CLUSTER_SKIP_DJANGO)" if skip else ensure_apps(layout, sup)


def report_up(progress: Progress, layout: Layout, sup: Supervisor, env: dict[str, str], skip: bool) -> bool:
    with progress.step("status") as out:
        rows = [status_row(layout, sup, name) for name in STATUS_ORDER]
        found = problems(rows, skip)
        out.detail = "all healthy" if not found else "; ".join(found)
    say()
    print_urls()
    say()
    print_rows(rows)
    if not skip:
        say()
        replication = StepOutput("replication (manage.py replication_status)")
        started = time.monotonic()
        manage(replication, env, "replication_status")
        replication.finish("ok", time.monotonic() - started)
    return not found


def cmd_status(args: argparse.Namespace) -> int:
    layout = load_layout()
    sup = Supervisor(layout)
    if not sup.is_up():
        say("cluster is down (supervisord is not running): make up")
        return 3
    rows = [status_row(layout, sup, name) for name in STATUS_ORDER]
    print_rows(rows)
    found = problems(rows, skip_django=False)
    if found:
        say(f"\nnot healthy: {'; '.join(found)}")
    return 3 if found else 0


def checked_service(name: str | None) -> str:
    if name not in SERVICES:
        raise ClusterError(
            f"SERVICE must be one of: {' '.join(SERVICES)} (got {name or 'nothing'!r}); "
            "for example: make stop SERVICE=db2"
        )
    return name


def cmd_start(args: argparse.Namespace) -> int:
    name = checked_service(args.service)
    layout = load_layout()
    sup = connected(layout)
    started_at = time.monotonic()
    started = start_and_wait(layout, sup, [name])
    verdict = "started" if started else "was already running"
    say(f"{name} {verdict} ({time.monotonic() - started_at:.1f}s)")
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    name = checked_service(args.service)
    sup = connected(load_layout())
    started_at = time.monotonic()
    stopped = sup.stop(name)
    verdict = "stopped" if stopped else "was not running"
    say(f"{name} {verdict} ({time.monotonic() - started_at:.1f}s)")
    return 0


def cmd_restart(args: argparse.Namespace) -> int:
    name = checked_service(args.service)
    layout = load_layout()
    sup = connected(layout)
    started_at = time.monotonic()
    if name.startswith("app") and sup.state(name) == "RUNNING":
        # gunicorn: new workers with fresh code, old ones finish their requests.
        sup.signal(name, "HUP")
        wait_ready(layout, sup, name)
        say(f"{name}: sent HUP, workers reloaded gracefully ({time.monotonic() - started_at:.1f}s)")
        return 0
    sup.stop(name)
    start_and_wait(layout, sup, [name])
    say(f"{name} restarted ({time.monotonic() - started_at:.1f}s)")
    return 0


# --- recover: a stray former primary restarted once as a semi-sync replica ---------------

# A hard stop, then one start with this role: crash recovery then truncates the
# binlog of every transaction not committed in the engine (MDEV-21117; 10.11.9+).
RECOVER_OPTIONS = ("--init-rpl-role=SLAVE", "--rpl-semi-sync-slave-enabled=ON")
TRUNCATED = re.compile(r"truncat", re.IGNORECASE)


def kill_hard(layout: Layout, sup: Supervisor, name: str, timeout: float = 60) -> bool:
    """SIGKILL the server with no shutdown at all; False when it was not running.

    A clean shutdown is no good here: it lets commits that wait for a replica's
    acknowledgement go on and commit in the engine (seen with 10.11.19). The
    process is frozen first so the TERM that supervisord's stop sends (which
    keeps it from restarting the server) is never handled, then killed.

    First the InnoDB redo log is flushed: with the binlog on, InnoDB writes a
    commit record lazily (the prepare is durable, the binlog recovers the rest),
    so a transaction committed and answered a moment ago would come back from a
    kill as merely prepared, and --init-rpl-role=SLAVE would discard it (seen:
    an errant write on a replica, committed, truncated). After the flush only the
    transactions still waiting for an acknowledgement are left prepared.
    """
    info = sup.info(name)
    if info["statename"] not in ("RUNNING", "STARTING", "BACKOFF") or not info["pid"]:
        return False
    pid = int(info["pid"])
    try:
        flushed = mariadb_root(layout, database(name), "FLUSH NO_WRITE_TO_BINLOG ENGINE LOGS;", timeout=30)
        error = flushed.stderr.strip() if flushed.returncode else ""
    except subprocess.TimeoutExpired:
        error = "no answer in 30 s"
    if error:
        raise ClusterError(
            f"{name}: could not flush its InnoDB log before the kill ({error}): "
            "what it committed last might be discarded; not killing it"
        )
    os.kill(pid, signal.SIGSTOP)
    try:
        sup.stop_nowait(name)
    finally:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: sup.state(name) in ("STOPPED", "EXITED", "FATAL"), timeout, f"{name} to die")
    return True


def start_as_replica_once(layout: Layout, db: Database, timeout: float = 120) -> list[str]:
    """Run mariadbd once (outside supervisord) with RECOVER_OPTIONS, shut it down cleanly.

    Returns the log lines saying what the recovery truncated. A server whose
    binlog cannot be truncated safely refuses to start: ClusterError.
    """
    mariadbd = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
    log = log_file(db.name)
    offset = log.stat().st_size if log.exists() else 0
    cmd = [mariadbd, f"--defaults-file={layout.cnf(db)}", "--user=mysql", *RECOVER_OPTIONS]
    ensure_port_free(db.port, db.name)
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=clean_environment())
    try:
        wait_for(
            partial(db_answers, layout, db), timeout, f"{db.name} (started with {' '.join(RECOVER_OPTIONS)})",
            log=log, failed=lambda: None if proc.poll() is None else f"exited {proc.returncode}",
        )  # fmt: skip
    finally:
        if proc.poll() is None:
            proc.terminate()  # nothing waits for an acknowledgement now: a clean shutdown
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with open(log, "rb") as text:
        text.seek(offset)
        lines = text.read().decode(errors="replace").splitlines()
    return [line for line in lines if TRUNCATED.search(line)]


def cmd_recover(args: argparse.Namespace) -> int:
    name = checked_service(args.service)
    if not name.startswith("db"):
        raise ClusterError(f"recover is for database servers (db1..db3), not {name}")
    layout = load_layout()
    sup = connected(layout)
    started_at = time.monotonic()
    killed = kill_hard(layout, sup, name)
    say(f"{name}: {'killed (SIGKILL, no shutdown)' if killed else 'was not running'}")
    truncated = start_as_replica_once(layout, database(name))
    for line in truncated:
        say(f"{name}: {line}")
    if not truncated:
        say(f"{name}: recovery truncated nothing (every binlogged transaction was committed in the engine)")
    start_and_wait(layout, sup, [name])
    say(f"{name} recovered as a replica and restarted ({time.monotonic() - started_at:.1f}s)")
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    name = checked_service(args.service)
    path = log_file(name)
    if not path.is_file():
        raise ClusterError(f"no log for {name} yet ({shown(path)})")
    paths = [path]
    if name == "nginx" and (LOGS / "nginx-access.log").is_file():
        paths.append(LOGS / "nginx-access.log")  # one line per request, written by nginx itself
    cmd = ["tail", "-n", str(args.lines), *(["-F"] if args.follow else []), *map(str, paths)]
    os.execvp("tail", cmd)


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    """True for a live process; a zombie (exited, not yet reaped) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def pid_gone(pid: int) -> bool:
    return not pid_alive(pid)


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


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
        pid = sup.pid()
        sup.shutdown()
        wait_for(partial(pid_gone, pid), 30, "supervisord to exit")
        say(f"  supervisord (pid {pid}) exited")
    else:
        say("  supervisord is not running")
    stop_leftovers(layout)


def cmd_down(args: argparse.Namespace) -> int:
    with exclusive_lock():
        stop_cluster(load_layout())
    say("cluster down (data kept in .state; make up starts it again)")
    return 0


def remove_tree(path: Path) -> None:
    if path.is_symlink():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)
        say(f"  removed {path}")


def cmd_clean(args: argparse.Namespace) -> int:
    layout = load_layout()
    with exclusive_lock():
        stop_cluster(layout)
        for runtime in {layout.runtime, relocation_dir()}:
            if runtime.parent == RELOCATION_ROOT:
                remove_tree(runtime)
        remove_tree(STATE)
    if RELOCATION_ROOT.is_dir() and not any(RELOCATION_ROOT.iterdir()):
        RELOCATION_ROOT.rmdir()
    say("cluster state removed (.env, .venv and staticfiles/ kept)")
    return 0


def cmd_deps(args: argparse.Namespace) -> int:
    progress = Progress(2)
    make_logs_dir()
    title = "OS packages (apt)" + (", test packages included" if args.test else "")
    with progress.step(title) as out:
        out.detail = ensure_packages(with_tests=args.test)
    with progress.step("Python virtualenv .venv") as out:
        out.detail = ensure_venv()
    return 0


def run_pytest(pytest_args: Sequence[str]) -> int:
    """pytest with DATABASE_URL as the admin account, which may create the test database."""
    env = read_env()
    user, password, primary = require(env, "DB_ADMIN_USER", "DB_ADMIN_PASSWORD", "DATABASE_URL")
    name = urlsplit(primary).path.lstrip("/") or "salas"
    credentials = f"{quote(user, safe='')}:{quote(password, safe='')}"
    url = f"mysql://{credentials}@{HOST}:{PRIMARY.port}/{name}"
    say(f"pytest with DATABASE_URL=mysql://{user}:***@{HOST}:{PRIMARY.port}/{name}")
    pytest = str(VENV_BIN / "pytest")
    os.execve(pytest, [pytest, *pytest_args], {**os.environ, "DATABASE_URL": url})


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="bring the cluster up (idempotent)")
    up.add_argument("--skip-django", action="store_true", help="databases and nginx only")
    up.set_defaults(handler=cmd_up)
    commands.add_parser("status", help="state and health of each service").set_defaults(handler=cmd_status)
    for name, handler in (("start", cmd_start), ("stop", cmd_stop), ("restart", cmd_restart)):
        sub = commands.add_parser(name, help=f"{name} one service")
        sub.add_argument("service", nargs="?", help=" | ".join(SERVICES))
        sub.set_defaults(handler=handler)
    recover = commands.add_parser(
        "recover", help="kill a server hard, start it once with --init-rpl-role=SLAVE, restart it"
    )
    recover.add_argument("service", nargs="?", help="db1 | db2 | db3")
    recover.set_defaults(handler=cmd_recover)
    logs = commands.add_parser("logs", help="tail a service's log")
    logs.add_argument("service", nargs="?", help=" | ".join(SERVICES))
    logs.add_argument("--follow", "-f", action="store_true")
    logs.add_argument("--lines", "-n", type=int, default=100)
    logs.set_defaults(handler=cmd_logs)
    commands.add_parser("down", help="stop everything, keep data").set_defaults(handler=cmd_down)
    commands.add_parser("clean", help="down, then delete all state").set_defaults(handler=cmd_clean)
    deps = commands.add_parser("deps", help="OS packages and .venv")
    deps.add_argument("--test", action="store_true", help="also chromium, docker-compose")
    deps.set_defaults(handler=cmd_deps)
    commands.add_parser("pytest", help="pytest against the cluster (args passed on)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["pytest"]:
            return run_pytest(argv[1:])
        args = parse_args(argv)
        return args.handler(args)
    except ClusterError as error:
        report_failure(error)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
