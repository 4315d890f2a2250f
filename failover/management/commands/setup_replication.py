"""Set up (or repair) GTID replication from the primary to every replica, and prove it."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import environ
import MySQLdb
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from failover import ha_sql, promotion
from failover.rejoin import transactions_primary_lacks
from failover.servers import Server, ServerUnreachable, primary_server, replica_servers
from replication import ha_status, sql, topology

MARKER_SCHEMA = "salas_replication"


class Command(BaseCommand):
    help = (
        "Create the replication and application users on the primary, point every replica at "
        "the primary with GTID auto-positioning, wait until they catch up and verify with a "
        "marker row. Idempotent: replicas that already replicate from the primary are left as "
        "they are."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--timeout", type=float, default=60.0, help="Seconds to wait for each replica to catch up."
        )
        parser.add_argument(
            "--force", action="store_true", help="Re-point replicas even when they look healthy."
        )
        parser.add_argument(
            "--semi-sync",
            choices=["on", "off"],
            default="on" if settings.SEMI_SYNC else "off",
            help="Semi-synchronous replication (default: SEMI_SYNC). Off only to measure its cost.",
        )

    def handle(self, *args: Any, timeout: float, force: bool, semi_sync: str, **options: Any) -> None:
        try:
            primary = primary_server()
            replicas = replica_servers()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if not settings.REPLICATION_PASSWORD:
            raise CommandError("REPLICATION_PASSWORD is not set (see .env.example)")
        try:
            self._step("connecting to the servers")
            for server in (primary, *replicas):
                server.connect()
                self._ok(f"{server.name} {server.address}: {server.flavor}")

            self._step("preparing the primary (replication user, app database and user)")
            self._prepare_primary(primary)

            self._step("attaching the replicas")
            for replica in replicas:
                self._attach(replica, primary, force)

            self._step(f"semi-synchronous replication {semi_sync}; the primary {primary.name} writable")
            self._semi_sync(primary, replicas, semi_sync == "on")
            self._open(primary)

            self._step("waiting for the replicas to catch up")
            position = primary.scalar(sql.primary_gtid_position(primary.flavor)) or ""
            for replica in replicas:
                self._wait(replica, position, timeout)

            self._step("verifying with a marker row")
            self._verify_marker(primary, replicas, timeout)
        except ServerUnreachable as exc:
            raise CommandError(str(exc)) from exc
        except MySQLdb.Error as exc:
            raise CommandError(f"replication setup failed: {exc}") from exc
        finally:
            for server in (primary, *replicas):
                server.close()
        self.stdout.write(self.style.SUCCESS(f"replication is up: {len(replicas)} replica(s) in sync"))

    # --- steps -------------------------------------------------------------------

    def _prepare_primary(self, primary: Server) -> None:
        # Every server starts read-only; the primary takes the setup's own writes
        # as the admin account (READ ONLY ADMIN / SUPER) and is opened to the app after.
        if primary.replica_status().configured:
            raise CommandError(
                f"{primary.name}, the primary in {settings.TOPOLOGY_FILE}, is itself replicating: "
                "the topology record and the servers disagree (see manage.py replication_status)"
            )
        if settings.DATABASE_ACCOUNT != "app":
            raise CommandError("run setup_replication as the app account (DATABASE_ACCOUNT unset)")
        app = settings.DATABASES["default"]
        database, user, password = app["NAME"], app["USER"], app["PASSWORD"]
        statements = [
            *sql.create_user(primary.flavor, settings.REPLICATION_USER, settings.REPLICATION_PASSWORD),
            sql.grant_replication(settings.REPLICATION_USER),
            f"CREATE DATABASE IF NOT EXISTS `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
            *sql.create_user(primary.flavor, user, password),
            *sql.grant_app_user(primary.flavor, user=user, database=database),
            *self._schema_owner_statements(primary, database),
            f"CREATE DATABASE IF NOT EXISTS `{MARKER_SCHEMA}`",
            f"CREATE TABLE IF NOT EXISTS `{MARKER_SCHEMA}`.marker ("
            "id BIGINT AUTO_INCREMENT PRIMARY KEY, token CHAR(32) NOT NULL, "
            "created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))",
        ]
        for statement in statements:
            primary.execute(statement)
        self._ok(
            f"users {settings.REPLICATION_USER!r} (replication), {user!r} (app, DML only) and the "
            f"schema owner (migrate) on database {database!r} ready"
        )

    def _schema_owner_statements(self, primary: Server, database: str) -> list[str]:
        """The migration account (MIGRATE_DATABASE_URL), created beside the app's."""
        if not settings.MIGRATE_DATABASE_URL:
            return []
        owner = environ.Env.db_url_config(settings.MIGRATE_DATABASE_URL)
        if owner["NAME"] != database:
            raise CommandError(
                f"MIGRATE_DATABASE_URL names database {owner['NAME']!r}, DATABASE_URL {database!r}"
            )
        return [
            *sql.create_user(primary.flavor, owner["USER"], owner["PASSWORD"]),
            *sql.grant_schema_owner(user=owner["USER"], database=database),
        ]

    def _attach(self, replica: Server, primary: Server, force: bool) -> None:
        status = replica.replica_status()
        source = (primary.host, primary.port)
        if status.healthy and (status.source_host, status.source_port) == source and not force:
            self._ok(f"{replica.name}: already replicating from {source[0]}:{source[1]}, left as is")
            self._read_only(replica)
            return
        flavor = replica.flavor
        if not status.configured:
            self._refuse_if_ahead(replica, primary)
        else:
            replica.execute(sql.stop_replica(flavor))
        replica.execute(promotion.source_statement(replica, primary))
        replica.execute(sql.start_replica(flavor))
        self._read_only(replica)
        self._ok(f"{replica.name}: replicating from {source[0]}:{source[1]} (GTID)")

    def _refuse_if_ahead(self, replica: Server, primary: Server) -> None:
        """A server that wrote transactions the primary lacks (a former primary) must not be attached."""
        missing, own = transactions_primary_lacks(replica, primary)
        if missing:
            raise CommandError(
                f"{replica.name} holds {missing} transaction(s) the primary {primary.name} lacks ({own}): "
                f"a former primary? Bring it back with `manage.py rejoin {replica.name}` "
                f"(or rebuild it: `manage.py reclone {replica.name}`)"
            )

    def _semi_sync(self, primary: Server, replicas: list[Server], on: bool) -> None:
        timeout = settings.SEMI_SYNC_TIMEOUT_MS
        for replica in replicas:
            replica.execute(ha_sql.semi_sync_source_off(replica.flavor))
            replica.execute(ha_sql.semi_sync_replica_on(replica.flavor))
            names = ha_status.semi_sync_names(replica.flavor)
            status = {
                row["Variable_name"]: row["Value"]
                for row in replica.rows(ha_status.semi_sync_status(replica.flavor))
            }
            if on and status.get(names["replica_status"]) != "ON":
                # The replica side takes effect when the IO thread reconnects.
                replica.execute(sql.stop_replica(replica.flavor, "io"))
                replica.execute(sql.start_replica(replica.flavor, "io"))
        statements = (
            ha_sql.semi_sync_source_on(primary.flavor, timeout)
            if on
            else [ha_sql.semi_sync_source_off(primary.flavor)]
        )
        for statement in statements:
            primary.execute(statement)
        self._ok(f"{primary.name}: semi-sync {'on (AFTER_SYNC, no silent fallback)' if on else 'off'}")

    def _open(self, primary: Server) -> None:
        with topology.changing() as current:
            if current.primary != primary.name:
                raise CommandError(f"the primary changed to {current.primary} meanwhile: run again")
            for statement in ha_sql.read_only_off(primary.flavor):
                primary.execute(statement)
            if not Path(settings.TOPOLOGY_FILE).exists():
                topology.record(current, primary.name, None)
        self._ok(f"{primary.name}: writable (read_only=OFF); topology in {settings.TOPOLOGY_FILE}")

    def _read_only(self, replica: Server) -> None:
        for statement in sql.read_only_on(replica.flavor):
            replica.execute(statement)

    def _wait(self, replica: Server, position: str, timeout: float) -> None:
        started = time.monotonic()
        if position and not replica.has_applied(position, timeout):
            status = replica.replica_status()
            raise CommandError(
                f"{replica.name} did not reach the primary's position {position} within {timeout:.0f}s "
                f"(IO={status.io_running}, SQL={status.sql_running}, error: {status.last_error or 'none'})"
            )
        status = replica.replica_status()
        # An IO thread just restarted (semi-sync turned on) says "Preparing" or
        # "Connecting" for a moment before "Yes": give it the rest of the timeout.
        deadline = started + timeout
        while not status.healthy and status.sql_running == "Yes" and time.monotonic() < deadline:
            time.sleep(0.1)
            status = replica.replica_status()
        if not status.healthy:
            raise CommandError(
                f"{replica.name} is not replicating (IO={status.io_running}, SQL={status.sql_running}): "
                f"{status.last_error or 'no error reported'}"
            )
        self._ok(
            f"{replica.name}: caught up with {position or 'an empty binlog'} in {time.monotonic() - started:.2f}s"
        )

    def _verify_marker(self, primary: Server, replicas: list[Server], timeout: float) -> None:
        token = uuid.uuid4().hex
        # S608 below: the schema is this module's constant; the token goes as a parameter.
        primary.execute(f"INSERT INTO `{MARKER_SCHEMA}`.marker (token) VALUES (%s)", [token])  # noqa: S608
        position = primary.scalar(sql.primary_gtid_position(primary.flavor))
        for replica in replicas:
            started = time.monotonic()
            if not replica.has_applied(position, timeout):
                raise CommandError(f"{replica.name} did not apply the marker within {timeout:.0f}s")
            found = replica.scalar(f"SELECT COUNT(*) FROM `{MARKER_SCHEMA}`.marker WHERE token = %s", [token])  # noqa: S608
            if not found:
                raise CommandError(f"{replica.name}: the marker row written on the primary is missing")
            self._ok(f"{replica.name}: marker {token[:8]} read back in {time.monotonic() - started:.3f}s")
        # Keep the table small: the marker has done its job on every server.
        primary.execute(f"DELETE FROM `{MARKER_SCHEMA}`.marker WHERE created_at < NOW() - INTERVAL 1 DAY")  # noqa: S608

    # --- output --------------------------------------------------------------------

    def _step(self, message: str) -> None:
        self.stdout.write(f"==> {message}")

    def _ok(self, message: str) -> None:
        self.stdout.write(f"    {self.style.SUCCESS('ok')} {message}")
