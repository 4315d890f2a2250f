"""Talking to the running three-node cluster from tests: HTTP, SQL and process control."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import uuid
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import MySQLdb
import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool

from cluster import topology
from cluster.envfile import dotenv_values
from cluster.supervisor import Supervisor
from replication import sql
from tests.credentials import PASSWORD

__all__ = ["PASSWORD", "Supervisor"]

ROOT = Path(__file__).resolve().parents[2]
NGINX = topology.NGINX_URL
NODES = {app.name: app.url for app in topology.APPS}
DB_PORTS = {db.name: db.port for db in topology.DATABASES}
REPLICAS = tuple(db.name for db in topology.REPLICAS)
BASES = list(NODES.values())
# The local cluster runs MariaDB (mysql/local/); the statements come from replication.sql.
FLAVOR = sql.Flavor("mariadb", (10, 11, 0))

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T], *, timeout: float = 30.0, interval: float = 0.1, what: str = ""
) -> T:
    """Poll until predicate() is truthy; return its value or fail naming what never happened."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except Exception as exc:  # noqa: BLE001 - a failing probe is just "not yet"
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}: last={last!r}")


def run_cluster(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """`python3 -m cluster ARGS` (make reload, make rotate-secret...); fails the test if it fails."""
    result = subprocess.run(
        [sys.executable, "-m", "cluster", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@dataclass
class Database:
    name: str
    port: int

    def connect(self) -> Any:
        env = dotenv_values()
        return MySQLdb.connect(
            host=topology.HOST,
            port=self.port,
            user=env["DB_ADMIN_USER"],
            password=env["DB_ADMIN_PASSWORD"],
            connect_timeout=3,
            autocommit=True,
            charset="utf8mb4",
        )

    def query(self, sql: str, params: Any = None) -> list[tuple]:
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
        finally:
            connection.close()

    def scalar(self, sql: str, params: Any = None) -> Any:
        rows = self.query(sql, params)
        return rows[0][0] if rows else None

    def status(self) -> dict[str, Any]:
        connection = self.connect()
        try:
            with connection.cursor(MySQLdb.cursors.DictCursor) as cursor:
                cursor.execute(sql.show_replica_status(FLAVOR))
                return cursor.fetchone() or {}
        finally:
            connection.close()

    def alive(self) -> bool:
        try:
            return self.scalar("SELECT 1") == 1
        except MySQLdb.Error:
            return False


DBS = {name: Database(name, port) for name, port in DB_PORTS.items()}


# Tests talk to the app nodes directly, where nginx normally stands, and gunicorn closes a
# kept-alive connection idle for its keepalive (5 s, cluster/gunicorn.conf.py). A request sent
# on one at that moment is reset, and requests resends nothing by default, GET or POST. With 12
# other clients loading a node, 10 of 2,800 requests on connections idle 4.9-5.9 s were reset.
# nginx avoids the race by closing idle upstream connections first (4 s); so do the tests'
# sessions, after STALE_AFTER.
STALE_AFTER = 2.0


class _FreshConnectionPool(HTTPConnectionPool):
    """Closes a pooled connection idle for STALE_AFTER before lending it again (it reconnects)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._idle_since: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()

    def _put_conn(self, conn: Any) -> None:
        if conn is not None:
            self._idle_since[conn] = time.monotonic()
        super()._put_conn(conn)

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)
        since = self._idle_since.pop(conn, None)
        if since is not None and time.monotonic() - since >= STALE_AFTER:
            conn.close()  # as urllib3 does with a connection it finds dropped
        return conn


class _NoStaleConnections(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        classes = self.poolmanager.pool_classes_by_scheme
        self.poolmanager.pool_classes_by_scheme = {**classes, "http": _FreshConnectionPool}


def new_session() -> requests.Session:
    session = requests.Session()
    session.mount("http://", _NoStaleConnections())
    session.headers["Accept"] = "application/json"
    return session


def csrf(session: requests.Session, base: str = NGINX) -> str:
    token = session.cookies.get("csrftoken")
    if not token:
        # The same bound as the POST it precedes: in the races of fifty sign-ups it queues behind
        # password hashes (~0.5 s of CPU each on 2 cores), past 10 s on a loaded machine.
        token = session.get(f"{base}/auth/csrf", timeout=30).json()["csrfToken"]
    return token


def post_json(session: requests.Session, url: str, body: dict, base: str = NGINX, method: str = "POST"):
    return session.request(method, url, json=body, headers={"X-CSRFToken": csrf(session, base)}, timeout=30)


def create_room(
    session: requests.Session, codigo: str, *, base: str = NGINX, nombre: str = "sala", capacidad: int = 2
) -> requests.Response:
    """POST /sala/create on `base` (nginx or one node) with the session's CSRF token."""
    body = {"nombre": nombre, "codigo": codigo, "capacidad": capacidad}
    return post_json(session, f"{base}/sala/create", body, base)


def signed_up_user(base: str = NGINX) -> tuple[requests.Session, str]:
    session = new_session()
    name = f"u{uuid.uuid4().hex[:12]}"
    response = post_json(
        session,
        f"{base}/auth/register",
        {"username": name, "email": f"{name}@example.com", "password": PASSWORD},
        base,
    )
    assert response.status_code == 201, response.text
    return session, name


def unique_code(prefix: str = "T") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}".upper()


def status(base: str) -> dict[str, Any]:
    return requests.get(f"{base}/api/status", timeout=10).json()


def primary_position() -> str:
    return DBS[topology.PRIMARY.name].scalar(sql.primary_gtid_position(FLAVOR))


def wait_replicas_caught_up(timeout: float = 60) -> None:
    position = primary_position()
    for name in REPLICAS:
        result = DBS[name].scalar(sql.wait_for_gtid(FLAVOR), [position, timeout])
        assert result == 0, f"{name} did not reach {position}"


def table_checksum(db: Database, table: str = "salas.salas_sala") -> int:
    return db.query(f"CHECKSUM TABLE {table}")[0][1]


def assert_rooms_on_every_server(codes: list[str]) -> None:
    """Every room code is on db1, db2 and db3, and the three tables end up identical."""
    assert codes, "no write was acknowledged at all"
    wait_replicas_caught_up()
    placeholders = ",".join(["%s"] * len(codes))
    for name in DB_PORTS:
        found = DBS[name].scalar(
            f"SELECT COUNT(*) FROM salas.salas_sala WHERE codigo IN ({placeholders})", codes
        )
        assert found == len(codes), f"{name} holds {found} of {len(codes)} acknowledged rooms"

    def identical() -> bool:
        # Other clients may still be writing: compare once replication settles.
        wait_replicas_caught_up()
        return len({table_checksum(DBS[name]) for name in DB_PORTS}) == 1

    wait_until(identical, timeout=60, what="identical checksums on db1, db2 and db3")


def assert_one_winner_of_fifty(attempt: Callable[[int], int]) -> None:
    """Run attempt(0..49) at once; the database must accept exactly one, refuse 49 with 409."""

    def outcome(i: int) -> int | str:
        # A failed request shows in the assertion with the other 49 outcomes.
        try:
            return attempt(i)
        except requests.RequestException as exc:
            return f"#{i} on {BASES[i % 3]}: {exc!r}"

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(outcome, range(50)))
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == 49, statuses


def assert_balance_three_two_one() -> None:
    """`python -m cluster balance`: 600 requests through nginx split 3:2:1 over the nodes."""
    result = run_cluster("balance", "--requests", "600", timeout=300)
    assert "app1" in result.stdout and "balance within" in result.stdout


def assert_rotated_forwarded_address_does_not_dodge_lockout(base: str) -> None:
    """A client on a node's port cannot pose as five others with X-Real-IP: the 5th failure locks."""
    _, name = signed_up_user()
    # From an address of its own: failures from 127.0.0.1 would add up, run after run, to the
    # per-address lockout (AXES_ADDRESS_FAILURE_LIMIT) of every test signing in from it.
    address = fresh_address()
    statuses = []
    for i in range(5):
        session = session_from(address)
        session.headers["X-Real-IP"] = f"203.0.113.{i + 1}"
        statuses.append(
            post_json(session, f"{base}/auth/login", {"username": name, "password": "mala"}, base).status_code
        )
    assert statuses == [401, 401, 401, 401, 429], statuses


def create_and_read_back_everywhere(writer: requests.Session, attempt: int) -> str:
    """Create a room through nginx, then find it on every node at once (read-your-writes)."""
    codigo = unique_code("RYW")
    created = create_room(writer, codigo, nombre=f"ryw {attempt}", capacidad=5)
    assert created.status_code == 201, created.text
    for node, base in NODES.items():
        # The writer's cookies (session + GTID) go to every node directly.
        listing = writer.get(f"{base}/sala/all", params={"q": codigo}, timeout=10)
        assert listing.status_code == 200, (node, listing.text)
        assert [s["codigo"] for s in listing.json()["salas"]] == [codigo], f"{node} hid the write"
    return codigo


class _FromAddress(_NoStaleConnections):
    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs, source_address=(self.address, 0))


def session_from(address: str) -> requests.Session:
    """A session whose connections leave from `address`: nginx sees another client.

    Any 127.x.y.z is this machine's loopback; the services treat only 127.0.0.1 as
    the operator's own address (MONITORING_NETWORKS, nginx's limit exemption), so
    another one stands in for a client elsewhere, with nothing forged in a header.
    """
    session = new_session()
    session.mount("http://", _FromAddress(address))
    return session


def fresh_address() -> str:
    """A loopback address no earlier run used recently (limits remember an address a while)."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
