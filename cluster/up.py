"""`make up`: the ten numbered steps in order, then the status table and replication health."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence

from cluster.console import Progress, StepOutput, say
from cluster.envfile import ensure_env_file, read_env, require
from cluster.layout import Layout, choose_layout
from cluster.packages import ensure_packages, ensure_venv
from cluster.shell import exclusive_lock, make_logs_dir, require_root
from cluster.status import print_rows, print_urls, problems, status_row
from cluster.steps import (
    DJANGO_COMMANDS,
    ensure_apps,
    ensure_database_files,
    ensure_databases_running,
    ensure_nginx,
    ensure_supervisord,
    manage,
    run_django_commands,
)
from cluster.supervisor import Supervisor
from cluster.topology import APPS, DATABASES, HOST, NGINX_PORT, STATUS_ORDER, App, Database

UP_STEPS = 10


def span(services: Sequence[App] | Sequence[Database]) -> str:
    """A run of services as the steps name it: `db1..db3 (3308-3310)`."""
    first, last = services[0], services[-1]
    return f"{first.name}..{last.name} ({first.port}-{last.port})"


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
    with progress.step(f"starting {span(DATABASES)}") as out:
        out.detail = ensure_databases_running(layout, sup, env)
    bring_up_django(progress, layout, sup, env, skip)
    with progress.step(f"nginx on {HOST}:{NGINX_PORT}") as out:
        out.detail = ensure_nginx(layout, sup, env)
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
    with progress.step(f"starting {span(APPS)} and the failover monitor") as out:
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
