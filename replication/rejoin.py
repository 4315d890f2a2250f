"""Bringing a former primary (or any stray server) back as a replica of the current primary.

`rejoin` is the quick way: when the server holds nothing the primary lacks, it
is fenced, pointed at the primary (MASTER_DEMOTE_TO_SLAVE, so it starts from
what it has itself written) and checked until it has caught up.

A former primary may also hold transactions its successor never received
(written after the promotion point): committed in its own binlog, never
acknowledged to a client (semi-sync AFTER_SYNC
answers only after a replica has the transaction, and the most advanced replica
was promoted). Those cannot be discarded in place, so rejoin refuses and says
so; `reclone` rebuilds the server from a physical copy of the primary
(mariadb-backup), discarding them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import MySQLdb

from replication import gtid, ha_sql, promotion, topology
from replication.servers import Server, ServerUnreachable, server

Say = Callable[[str], None]


class RejoinError(Exception):
    pass


@dataclass
class Rejoined:
    name: str
    primary: str
    position: str
    seconds: float


def transactions_primary_lacks(target: Server, primary: Server) -> tuple[int, str]:
    """How many transactions `target` holds that the primary does not, and its own position.

    MariaDB: the target's last GTID per domain against the primary's
    gtid_binlog_state (gtid.maria_lacking); MySQL: set inclusion of gtid_executed.
    """
    own = target.scalar(ha_sql.written_position(target.flavor)) or ""
    if target.flavor.is_mariadb:
        return gtid.maria_lacking(own, primary.scalar("SELECT @@GLOBAL.gtid_binlog_state")), own
    theirs = gtid.parse(primary.flavor, primary.scalar(ha_sql.applied_position(primary.flavor)))
    return gtid.parse(target.flavor, own).missing_from(theirs), own


def rejoin(name: str, say: Say, *, timeout: float = 60.0) -> Rejoined:
    started = time.monotonic()
    primary_name = topology.current().primary
    if name == primary_name:
        raise RejoinError(f"{name} is the primary; `switchover --to dbN` first to make it a replica")
    target, primary = server(name), server(primary_name)
    try:
        try:
            target.connect(timeout=3, read_timeout=int(timeout) + 10)
        except ServerUnreachable as exc:
            raise RejoinError(
                f"{exc}; start it first (make start SERVICE={name}): it starts read-only"
            ) from exc
        primary.connect(timeout=3, read_timeout=int(timeout) + 10)
        say(f"fencing {name} (read-only)")
        try:
            for statement in ha_sql.fence(target.flavor, lock_wait_seconds=3):
                target.execute(statement)
        except MySQLdb.OperationalError as exc:
            raise RejoinError(
                f"{name} cannot be made read-only: it has commits still waiting for a replica's "
                f"acknowledgement (it was frozen as the primary) ({exc}). None of them was acknowledged: "
                f"rebuild it with `manage.py reclone {name}`"
            ) from exc
        status = target.replica_status()
        if status.healthy and (status.source_host, status.source_port) == (primary.host, primary.port):
            say(f"{name} already replicates from {primary_name}")
        else:
            missing, own = transactions_primary_lacks(target, primary)
            if missing:
                raise RejoinError(
                    f"{name} holds {missing} transaction(s) the primary {primary_name} never received "
                    f"(its position {own}): written after it was replaced, never acknowledged to a "
                    f"client, but committed there, so they cannot be discarded in place. Rebuild it "
                    f"from the primary: `manage.py reclone {name}` (mariadb-backup)"
                )
            say(f"{name}: nothing the primary lacks ({own or 'empty binlog'}); pointing it at {primary_name}")
            promotion.point_at(target, primary, demote=True)
        position = primary.scalar(ha_sql.written_position(primary.flavor)) or ""
        say(f"waiting for {name} to apply {position}")
        if position and not target.has_applied(position, timeout):
            status = target.replica_status()
            raise RejoinError(
                f"{name} did not reach {position} within {timeout:.0f}s (IO={status.io_running}, "
                f"SQL={status.sql_running}): {status.last_error or 'no error reported'}"
            )
        status = promotion.wait_healthy(target, timeout=10)
        if not status.healthy:
            raise RejoinError(f"{name} is not replicating: {status.last_error or 'see replication_status'}")
        return Rejoined(name, primary_name, position, time.monotonic() - started)
    except MySQLdb.Error as exc:
        raise RejoinError(f"rejoin failed: {exc}") from exc
    finally:
        target.close()
        primary.close()
