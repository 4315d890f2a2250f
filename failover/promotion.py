"""Changing the primary: planned (switchover) or after a loss (failover).

Both end the same way: the new primary forgets its source, turns semi-sync on
and becomes writable; every other reachable server replicates from it; then the
topology record names it, and the app nodes follow (replication/backend). The
record is written last, once the new primary has a semi-sync replica (or the
wait for one timed out), so the first writes sent there are acknowledged soon.

Why fence before promote: the app user can write only where read_only is OFF,
and at most one server is ever opened; writes sent meanwhile to the old
primary fail (error 1290 or no answer) and are answered 503, never 201.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import MySQLdb
from django.conf import settings

from failover import candidates, ha_sql
from failover.servers import Server, ServerUnreachable, all_servers
from replication import gtid, ha_status, sql, topology

logger = logging.getLogger(__name__)

Say = Callable[[str], None]
# Replicas hear from the primary at least this often, so one frozen (SIGSTOP)
# is noticed within slave_net_timeout (mysql/local/mysqld.cnf.template: 2 s).
HEARTBEAT_SECONDS = 0.5
# How long to wait for a replica to apply its relay log / catch up.
APPLY_TIMEOUT = 30.0


class PromotionError(Exception):
    pass


@dataclass
class Outcome:
    kind: str
    old: str
    new: str
    reason: str
    seconds: float
    position: str


def _connected(server: Server, timeout: int = 2) -> Server:
    return server.connect(timeout=timeout, read_timeout=int(APPLY_TIMEOUT) + 10)


def point_at(replica: Server, primary: Server, *, demote: bool = False) -> None:
    """Make `replica` replicate from `primary` with GTID, semi-sync acks on, read-only."""
    flavor = replica.flavor
    for statement in ha_sql.fence(flavor):
        replica.execute(statement)
    replica.execute(ha_sql.semi_sync_source_off(flavor))
    replica.execute(ha_sql.semi_sync_replica_on(flavor))
    replica.execute(sql.stop_replica(flavor))
    replica.execute(source_statement(replica, primary, demote=demote))
    replica.execute(sql.start_replica(flavor))


def source_statement(replica: Server, primary: Server, *, demote: bool = False) -> str:
    """CHANGE MASTER/REPLICATION SOURCE TO `primary`, with GTID, a fast heartbeat and maybe demotion."""
    flavor = replica.flavor
    return (
        sql.change_source(
            flavor,
            host=primary.host,
            port=primary.port,
            user=settings.REPLICATION_USER,
            password=settings.REPLICATION_PASSWORD,
        )
        + ha_sql.heartbeat_suffix(flavor, HEARTBEAT_SECONDS)
        + (ha_sql.demote_suffix(flavor) if demote else "")
    )


def wait_healthy(replica: Server, timeout: float) -> sql.ReplicaStatus:
    """The replica's status once both threads run (the IO thread needs a moment to connect)."""
    deadline = time.monotonic() + timeout
    status = replica.replica_status()
    while not status.healthy and not status.last_errno and time.monotonic() < deadline:
        time.sleep(0.1)
        status = replica.replica_status()
    return status


def open_primary(server: Server) -> None:
    """Semi-sync on (unless SEMI_SYNC=0), then writable: no write is ever taken without it."""
    flavor = server.flavor
    if settings.SEMI_SYNC:
        for statement in ha_sql.semi_sync_source_on(flavor, settings.SEMI_SYNC_TIMEOUT_MS):
            server.execute(statement)
    for statement in ha_sql.read_only_off(flavor):
        server.execute(statement)


def semi_sync_clients(server: Server) -> int:
    names = ha_status.semi_sync_names(server.flavor)
    rows = {r["Variable_name"]: r["Value"] for r in server.rows(ha_status.semi_sync_status(server.flavor))}
    return int(rows.get(names["source_clients"]) or 0)


