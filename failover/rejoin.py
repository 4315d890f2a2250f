"""Bringing a former primary (or any stray server) back as a replica of the current primary.

When the server holds nothing the primary lacks, it is fenced, pointed at the
primary (MASTER_DEMOTE_TO_SLAVE, so it starts from what it has itself written)
and checked until it has caught up.

A former primary may also hold transactions its successor never received
(written after the promotion point), or commits still waiting for a replica's
acknowledgement (it was frozen as the primary). With semi-sync AFTER_SYNC a
transaction is binlogged, then waits for the acknowledgement, and only then
commits in the engine and answers the client: one that is in the binlog but not
committed in the engine was never acknowledged to anybody. rejoin discards
exactly those: it kills the server hard (a clean shutdown would let the waiting
commits through; MariaDB 10.11.19 does) and starts it once with
`--init-rpl-role=SLAVE`, whose crash recovery truncates them from the binlog
(MDEV-21117), then compares again. What is left that the primary lacks was
committed in the engine, maybe acknowledged: rejoin refuses and says to
`reclone` (a physical copy of the primary, mariadb-backup).
"""

from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

import MySQLdb
from django.conf import settings

from failover import ha_sql, promotion
from failover.servers import Server, ServerUnreachable, server
from replication import gtid, topology

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

    The target's last GTID per domain against the primary's gtid_binlog_state
    (gtid.maria_lacking).
    """
    own = target.scalar(ha_sql.written_position(target.flavor)) or ""
    return gtid.maria_lacking(own, primary.scalar("SELECT @@GLOBAL.gtid_binlog_state")), own


def _fence(target: Server) -> str | None:
    """Make `target` read-only; the server's refusal when commits still wait for an acknowledgement."""
    try:
        for statement in ha_sql.fence(target.flavor, lock_wait_seconds=3):
            target.execute(statement)
    except MySQLdb.OperationalError as exc:
        return str(exc)
    return None


def recover_as_replica(name: str, say: Say, timeout: float = 300) -> None:
    """Kill `name` hard and start it once with --init-rpl-role=SLAVE (SERVER_CONTROL_COMMAND recover)."""
    command = settings.SERVER_CONTROL_COMMAND.format(action="recover", name=name)
    # No shell: the operator's command line (a setting), split into arguments.
    result = subprocess.run(  # noqa: S603
        shlex.split(command), capture_output=True, text=True, timeout=timeout, check=False
    )
    for line in result.stdout.splitlines():
        if line.strip():
            say(line.strip())
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-12:])
        raise RejoinError(
            f"{name} could not be restarted as a replica (exit {result.returncode}):\n{tail}\n"
            f"Rebuild it from the primary: `manage.py reclone {name}` (mariadb-backup)"
        )


def recovery_reason(waiting: str | None, missing: int, own: str) -> str | None:
    """Why the server must go through the truncating restart first, or None when it need not.

    `waiting`: the server's refusal to be fenced (commits waiting for an
    acknowledgement); `missing`: how many transactions of its binlog (ending at
    `own`) the primary lacks.
    """
    if waiting:
        return f"it has commits still waiting for a replica's acknowledgement ({waiting})"
    if missing:
        return f"it holds {missing} transaction(s) the primary lacks (its position {own})"
    return None


def refusal(name: str, primary_name: str, missing: int, own: str) -> RejoinError:
    return RejoinError(
        f"{name} holds {missing} transaction(s) the primary {primary_name} never received (its position "
        f"{own}) that are committed in its engine: they may have been acknowledged to a client, so they "
        f"cannot be discarded in place. Rebuild it from the primary: `manage.py reclone {name}` "
        f"(mariadb-backup)"
    )


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
        waiting = _fence(target)
        status = target.replica_status()
        from_primary = (status.source_host, status.source_port) == (primary.host, primary.port)
        if not waiting and status.healthy and from_primary:
            say(f"{name} already replicates from {primary_name}")
        else:
            missing, own = (0, "") if waiting else transactions_primary_lacks(target, primary)
            if reason := recovery_reason(waiting, missing, own):
                say(
                    f"{name}: {reason}; killing it and starting it once with --init-rpl-role=SLAVE, "
                    f"which discards what it binlogged but never committed (never acknowledged)"
                )
                target.close()
                recover_as_replica(name, say)
                target.connect(timeout=5, read_timeout=int(timeout) + 10)
                if error := _fence(target):
                    raise RejoinError(f"{name} cannot be made read-only after its recovery: {error}")
                missing, own = transactions_primary_lacks(target, primary)
                if missing:
                    raise refusal(name, primary_name, missing, own)
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
    except (MySQLdb.Error, ServerUnreachable) as exc:
        raise RejoinError(f"rejoin failed: {exc}") from exc
    finally:
        target.close()
        primary.close()
