"""The failover monitor: watches the primary and acts (manage.py monitor, a supervised service).

Every half second it asks the primary the topology names one cheap question.
  * The primary answers but is read-only (supervisord restarted it: every
    server starts read-only) and replicates from nobody: it is reopened, since
    it is still the primary and nothing replaced it.
  * It has not answered for FAILOVER_AFTER_SECONDS, and every reachable replica
    confirms (its IO thread lost the primary too, within slave_net_timeout):
    with FAILOVER_AUTO on, the same failover as `manage.py failover` runs. A
    primary that answers again before that causes none. The replicas' view
    guards against the monitor's own connection being the problem.
  * Any other server found writable (a replaced primary waking from SIGSTOP)
    is fenced read-only at once.
Each decision is logged once, with its reason. Nothing is done while another
process holds the topology lock (a switchover or failover in progress).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import MySQLdb
from django.conf import settings

from failover import ha_sql, promotion
from failover.servers import Server, ServerUnreachable, all_servers
from replication import topology

logger = logging.getLogger("failover.monitor")

INTERVAL_SECONDS = 0.5


class Monitor:
    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.servers = {s.name: s for s in all_servers()}
        self.down_since: float | None = None
        self.last_note = ""

    def note(self, message: str) -> None:
        """Log a decision once (not every half second while it stands)."""
        if message != self.last_note:
            self.say(message)
            self.last_note = message

    def _ask(self, server: Server, sql: str) -> object:
        """One query on a kept connection; reconnect once; ServerUnreachable when it does not answer."""
        for attempt in (1, 2):
            try:
                if server.connection is None:
                    server.connect(timeout=1, read_timeout=1)
                return server.scalar(sql)
            except (MySQLdb.Error, ServerUnreachable):
                server.close()
                if attempt == 2:
                    raise ServerUnreachable(f"{server.name} does not answer") from None
        return None

    def tick(self) -> None:
        primary_name = topology.current().primary
        primary = self.servers[primary_name]
        try:
            read_only = self._ask(primary, "SELECT @@GLOBAL.read_only")
        except ServerUnreachable:
            self._primary_silent(primary_name)
        else:
            if self.down_since is not None:
                self.note(
                    f"{primary_name} answers again after {time.monotonic() - self.down_since:.1f}s: no failover"
                )
            self.down_since = None
            if read_only:
                self._reopen(primary_name)
        self._fence_others(topology.current().primary)

    def _primary_silent(self, name: str) -> None:
        now = time.monotonic()
        if self.down_since is None:
            self.down_since = now
            self.note(
                f"{name} (primary) does not answer; failover after {settings.FAILOVER_AFTER_SECONDS:g}s"
            )
            return
        silent = now - self.down_since
        if silent < settings.FAILOVER_AFTER_SECONDS:
            return
        if not settings.FAILOVER_AUTO:
            self.note(
                f"{name} silent for {silent:.1f}s; FAILOVER_AUTO is off: no failover (manage.py failover)"
            )
            return
        if topology.failover_held():
            self.note(f"{name} silent for {silent:.1f}s; failover held by {topology.hold_path()}")
            return
        confirmed, detail = self._replicas_confirm(name)
        if not confirmed:
            self.note(f"{name} silent for {silent:.1f}s to the monitor, but {detail}: no failover yet")
            return
        reason = f"monitor: {name} silent for {silent:.1f}s; {detail}"
        self.note(f"failing over: {reason}")
        try:
            outcome = promotion.failover(self.say, reason=reason)
        except promotion.PromotionError as exc:
            self.note(f"failover not done: {exc}")
            return
        self.note(f"failover done: {outcome.new} is the primary ({outcome.seconds:.2f}s)")
        self.down_since = None

    def _replicas_confirm(self, primary: str) -> tuple[bool, str]:
        seen = []
        for name, server in self.servers.items():
            if name == primary:
                continue
            try:
                if server.connection is None:
                    server.connect(timeout=1, read_timeout=2)
                status = server.replica_status()
            except (MySQLdb.Error, ServerUnreachable):
                server.close()
                seen.append(f"{name} unreachable")
                continue
            if status.io_running == "Yes":
                return False, f"{name} still receives from it"
            seen.append(f"{name} IO thread {status.io_running}")
        reachable = [s for s in seen if not s.endswith("unreachable")]
        if not reachable:
            return False, "no replica can confirm (" + ", ".join(seen) + ")"
        return True, "replicas confirm: " + ", ".join(seen)

    def _reopen(self, name: str) -> None:
        with topology.changing(blocking=False) as current:
            if current is None or current.primary != name:
                return
            server = self.servers[name]
            try:
                if server.replica_status().configured:
                    self.note(f"{name} is the primary but replicates from another server: left alone")
                    return
                promotion.open_primary(server)
            except (MySQLdb.Error, ServerUnreachable) as exc:
                server.close()
                self.note(f"could not reopen {name}: {exc}")
                return
            self.note(f"{name} (primary) came back read-only (restarted): reopened for writes")

    def _fence_others(self, primary: str) -> None:
        for name, server in self.servers.items():
            if name == primary:
                continue
            try:
                writable = self._ask(server, "SELECT @@GLOBAL.read_only") == 0
            except ServerUnreachable:
                continue
            if not writable:
                continue
            with topology.changing(blocking=False) as current:
                if current is None or current.primary == name:
                    continue
                try:
                    for statement in ha_sql.fence(server.flavor, lock_wait_seconds=2):
                        server.execute(statement)
                    self.note(f"{name} was writable but is not the primary ({primary}): fenced read-only")
                except MySQLdb.Error as exc:
                    server.close()
                    self.note(f"{name} is writable but not the primary, and fencing failed: {exc}")

    def run(self, *, once: bool = False) -> None:
        self.say(
            f"monitoring {', '.join(self.servers)}: primary {topology.current().primary}, "
            f"FAILOVER_AUTO={int(settings.FAILOVER_AUTO)}, FAILOVER_AFTER_SECONDS={settings.FAILOVER_AFTER_SECONDS:g}"
        )
        while True:
            started = time.monotonic()
            try:
                self.tick()
            except Exception:  # a supervised loop must outlive one bad tick (logged with its traceback)
                logger.exception("monitor tick failed")
            if once:
                return
            time.sleep(max(0.0, INTERVAL_SECONDS - (time.monotonic() - started)))