def _wait_for_ack_path(primary: Server, say: Say, timeout: float = 3.0) -> None:
    if not settings.SEMI_SYNC:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if semi_sync_clients(primary) > 0:
            return
        time.sleep(0.05)
    say(f"warning: no semi-sync replica connected to {primary.name} yet: writes wait for one")


def _record(
    current: topology.Topology, *, kind: str, old: str, new: str, reason: str, seconds: float, position: str
) -> Outcome:
    change = {
        "kind": kind,
        "from": old,
        "to": new,
        "reason": reason,
        "took_seconds": round(seconds, 3),
        "position": position,
    }
    topology.record(current, new, change)
    logger.warning("%s: primary %s -> %s (%s)", kind, old, new, reason)
    return Outcome(kind, old, new, reason, seconds, position)


def switchover(to: str, say: Say) -> Outcome:
    """Planned change of primary, nothing lost: fence, wait for the candidate, promote, repoint."""
    with topology.changing() as current:
        return _switchover(current, to, say)


def _switchover(current: topology.Topology, to: str, say: Say) -> Outcome:
    servers = {s.name: s for s in all_servers()}
    old_name = current.primary
    if to not in servers:
        raise PromotionError(f"no server named {to!r} (known: {', '.join(servers)})")
    if to == old_name:
        raise PromotionError(f"{to} is already the primary")
    try:
        for server in servers.values():
            _connected(server)
        old, new = servers[old_name], servers[to]
        _check_replicates_from(new, old)
        say(f"fencing {old_name}: read-only (writes get 503 until {to} takes over)")
        fenced_at = time.monotonic()
        position = _fence_until_applied(old, new, say)
        say(f"promoting {to}")
        _promote(new)
        old.execute(ha_sql.semi_sync_source_off(old.flavor))
        for name, server in servers.items():
            if name != to:
                say(f"{name}: now a replica of {to}")
                point_at(server, new, demote=name == old_name)
        _wait_for_ack_path(new, say)
        seconds = time.monotonic() - fenced_at
        return _record(
            current,
            kind="switchover",
            old=old_name,
            new=to,
            reason="planned (manage.py switchover)",
            seconds=seconds,
            position=position,
        )
    except (ServerUnreachable, MySQLdb.Error) as exc:
        raise PromotionError(f"switchover failed: {exc}") from exc
    finally:
        for server in servers.values():
            server.close()


def _check_replicates_from(new: Server, old: Server) -> None:
    status = new.replica_status()
    if not status.healthy or (status.source_host, status.source_port) != (old.host, old.port):
        raise PromotionError(
            f"{new.name} is not a healthy replica of {old.name} (IO={status.io_running}, "
            f"SQL={status.sql_running}): {status.last_error or 'see replication_status'}"
        )


def _fence_until_applied(old: Server, new: Server, say: Say) -> str:
    """Fence `old`; return its last written position once `new` applied it (else reopen `old`)."""
    for statement in ha_sql.fence(old.flavor):
        old.execute(statement)
    position = old.scalar(ha_sql.written_position(old.flavor)) or ""
    say(f"waiting for {new.name} to apply {position or 'an empty binlog'}")
    if position and not new.has_applied(position, 10):
        for statement in ha_sql.read_only_off(old.flavor):
            old.execute(statement)
        raise PromotionError(
            f"{new.name} did not reach {position} within 10 s: {old.name} reopened, nothing changed"
        )
    return position


def _promote(new: Server) -> None:
    """The new primary forgets its source, then opens (semi-sync on, writable)."""
    for statement in ha_sql.forget_source(new.flavor):
        new.execute(statement)
    open_primary(new)


