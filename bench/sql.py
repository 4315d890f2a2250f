"""SQL statements per request: MariaDB's global status counters on db1..db3 around N sequential requests.

Counters holds one admin connection per server (also used by the booking step to count double
bookings); measure_sql subtracts an idle interval of the same length; run_sql_suite is the
`sql` step over the endpoints of sql_endpoints. Printing is in bench/report.py.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from dataclasses import dataclass
from typing import Any

import MySQLdb

from bench.api import Api, expect, wait_for_cluster
from bench.common import BenchError, say
from bench.config import ATTEMPTS, DB_PORTS, LIST_ROOMS, PRIMARY, REPLICAS, dotenv_values
from bench.rooms import SQL_PREFIX

# INSERT ... SELECT (the create lane's statement) counts as Com_insert_select, not Com_insert.
WRITE_COUNTERS = ("Com_insert", "Com_insert_select", "Com_update", "Com_delete")
STATUS_COUNTERS = ("Questions", "Com_select", *WRITE_COUNTERS)


def admin_connection(env: dict[str, str], name: str, **options: Any) -> Any:
    """A connection to server `name` as the cluster's admin account (from .env)."""
    return MySQLdb.connect(
        host="127.0.0.1",
        port=DB_PORTS[name],
        user=env.get("DB_ADMIN_USER", "salas_admin"),
        password=env.get("DB_ADMIN_PASSWORD", ""),
        connect_timeout=5,
        **options,
    )


class Counters:
    """Global status counters of the three MariaDB servers, over one open connection each."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.connections: dict[str, Any] = {}
        self.connect()

    def connect(self) -> None:
        self.close()
        self.connections = {name: admin_connection(self.env, name, autocommit=True) for name in DB_PORTS}

    def snapshot(self) -> dict[str, dict[str, int]]:
        names = ", ".join(f"'{name}'" for name in STATUS_COUNTERS)
        values: dict[str, dict[str, int]] = {}
        for name, connection in self.connections.items():
            with connection.cursor() as cursor:
                cursor.execute(f"SHOW GLOBAL STATUS WHERE Variable_name IN ({names})")
                values[name] = {key: int(value) for key, value in cursor.fetchall()}
        return values

    def scalar(self, db: str, sql: str) -> str:
        with self.connections[db].cursor() as cursor:
            cursor.execute(sql)
            return str(cursor.fetchone()[0] or "")

    def wait_replicated(self, timeout: float = 60.0) -> bool:
        """Wait until db2 and db3 have applied everything db1 has written (GTID positions)."""

        def gtids(value: str) -> set[str]:
            return {part.strip() for part in value.split(",") if part.strip()}

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            primary = gtids(self.scalar(PRIMARY, "SELECT @@GLOBAL.gtid_binlog_pos"))
            if all(primary <= gtids(self.scalar(db, "SELECT @@GLOBAL.gtid_slave_pos")) for db in REPLICAS):
                return True
            time.sleep(0.2)
        return False

    def close(self) -> None:
        for connection in self.connections.values():
            with contextlib.suppress(MySQLdb.Error):  # already dropped: nothing to close
                connection.close()
        self.connections = {}


def wait_replicas_applied(gtid: str, timeout: float = 30) -> None:
    """Until db2 and db3 have applied `gtid` (MASTER_GTID_WAIT), so the cookie's write is replicated."""
    env = dotenv_values()
    for name in REPLICAS:
        connection = admin_connection(env, name)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT MASTER_GTID_WAIT(%s, %s)", [gtid, timeout])
                if cursor.fetchone()[0] != 0:
                    raise BenchError(f"{name} did not apply {gtid} within {timeout:.0f} s")
        finally:
            connection.close()


def delta(after: dict[str, dict[str, int]], before: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {db: {key: after[db][key] - before[db][key] for key in after[db]} for db in after}


@dataclass
class SqlResult:
    name: str
    requests: int
    seconds: float
    per_request: dict[str, float]  # Questions per request, per server
    select_per_request: float  # Com_select, all servers
    writes_per_request: float  # WRITE_COUNTERS on the primary (db1)

    @property
    def total(self) -> float:
        return sum(self.per_request.values())


class CountersReset(Exception):
    """The measurement cannot be trusted: a server restarted or a connection dropped."""


def measure_sql(counters: Counters, name: str, call: Any, requests_count: int) -> SqlResult:
    """Statements per request of `call`, less what the same time idle costs."""
    before = counters.snapshot()
    started = time.monotonic()
    for _ in range(requests_count):
        call()
    elapsed = time.monotonic() - started
    busy = delta(counters.snapshot(), before)
    idle_start = counters.snapshot()
    time.sleep(elapsed)
    idle = delta(counters.snapshot(), idle_start)
    if any(value < 0 for counts in (*busy.values(), *idle.values()) for value in counts.values()):
        raise CountersReset("a database server restarted during the measurement (its counters went back)")

    def per_request(db: str, key: str) -> float:
        return (busy[db][key] - idle[db][key]) / requests_count

    return SqlResult(
        name=name,
        requests=requests_count,
        seconds=elapsed,
        per_request={db: per_request(db, "Questions") for db in DB_PORTS},
        select_per_request=sum(per_request(db, "Com_select") for db in DB_PORTS),
        # On the replicas these counters also count the rows replication applies.
        writes_per_request=sum(per_request(PRIMARY, key) for key in WRITE_COUNTERS),
    )


def sql_endpoints(writer: Api, reader: Api, probe: str) -> list[tuple[str, Any]]:
    def get(path: str, status: int = 200) -> Any:
        def call() -> None:
            expect(reader.get(path, allow_redirects=False), status, f"GET {path}")

        return call

    numbers = iter(range(1_000_000))

    def create() -> None:
        writer.create_room(f"{SQL_PREFIX}-{next(numbers)}")

    return [
        ("GET /api/status", get("/api/status")),
        ("GET /auth/me", get("/auth/me")),
        (f"GET /sala/all?page_size={LIST_ROOMS}", get(f"/sala/all?page_size={LIST_ROOMS}")),
        ("GET /sala/all?q=<probe>", get(f"/sala/all?q={probe}")),
        ("GET /sala/codigo/<codigo>", get(f"/sala/codigo/{probe}")),
        ("GET /dashboard (page)", get("/dashboard")),
        ("GET /salas/<codigo>/ (page)", get(f"/salas/{probe}/")),
        ("POST /sala/create", create),
    ]


def run_sql_suite(args: argparse.Namespace, api: Api, reader: Api, probe: str) -> list[SqlResult]:
    counters = Counters(dotenv_values())
    try:
        results = []
        for name, call in sql_endpoints(api, reader, probe):
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    call()  # warm: a first request may open connections or fill caches
                    # Replication still applying earlier writes would count in the idle interval.
                    if not counters.wait_replicated():
                        say(
                            "  warning: the replicas have not caught up with db1 after 60 s; measuring anyway"
                        )
                    results.append(measure_sql(counters, name, call, args.sql_requests))
                    break
                except (CountersReset, MySQLdb.OperationalError, BenchError) as exc:
                    # Someone restarted a server meanwhile (a fault test?): start this endpoint again.
                    if attempt == ATTEMPTS:
                        raise BenchError(f"{name}: {exc} ({ATTEMPTS} attempts)") from exc
                    say(f"  {name}: {exc}; waiting for the cluster and measuring again")
                    wait_for_cluster(api.base)
                    time.sleep(2)
                    counters.connect()
            say(f"  {name}: done")
        return results
    finally:
        counters.close()
