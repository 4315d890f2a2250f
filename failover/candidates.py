"""Which replica to promote when the primary is lost: pure logic, no server.

Semi-synchronous AFTER_SYNC replication means every acknowledged write is in at
least one replica's relay log. So the replica that has *received* the most (its
relay log, not just what it applied) holds every acknowledged write, once it has
applied its relay log. That one is promoted; a replica that cannot be trusted is
never chosen, and when the choice cannot be made safely the failover is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from replication.gtid import Position


class NoSafeCandidate(Exception):
    pass


@dataclass(frozen=True)
class Candidate:
    name: str
    reachable: bool
    error: str = ""
    # Replicating from the lost primary, with its SQL thread free of errors.
    replicating_from_primary: bool = False
    sql_error: str = ""
    received: Position | None = None
    applied: Position | None = None
    applied_relay_log: bool = False

    def unsafe_reason(self) -> str | None:
        if not self.reachable:
            return f"unreachable ({self.error})" if self.error else "unreachable"
        if self.sql_error:
            return f"replication broken: {self.sql_error}"
        if not self.replicating_from_primary:
            return "not a replica of the lost primary"
        if self.received is None or self.applied is None:
            return "no GTID position"
        if not self.applied_relay_log:
            return "could not apply its relay log in time"
        return None


@dataclass(frozen=True)
class Choice:
    chosen: Candidate
    reason: str


def choose(candidates: list[Candidate], *, preferred: str | None = None, force: bool = False) -> Choice:
    """The replica to promote, or NoSafeCandidate saying why none is.

    Refused when a replica is unreachable (unless `force`): it may hold the only
    copy of an acknowledged write (semi-sync needs one ack, not two).
    """
    if not candidates:
        raise NoSafeCandidate("there is no replica to promote")
    unsafe = {c.name: reason for c in candidates if (reason := c.unsafe_reason()) is not None}
    safe = [c for c in candidates if c.name not in unsafe]
    if not safe:
        details = "; ".join(f"{name}: {reason}" for name, reason in unsafe.items())
        raise NoSafeCandidate(f"no replica is safe to promote ({details})")
    unreachable = [c.name for c in candidates if not c.reachable]
    if unreachable and not force:
        raise NoSafeCandidate(
            f"{', '.join(unreachable)} cannot be reached: it may hold acknowledged writes the others "
            "lack, so promoting another could lose them (bring it back, or --force to accept the risk)"
        )
    # Every safe candidate has its positions (unsafe_reason() says "no GTID position" otherwise).
    best = [
        c
        for c in safe
        if c.applied is not None
        and all(other.applied is not None and c.applied.holds(other.applied) for other in safe)
    ]
    if not best:
        positions = ", ".join(f"{c.name}={c.applied}" for c in safe)
        raise NoSafeCandidate(f"the replicas have diverged (no one holds all the others have): {positions}")
    if preferred is not None:
        wanted = next((c for c in candidates if c.name == preferred), None)
        if wanted is None:
            raise NoSafeCandidate(f"{preferred} is not a replica of this cluster")
        if wanted.name in unsafe:
            raise NoSafeCandidate(f"{preferred} is not safe to promote: {unsafe[wanted.name]}")
        if wanted not in best:
            ahead = next(c for c in best)
            raise NoSafeCandidate(
                f"{preferred} lacks transactions {ahead.name} has ({wanted.applied} < {ahead.applied}): "
                f"promote {ahead.name}, or wait"
            )
        return Choice(wanted, f"{preferred} as asked; it holds everything the others have")
    # Ties (equal positions) go to configured order: the first is the name listed first.
    chosen = best[0]
    others = ", ".join(f"{c.name}={c.applied}" for c in safe if c is not chosen) or "none"
    return Choice(chosen, f"{chosen.name} is the most advanced ({chosen.applied}; others: {others})")
