"""`make rotate-secret NAME=...`: a new random value for one secret, in .env and everywhere it
is used, on a running cluster; `python3 -m cluster env`, which creates .env and fills every
missing secret (the Docker path runs the same before `docker-compose up`); and `make reload`,
which applies .env to a running cluster (nginx, app nodes, monitor).

A database password changes on the servers first, then the programs that log in with it are
restarted: gunicorn's graceful reload (HUP) for the app nodes, a restart for the monitor.
Between the two, a node's new connections are refused for a moment (its open ones keep
working): MariaDB has no second password per account to bridge the change.
"""

from __future__ import annotations

import argparse

from cluster.console import ClusterError, Progress, say
from cluster.envfile import ensure_env_file, new_secret, read_env, set_env_value
from cluster.layout import Layout, load_layout
from cluster.probes import wait_ready
from cluster.shell import exclusive_lock, make_logs_dir
from cluster.steps import ensure_databases_running, ensure_nginx, manage
from cluster.supervisor import Supervisor, connected
from cluster.topology import APPS, MONITOR

# What each secret is and what a new one changes, in the words `make rotate-secret` prints.
ROTATABLE = {
    "DJANGO_SECRET_KEY": "signs sessions and CSRF tokens: every signed-in user is signed out",
    "DB_APP_PASSWORD": "the app nodes' database account",
    "DB_MIGRATE_PASSWORD": "the schema owner (manage.py migrate)",
    "DB_ADMIN_PASSWORD": "the admin account on every server (cluster scripts, failover monitor)",
    "REPLICATION_PASSWORD": "the account replicas read the primary's binlog with",
}
# Accounts setup_replication (re)creates on the primary; replication carries them to the replicas.
PRIMARY_ACCOUNTS = frozenset({"DB_APP_PASSWORD", "DB_MIGRATE_PASSWORD", "REPLICATION_PASSWORD"})


def cmd_env(args: argparse.Namespace) -> int:
    say(f".env: {ensure_env_file()}")
    return 0


def cmd_rotate(args: argparse.Namespace) -> int:
    name = args.name
    if name not in ROTATABLE:
        choices = " ".join(ROTATABLE)
        raise ClusterError(f"NAME must be one of: {choices} (got {name or 'nothing'!r})")
    layout = load_layout()
    sup = connected(layout)
    progress = Progress(3)
    with exclusive_lock():
        make_logs_dir()
        with progress.step(f"new {name} in .env ({ROTATABLE[name]})") as out:
            set_env_value(name, new_secret(name))
            out.detail = "written (mode 0600); the value is not shown"
        env = read_env()
        with progress.step("database servers") as out:
            if name == "DB_ADMIN_PASSWORD":
                out.detail = ensure_databases_running(layout, sup, env)
            elif name in PRIMARY_ACCOUNTS:
                # The primary answers these statements once a replica acknowledges them
                # (semi-sync, no timeout): with none replicating they would wait for ever.
                try:
                    manage(out, env, "replication_status", "--check")
                except ClusterError as error:
                    raise ClusterError(
                        f"replication is not healthy, so the primary could not apply the new {name} "
                        f"(.env has it already): repair replication (make up), then run make up "
                        f"again to apply it",
                        error.log,
                    ) from error
                # --force re-points the replicas too: CHANGE MASTER holds the replication password.
                force = ["--force"] if name == "REPLICATION_PASSWORD" else []
                manage(out, env, "setup_replication", *force)
            else:
                out.detail = "nothing to change there"
        with progress.step("app nodes and the failover monitor") as out:
            out.detail = reload_readers(layout, sup)
    say(f"\n{name} rotated")
    return 0


def cmd_reload(args: argparse.Namespace) -> int:
    """Apply .env to a running cluster without touching the databases: nginx re-rendered
    (TLS included), app nodes reloaded, the monitor restarted."""
    layout = load_layout()
    sup = connected(layout)
    progress = Progress(2)
    with exclusive_lock():
        make_logs_dir()
        env = read_env()
        with progress.step("nginx") as out:
            out.detail = ensure_nginx(layout, sup, env)
        with progress.step("app nodes and the failover monitor") as out:
            out.detail = reload_readers(layout, sup)
    return 0


def reload_readers(layout: Layout, sup: Supervisor) -> str:
    """Every program that read .env at start: app nodes reload gracefully, the monitor restarts."""
    reloaded = []
    for app in APPS:
        if sup.state(app.name) == "RUNNING":
            sup.signal(app.name, "HUP")
            reloaded.append(app.name)
    for name in reloaded:
        wait_ready(layout, sup, name)
    if sup.state(MONITOR) == "RUNNING":
        sup.stop(MONITOR)
        sup.start(MONITOR, wait=True)
        reloaded.append(MONITOR)
    return f"reloaded {', '.join(reloaded)}" if reloaded else "none running"
