"""The subcommands behind the Makefile (up, status, start, stop, restart, logs, env,
rotate-secret, reload, down, clean, deps, pytest): argument parsing, one handler each, errors
reported with the log to read."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from urllib.parse import quote, urlsplit

import cluster
from cluster.console import ClusterError, Progress, report_failure, say
from cluster.envfile import read_env, require
from cluster.layout import load_layout, relocation_dir
from cluster.packages import ensure_packages, ensure_venv
from cluster.paths import LOGS, RELOCATION_ROOT, STATE, VENV_BIN, log_file, shown
from cluster.probes import start_and_wait, wait_ready
from cluster.recover import cmd_recover
from cluster.rotate import ROTATABLE, cmd_env, cmd_reload, cmd_rotate
from cluster.shell import exclusive_lock, make_logs_dir
from cluster.status import print_rows, problems, status_row
from cluster.supervisor import Supervisor, connected
from cluster.teardown import remove_tree, stop_cluster
from cluster.topology import HOST, PRIMARY, SERVICES, STATUS_ORDER
from cluster.up import cmd_up


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


def cmd_down(args: argparse.Namespace) -> int:
    with exclusive_lock():
        stop_cluster(load_layout())
    say("cluster down (data kept in .state; make up starts it again)")
    return 0


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
    parser = argparse.ArgumentParser(description=cluster.__doc__.splitlines()[0])
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
    env = commands.add_parser("env", help="create .env and fill every missing secret (set ones are kept)")
    env.set_defaults(handler=cmd_env)
    rotate = commands.add_parser("rotate-secret", help="a new value for one secret, on the running cluster")
    rotate.add_argument("name", nargs="?", help=" | ".join(ROTATABLE))
    rotate.set_defaults(handler=cmd_rotate)
    reload = commands.add_parser(
        "reload", help="apply .env to the running cluster (nginx, app nodes, monitor)"
    )
    reload.set_defaults(handler=cmd_reload)
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
