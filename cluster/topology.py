"""The cluster's shape, defined once: servers, nodes, ports, weights, service names.

Read by the runner (`python3 -m cluster`), the cluster tests, the bench, Locust and
`manage.py check_balance`; standard library only, so all of them can import it.
Where the files of each service live (sockets, pid files) is `cluster.layout`'s.
nginx/nginx.conf.template repeats the weights (Docker renders it too): keep them equal.
"""

from __future__ import annotations

from dataclasses import dataclass

HOST = "127.0.0.1"
NGINX_PORT = 8084
NGINX_URL = f"http://{HOST}:{NGINX_PORT}"
# HTTPS, when TLS=1 in .env (cluster/tls.py); plain HTTP on NGINX_PORT then redirects here.
NGINX_TLS_PORT = 8443
NGINX_TLS_URL = f"https://{HOST}:{NGINX_TLS_PORT}"
# Where make up's nodes send mail (password reset) unless .env sets EMAIL_URL: nothing
# listens there by itself (a node logs the failure); the cluster tests start a real SMTP
# server on it, and `.venv/bin/python -m aiosmtpd -n -l 127.0.0.1:8025` prints what arrives.
MAIL_PORT = 8025
MAIL_URL = f"smtp://{HOST}:{MAIL_PORT}"
# The failover monitor: a supervised program that listens nowhere (cluster/monitor.py).
MONITOR = "monitor"


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
    # nginx's weighted round robin (nginx/nginx.conf.template).
    weight: int
    # "primary": read the primary, and the replica only while the primary is down.
    read_preference: str = "replica"

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def own_database(self) -> str:
        """Node i reads server i (app2 -> db2), whatever role that server has now."""
        return "db" + self.name.removeprefix("app")


DATABASES = (
    Database("db1", 3308, 1, replica=False),
    Database("db2", 3309, 2, replica=True),
    Database("db3", 3310, 3, replica=True),
)
# The primary `make up` sets up (a failover may move the role: replication/topology.py).
PRIMARY = DATABASES[0]
REPLICAS = tuple(db for db in DATABASES if db.replica)
# Node 1 reads the primary; db2 is its fallback for reads while the primary is down.
APPS = (
    App("app1", 5000, DATABASES[1], weight=3, read_preference="primary"),
    App("app2", 5001, DATABASES[1], weight=2),
    App("app3", 5002, DATABASES[2], weight=1),
)
WEIGHTS = {app.name: app.weight for app in APPS}

SERVICES = ("nginx", *(app.name for app in APPS), *(db.name for db in DATABASES), MONITOR)
STATUS_ORDER = (*(db.name for db in DATABASES), *(app.name for app in APPS), "nginx", MONITOR)
# The monitor first (a database stopping must not look like a lost primary), then
# front to back; replicas before the primary, so they stop at a quiet point.
STOP_ORDER = (MONITOR, "nginx", *(app.name for app in APPS), *(db.name for db in REPLICAS), PRIMARY.name)
# Every TCP port the cluster listens on (all on HOST).
PORTS = (NGINX_PORT, *(app.port for app in APPS), *(db.port for db in DATABASES))


def database(name: str) -> Database:
    return next(db for db in DATABASES if db.name == name)


def service_port(name: str) -> int | None:
    """The TCP port a service answers on; None for the monitor, which listens nowhere."""
    if name == MONITOR:
        return None
    ports = {db.name: db.port for db in DATABASES} | {app.name: app.port for app in APPS}
    return ports.get(name, NGINX_PORT)
