"""The steps of `make up` after the packages: data dirs, supervisord, the databases and their
admin account, the Django commands, the app nodes and nginx. Each checks before it acts."""

from __future__ import annotations

import shlex
import shutil
import socket
import subprocess
from functools import partial
from pathlib import Path

from cluster import tls
from cluster.console import ClusterError, StepOutput
from cluster.envfile import require
from cluster.layout import Layout, prepare_dirs
from cluster.paths import LOGS, REPO, VENV_BIN, log_file, shown
from cluster.probes import http_get, mariadb_root, start_and_wait
from cluster.render import mysql_config, nginx_config, supervisor_config
from cluster.shell import clean_environment, run_logged, run_streamed, wait_for, write_if_changed
from cluster.supervisor import Supervisor, start_supervisord
from cluster.topology import APPS, DATABASES, HOST, MONITOR, NGINX_PORT, Database

DJANGO_COMMANDS = (
    ("setup_replication",),
    ("migrate", "--noinput"),
    ("collectstatic", "--noinput"),
    # locale/*/LC_MESSAGES/django.mo from the .po files (not committed); hidden dirs such as
    # .venv and .state hold other projects' catalogues and are skipped.
    ("compilemessages", "--ignore=.*", "--ignore=staticfiles"),
    ("ensure_admin",),
    ("seed_demo",),
)


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
    return f"started (pid {sup.supervisord_pid()}, socket {shown(layout.supervisor_sock)})"


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


# Commands that log in as the schema owner (MIGRATE_DATABASE_URL, DDL) instead of the
# app account (DML only): settings.py reads DATABASE_ACCOUNT.
SCHEMA_OWNER_COMMANDS = frozenset({"migrate"})


def manage(out: StepOutput, env: dict[str, str], *args: str) -> None:
    cmd = [str(VENV_BIN / "python"), "manage.py", *args]
    environment = django_environment(env)
    if args[0] in SCHEMA_OWNER_COMMANDS:
        environment["DATABASE_ACCOUNT"] = "migrate"
    run_streamed(cmd, LOGS / "django.log", out, args[0], environment)


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
    started = start_and_wait(layout, sup, [app.name for app in APPS] + [MONITOR])
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


def ensure_nginx(layout: Layout, sup: Supervisor, env: dict[str, str]) -> str:
    """nginx running with the config rendered from the template and .env; TLS per cluster/tls.py."""
    return _ensure_nginx(layout, sup, env) + tls.describe(env)


def _ensure_nginx(layout: Layout, sup: Supervisor, env: dict[str, str]) -> str:
    changed = write_if_changed(layout.nginx_conf, nginx_config(layout, env))
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
