"""Report the health of every replica: threads, lag, GTID positions, errors."""

from __future__ import annotations

import json
from typing import Any

import MySQLdb
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from failover.servers import ServerUnreachable, primary_server, replica_servers, server_semi_sync
from replication import ha_status, sql


class Command(BaseCommand):
    help = "Show each replica's IO/SQL threads, lag, GTID positions and last error. --check exits 1 if unhealthy."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")
        parser.add_argument(
            "--check", action="store_true", help="Exit non-zero when any replica is unhealthy."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = self._collect()
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self._table(report)
        unhealthy = [row["name"] for row in report["replicas"] if not row["healthy"]]
        if options["check"] and (unhealthy or not report["primary"]["reachable"]):
            problems = unhealthy + ([] if report["primary"]["reachable"] else ["primary unreachable"])
            raise CommandError(f"replication unhealthy: {', '.join(problems)}")

    def _collect(self) -> dict[str, Any]:
        try:
            primary = primary_server()
            replicas_to_check = replica_servers()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        primary_row: dict[str, Any] = {"name": primary.name, "address": primary.address, "reachable": False}
        try:
            primary.connect(timeout=3)
            primary_row.update(
                reachable=True,
                flavor=str(primary.flavor),
                gtid_position=primary.scalar(sql.primary_gtid_position(primary.flavor)),
                read_only=bool(primary.scalar("SELECT @@GLOBAL.read_only")),
                semi_sync=server_semi_sync(primary),
            )
        except (ServerUnreachable, MySQLdb.Error) as exc:
            primary_row["error"] = str(exc)
        finally:
            primary.close()

        replicas = []
        for replica in replicas_to_check:
            row: dict[str, Any] = {"name": replica.name, "address": replica.address, "healthy": False}
            try:
                replica.connect(timeout=3)
                status = replica.replica_status()
                row.update(
                    reachable=True,
                    flavor=str(replica.flavor),
                    configured=status.configured,
                    source=f"{status.source_host}:{status.source_port}" if status.configured else None,
                    io_running=status.io_running,
                    sql_running=status.sql_running,
                    seconds_behind=status.seconds_behind,
                    delay=status.sql_delay,
                    gtid_received=status.gtid_io_pos,
                    gtid_applied=replica.scalar("SELECT @@GLOBAL.gtid_slave_pos"),
                    read_only=bool(replica.scalar("SELECT @@GLOBAL.read_only")),
                    last_error=status.last_error or None,
                    semi_sync_acknowledges=server_semi_sync(replica)["replica_acknowledges"],
                    healthy=status.healthy
                    and status.seconds_behind is not None
                    and status.seconds_behind <= settings.REPLICA_MAX_LAG_SECONDS + status.sql_delay,
                )
            except (ServerUnreachable, MySQLdb.Error) as exc:
                row.update(reachable=False, error=str(exc))
            finally:
                replica.close()
            replicas.append(row)
        return {"topology": ha_status.topology_body(), "primary": primary_row, "replicas": replicas}

    def _table(self, report: dict[str, Any]) -> None:
        primary = report["primary"]
        topology = report["topology"]
        change = topology["last_change"]
        self.stdout.write(
            f"topology: primary {topology['primary']} (epoch {topology['epoch']}); last change: "
            + (
                f"{change['kind']} {change['from']} -> {change['to']} ({change['reason']}; writes stopped "
                f"{change['took_seconds']}s)"
                if change
                else "none"
            )
        )
        if primary["reachable"]:
            semi = primary["semi_sync"]
            if semi["enabled"]:
                semi_text = (
                    f"semi-sync {'ON' if semi['active'] else 'FELL BACK TO ASYNC'} ({semi['wait_point']}, "
                    f"{semi['replicas_acknowledging']} replica(s) acknowledging, "
                    f"{semi['acknowledged_commits']} acked / {semi['unacknowledged_commits']} not)"
                )
            else:
                semi_text = "semi-sync OFF (asynchronous: a failover may lose acknowledged writes)"
            self.stdout.write(
                f"primary {primary['name']} {primary['address']} {primary['flavor']}: "
                f"GTID {primary['gtid_position'] or '(empty)'}; "
                f"{'READ-ONLY' if primary['read_only'] else 'writable'}; {semi_text}"
            )
        else:
            self.stdout.write(
                self.style.ERROR(f"primary {primary['name']} {primary['address']}: UNREACHABLE")
            )
        header = f"{'replica':8} {'address':16} {'IO':11} {'SQL':4} {'behind':>6} {'delay':>5} {'applied GTID':22} state / last error"
        self.stdout.write(header)
        for row in report["replicas"]:
            if not row.get("reachable"):
                line = f"{row['name']:8} {row['address']:16} {'-':11} {'-':4} {'-':>6} {'-':>5} {'-':22} UNREACHABLE"
                self.stdout.write(self.style.ERROR(line))
                continue
            behind = "-" if row["seconds_behind"] is None else str(row["seconds_behind"])
            state = "healthy" if row["healthy"] else "UNHEALTHY"
            if row["last_error"]:
                state += f": {row['last_error']}"
            line = (
                f"{row['name']:8} {row['address']:16} {row['io_running']:11} {row['sql_running']:4} "
                f"{behind:>6} {row['delay']:>5} {str(row['gtid_applied'] or '')[:22]:22} {state}"
            )
            self.stdout.write(self.style.SUCCESS(line) if row["healthy"] else self.style.ERROR(line))
