"""The bench's constants: where the cluster listens and keeps its files, and the bench's own ports.

The only bench module that imports from cluster/ (the `.env` reader and what the floor
needs to start gunicorn and nginx like the cluster does): when the cluster's topology moves,
this is the one file to redirect. No logic lives here.
"""

from __future__ import annotations

import os
from pathlib import Path

from cluster import paths, render, topology
from cluster.envfile import dotenv_values
from cluster.layout import NGINX_USER
from cluster.procfs import read_pid
from tests.credentials import PASSWORD

__all__ = ["NGINX_USER", "PASSWORD", "dotenv_values", "read_pid"]

ROOT = paths.REPO
VENV = paths.VENV
REPORTS = ROOT / "reports"
WRK_LUA = ROOT / "bench" / "wrk.lua"

# --- the cluster being measured (cluster/topology.py) -------------------------------------

BALANCER = topology.NGINX_URL
DB_PORTS = {db.name: db.port for db in topology.DATABASES}
PRIMARY = topology.PRIMARY.name
REPLICAS = tuple(db.name for db in topology.REPLICAS)
APP_PORTS = {app.name: app.port for app in topology.APPS}
APPS = tuple(APP_PORTS)

STATE = paths.STATE
LOGS = STATE / "logs"
RUN_DIR = STATE / "run"
NGINX_PID = STATE / "nginx" / "nginx.pid"
SUPERVISORD_PID = RUN_DIR / "supervisord.pid"
# The nodes' topology record: salas_project/settings.py's default, unless .env names another.
TOPOLOGY_FILE = STATE / "topology.json"


def app_pid_file(app: str) -> Path:
    return RUN_DIR / f"{app}.pid"


def db_pid_file(db: str) -> Path:
    return STATE / db / "mysqld.pid"


def app_log(app: str) -> Path:
    return LOGS / f"{app}.log"


# What bench/floor.py starts its gunicorn apps and nginx with: the cluster's own.
CLUSTER_REPO = paths.REPO
CLUSTER_NODES = topology.APPS
GUNICORN = paths.VENV_BIN / "gunicorn"
GUNICORN_CONF = paths.GUNICORN_CONF
NGINX_TEMPLATE = paths.NGINX_TEMPLATE
render_template = render.render
node_environment = render.node_environment

# --- the bench's own servers (127.0.0.1) -------------------------------------------------

CEILING_PORT = 8090
FLOOR_PORT = 8091
# bench/pipeline.py: this tree, the other tree, the floor.
PIPELINE_PORTS = (8092, 8093, 8094)
# The nodes' application with the bench's minimal view (bench/minimal_view.py).
MINIMAL_PORT = 8095

# --- the bench's data and habits ------------------------------------------------------------

BENCH_USER = "salas-bench"
BENCH_EMAIL = "salas-bench@example.com"
LIST_ROOMS = 100
# How often a step tries again after the cluster hiccuped (a server restarted meanwhile).
ATTEMPTS = 3
DELETE_THREADS = 4
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
