"""MariaDB GTID positions, and which of two holds more.

MariaDB writes a position as one `domain-server-seq` per replication domain
("0-1-120,1-3-7"); the sequence number grows within a domain whichever server
wrote it, so "a holds b" means: in every domain of b, a has reached b's seq.
Every server here writes in domain 0 and has its own server_id, so positions
stay comparable across promotions (MASTER_GTID_WAIT compares them the same way,
which keeps read-your-writes cookies valid after a failover).
"""

from __future__ import annotations

from dataclasses import dataclass

from replication.sql import Flavor


@dataclass(frozen=True)
class MariaPosition:
    # domain -> (server_id, seq_no)
    domains: dict[int, tuple[int, int]]

    @classmethod
    def parse(cls, text: str | None) -> MariaPosition:
        domains: dict[int, tuple[int, int]] = {}
        for part in "".join((text or "").split()).split(","):
            if not part:
                continue
            domain, server, seq = (int(value) for value in part.split("-"))
            if domain not in domains or seq > domains[domain][1]:
                domains[domain] = (server, seq)
        return cls(domains)

    def holds(self, other: MariaPosition) -> bool:
        return all(
            domain in self.domains and self.domains[domain][1] >= seq
            for domain, (_, seq) in other.domains.items()
        )

    def missing_from(self, other: MariaPosition) -> int:
        """How many transactions of this position `other` lacks (by sequence numbers)."""
        return sum(
            max(0, seq - other.domains.get(domain, (0, 0))[1]) for domain, (_, seq) in self.domains.items()
        )

    def __str__(self) -> str:
        return ",".join(f"{d}-{s}-{n}" for d, (s, n) in sorted(self.domains.items()))


def maria_lacking(own: str | None, primary_state: str | None) -> int:
    """How many of the transactions ending at `own` (a gtid_binlog_pos) a primary lacks.

    `primary_state` is the primary's gtid_binlog_state: the last sequence number
    it holds per (domain, server_id). GTIDs are unique, so the primary holds the
    server's last transaction d-s-n when its state for (d, s) has reached n; a
    former primary's unacknowledged transactions (written by it, never received
    by its successor) are the ones beyond that.
    """
    state: dict[tuple[int, int], int] = {}
    for part in "".join((primary_state or "").split()).split(","):
        if part:
            domain, server, seq = (int(value) for value in part.split("-"))
            state[(domain, server)] = max(seq, state.get((domain, server), 0))
    lacking = 0
    for domain, (server, seq) in MariaPosition.parse(own).domains.items():
        held = state.get((domain, server), 0)
        if held < seq:
            lacking += seq - held
    return lacking


# What the callers name a position (MariaDB is the one engine: replication/sql.py).
Position = MariaPosition


def parse(flavor: Flavor, text: str | None) -> Position:
    return MariaPosition.parse(text)


def covers(flavor: Flavor, position: str, wanted: str) -> bool:
    """Whether `position` (a server's applied GTIDs) holds every GTID in `wanted`.

    Read-your-writes uses it to answer at once what MASTER_GTID_WAIT would:
    anything this cannot parse (a forged value) answers "no", and the caller
    asks the server.
    """
    try:
        return parse(flavor, position).holds(parse(flavor, wanted))
    except ValueError:
        return False
