"""The bench's constants: where the cluster listens and keeps its files, and the bench's own ports.

The only bench module that imports from cluster/ (the `.env` reader and what the floor
needs to start gunicorn and nginx like the cluster does): when the cluster's topology moves,
this is the one file to redirect. No logic lives here.
"""

from __future__ import annotations

import os
from pathlib import Path

from cluster import cluster
from cluster.cluster import dotenv_values

__all__ = ["dotenv_values"]

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
REPORTS = ROOT / "reports"
WRK_LUA = ROOT / "bench" / "wrk.lua"

# --- the cluster being measured ------------------------------------------------------------

BALANCER = "http://127.0.0.1:8084"
DB_PORTS = {"db1": 3308, "db2": 3309, "db3": 3310}
PRIMARY = "db1"
REPLICAS = ("db2", "db3")
APP_PORTS = {"app1": 5000, "app2": 5001, "app3": 5002}
APPS = tuple(APP_PORTS)

STATE = ROOT / ".state"
LOGS = STATE / "logs"
RUN_DIR = STATE / "run"
NGINX_PID = STATE / "nginx" / "nginx.pid"
SUPERVISORD_PID = RUN_DIR / "supervisord.pid"


def app_pid_file(app: str) -> Path:
    return RUN_DIR / f"{app}.pid"


def db_pid_file(db: str) -> Path:
    return STATE / db / "mysqld.pid"


def app_log(app: str) -> Path:
    return LOGS / f"{app}.log"


# What bench/floor.py starts its gunicorn apps and nginx with: the cluster's own.
CLUSTER_REPO = cluster.REPO
CLUSTER_NODES = cluster.APPS
GUNICORN = cluster.VENV_BIN / "gunicorn"
GUNICORN_CONF = cluster.GUNICORN_CONF
NGINX_TEMPLATE = cluster.NGINX_TEMPLATE
NGINX_USER = cluster.NGINX_USER
render = cluster.render
node_environment = cluster.node_environment

# --- the bench's own servers (127.0.0.1) -------------------------------------------------

CEILING_PORT = 8090
FLOOR_PORT = 8091
# bench/pipeline.py: this tree, the other tree, the floor.
PIPELINE_PORTS = (8092, 8093, 8094)

# --- the bench's data and habits ------------------------------------------------------------

BENCH_USER = "salas-bench"
BENCH_EMAIL = "salas-bench@example.com"
PASSWORD = "Cl4ve-Segura-2026"
LIST_ROOMS = 100
# How often a step tries again after the cluster hiccuped (a server restarted meanwhile).
ATTEMPTS = 3
DELETE_THREADS = 4
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
