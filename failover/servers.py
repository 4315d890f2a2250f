"""Administrative connections to the database servers, for the replication commands.

These use the admin account from REPLICATION_*_URL settings, never the app
user, and talk to each server directly (not through Django's aliases).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import MySQLdb
import MySQLdb.cursors
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from replication import topology
from replication.ha_status import semi_sync_from_rows, semi_sync_names, semi_sync_status, semi_sync_variables
from replication.sql import (
    Flavor,
    ReplicaStatus,
    detect_flavor,
    parse_replica_status,
    show_replica_status,
    wait_for_gtid,
)


class ServerUnreachable(Exception):
    pass


@dataclass
class Server:
    name: str
    url: str
    connection: Any = field(default=None, repr=False)
    detected_flavor: Flavor | None = None  # set by connect()

    @property
    def flavor(self) -> Flavor:
        """The server's SQL dialect, as connect() detected it."""
        if self.detected_flavor is None:
            raise ServerUnreachable(f"{self.name} ({self.address}): not connected")
        return self.detected_flavor

    @property
    def address(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.hostname}:{parts.port or 3306}"

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 3306

    def connect(self, *, timeout: int = 5, read_timeout: int | None = None) -> Server:
        parts = urlsplit(self.url)
        try:
            self.connection = MySQLdb.connect(
                host=parts.hostname or "127.0.0.1",
                port=parts.port or 3306,
                user=unquote(parts.username or ""),
                password=unquote(parts.password or ""),
                connect_timeout=timeout,
                **({"read_timeout": read_timeout} if read_timeout else {}),
                charset="utf8mb4",
                autocommit=True,
            )
        except MySQLdb.Error as exc:
            raise ServerUnreachable(f"{self.name} ({self.address}) is unreachable: {exc}") from exc
        self.detected_flavor = detect_flavor(self.scalar("SELECT VERSION()"))
        return self

    def execute(self, sql: str, params: Any = None) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)

    def scalar(self, sql: str, params: Any = None) -> Any:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        value = row[0] if row else None
        return value.decode() if isinstance(value, bytes) else value

    def rows(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        with self.connection.cursor(MySQLdb.cursors.DictCursor) as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    def has_applied(self, position: str, timeout: float) -> bool:
        """Wait up to `timeout` seconds for this replica to apply a GTID position."""
        return self.scalar(wait_for_gtid(self.flavor), [position, timeout]) == 0

    def replica_status(self) -> ReplicaStatus:
        rows = self.rows(show_replica_status(self.flavor))
        return parse_replica_status(rows[0] if rows else None)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def all_servers() -> list[Server]:
    """Every database server, in configured order (db1 first), with its admin URL."""
    if not settings.REPLICATION_PRIMARY_URL:
        raise ImproperlyConfigured("REPLICATION_PRIMARY_URL is not set (see .env.example)")
    if not settings.REPLICATION_REPLICA_URLS:
        raise ImproperlyConfigured("REPLICATION_REPLICA_URLS is not set (see .env.example)")
    urls = {"db1": settings.REPLICATION_PRIMARY_URL, **settings.REPLICATION_REPLICA_URLS}
    return [Server(name, url) for name, url in urls.items()]


def server(name: str) -> Server:
    found = {s.name: s for s in all_servers()}
    if name not in found:
        raise ImproperlyConfigured(f"no database server named {name!r} (known: {', '.join(found)})")
    return found[name]


def primary_server() -> Server:
    """The current primary, as replication/topology.py records it (db1 on a fresh cluster)."""
    primary = topology.current().primary
    return next((s for s in all_servers() if s.name == primary), all_servers()[0])


def replica_servers() -> list[Server]:
    primary = primary_server().name
    return [s for s in all_servers() if s.name != primary]


def server_semi_sync(server: Server) -> dict[str, Any]:
    """Semi-sync state of one admin connection ."""
    rows = {r["Variable_name"]: r["Value"] for r in server.rows(semi_sync_status(server.flavor))}
    rows |= {r["Variable_name"]: r["Value"] for r in server.rows(semi_sync_variables(server.flavor))}
    state = semi_sync_from_rows(server.flavor, rows)
    names = semi_sync_names(server.flavor)
    state["replica_acknowledges"] = rows.get(names["replica_status"]) == "ON"
    return state