def _candidate(server: Server, old: Server, say: Say) -> candidates.Candidate:
    try:
        _connected(server)
    except ServerUnreachable as exc:
        return candidates.Candidate(server.name, reachable=False, error=str(exc))
    flavor = server.flavor
    status = server.replica_status()
    from_old = status.configured and (status.source_host, status.source_port) == (old.host, old.port)
    sql_error = status.last_sql_error if status.last_sql_errno else ""
    if from_old and status.io_running != "No":
        # Nothing more can arrive from the lost primary; stop waiting for it.
        server.execute(sql.stop_replica(flavor, "io"))
    status = server.replica_status()
    received = status.gtid_io_pos
    applied_relay = False
    if from_old and not sql_error:
        # Everything received must be applied before the positions are compared.
        applied_relay = not received or server.has_applied(received, APPLY_TIMEOUT)
        say(f"{server.name}: received {received or '-'}, relay log applied: {applied_relay}")
    applied = server.scalar(ha_sql.applied_position(flavor)) or ""
    return candidates.Candidate(
        server.name,
        reachable=True,
        replicating_from_primary=from_old,
        sql_error=sql_error,
        received=gtid.parse(flavor, received),
        applied=gtid.parse(flavor, applied),
        applied_relay_log=applied_relay,
    )


def failover(say: Say, *, to: str | None = None, force: bool = False, reason: str = "manual") -> Outcome:
    """The primary is lost: promote the replica holding every acknowledged write."""
    with topology.changing() as current:
        return _failover(current, say, to=to, force=force, reason=reason)


def _failover(current: topology.Topology, say: Say, *, to: str | None, force: bool, reason: str) -> Outcome:
    servers = {s.name: s for s in all_servers()}
    old_name = current.primary
    old = servers[old_name]
    started = time.monotonic()
    try:
        _fence_if_answering(old, say, force=force)
        say(f"{old_name} is lost; comparing the replicas")
        # In parallel: stopping an IO thread that is connecting to a frozen primary
        # waits for its connect timeout (slave_net_timeout), on each replica.
        others = [s for name, s in servers.items() if name != old_name]
        with ThreadPoolExecutor(max_workers=len(others) or 1) as executor:
            pool = list(executor.map(lambda s: _candidate(s, old, say), others))
        try:
            choice = candidates.choose(pool, preferred=to, force=force)
        except candidates.NoSafeCandidate as exc:
            for server in servers.values():
                if server.name != old_name and server.connection is not None:
                    # Resume waiting for the primary: nothing changed.
                    with contextlib.suppress(MySQLdb.Error):
                        server.execute(sql.start_replica(server.flavor, "io"))
            raise PromotionError(f"failover refused: {exc}") from exc
        new = servers[choice.chosen.name]
        say(f"promoting {new.name}: {choice.reason}")
        _promote(new)
        position = new.scalar(ha_sql.applied_position(new.flavor)) or ""
        for candidate in pool:
            if candidate.name != new.name and candidate.reachable:
                say(f"{candidate.name}: now a replica of {new.name}")
                point_at(servers[candidate.name], new)
        _wait_for_ack_path(new, say)
        seconds = time.monotonic() - started
        full_reason = f"{reason}; {choice.reason}"
        return _record(
            current,
            kind="failover",
            old=old_name,
            new=new.name,
            reason=full_reason,
            seconds=seconds,
            position=position,
        )
    except MySQLdb.Error as exc:
        raise PromotionError(f"failover failed: {exc}") from exc
    finally:
        for server in servers.values():
            server.close()


def _fence_if_answering(old: Server, say: Say, *, force: bool) -> None:
    """A lost primary is left alone; one that still answers is refused, or fenced with --force."""
    try:
        _connected(old, timeout=1)
    except ServerUnreachable:
        return
    if not force:
        raise PromotionError(
            f"the primary {old.name} answers: use `manage.py switchover --to dbN` (no write lost), or --force"
        )
    say(f"fencing {old.name}, which still answers (--force)")
    for statement in ha_sql.fence(old.flavor, lock_wait_seconds=2):
        try:
            old.execute(statement)
        except MySQLdb.Error as exc:
            say(f"could not fence {old.name}: {exc}")
