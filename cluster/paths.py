"""Where the repo keeps what the cluster reads and writes: templates, .env, .venv, .state, logs.

Fixed paths only; where the runtime files (sockets, data dirs, pid files) go is
decided by `cluster.layout`.
"""

from __future__ import annotations

from pathlib import Path

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
# Written only when the runtime files live outside .state (see cluster.layout).
RUNTIME_MARKER = STATE / "runtime-root"
RELOCATION_ROOT = Path("/var/lib/salas")


def shown(path: Path) -> str:
    """A path as short as it can be shown: relative to the repo when inside it."""
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def log_file(service: str) -> Path:
    suffix = ".err" if service.startswith("db") else ".log"
    return LOGS / f"{service}{suffix}"
