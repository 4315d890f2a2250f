"""The failover monitor as a supervised program (manage.py monitor): its command and options.

Standard library only, like the rest of the package: the monitor is one more
supervised program, started by `make up` after the app nodes and stopped before
anything else (so stopping the cluster never looks like a lost primary to it).
"""

from __future__ import annotations

import shlex
from pathlib import Path

from cluster.topology import MONITOR

NAME = MONITOR
# The local cluster fails over by itself; .env may say otherwise.
DEFAULTS = {"FAILOVER_AUTO": "1", "FAILOVER_AFTER_SECONDS": "3"}


def program(repo: Path, venv_bin: Path, env: dict[str, str]) -> tuple[str, dict[str, str], dict[str, str]]:
    """The command line, supervisord options and environment of the monitor program."""
    command = shlex.join([str(venv_bin / "python"), str(repo / "manage.py"), "monitor"])
    variables = {key: env.get(key) or default for key, default in DEFAULTS.items()}
    variables |= {"NODE_NAME": NAME, "PYTHONUNBUFFERED": "1"}
    options = {
        "directory": str(repo),
        "startsecs": "2",
        "stopsignal": "TERM",
        # A failover in progress takes a few seconds; let it finish.
        "stopwaitsecs": "30",
    }
    return command, options, variables


def last_line(log: Path) -> str:
    """What the monitor last decided (its log's last line), for `make status`."""
    try:
        with open(log, "rb") as handle:
            handle.seek(0, 2)
            handle.seek(max(0, handle.tell() - 4096))
            lines = handle.read().decode(errors="replace").strip().splitlines()
    except OSError:
        return "no log yet"
    return lines[-1][:110] if lines else "no decision logged yet"
