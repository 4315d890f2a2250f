"""GTID positions of both flavours, and which of two holds more.

MariaDB writes a position as one `domain-server-seq` per replication domain
("0-1-120,1-3-7"); the sequence number grows within a domain whichever server
wrote it, so "a holds b" means: in every domain of b, a has reached b's seq.
Every server here writes in domain 0 and has its own server_id, so positions
stay comparable across promotions (MASTER_GTID_WAIT compares them the same way,
which keeps read-your-writes cookies valid after a failover).

MySQL writes a set, one `uuid:interval[:interval]` per server that wrote
("3e11fa47-...:1-120:125"); "a holds b" means b's set is a subset of a's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

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

    def holds(self, other: Position) -> bool:
        other = _same_flavor(self, other)
        return all(
            domain in self.domains and self.domains[domain][1] >= seq
            for domain, (_, seq) in other.domains.items()
        )

    def missing_from(self, other: Position) -> int:
        """How many transactions of this position `other` lacks (by sequence numbers)."""
        other = _same_flavor(self, other)
        return sum(
            max(0, seq - other.domains.get(domain, (0, 0))[1]) for domain, (_, seq) in self.domains.items()
        )

    def __str__(self) -> str:
        return ",".join(f"{d}-{s}-{n}" for d, (s, n) in sorted(self.domains.items()))


@dataclass(frozen=True)
class MysqlPosition:
    # server uuid -> sorted, merged, inclusive intervals
    sets: dict[str, tuple[tuple[int, int], ...]]

    @classmethod
    def parse(cls, text: str | None) -> MysqlPosition:
        sets: dict[str, list[tuple[int, int]]] = {}
        for part in "".join((text or "").split()).split(","):
            if not part:
                continue
            uuid, *intervals = part.split(":")
            for interval in intervals:
                low, _, high = interval.partition("-")
                sets.setdefault(uuid.lower(), []).append((int(low), int(high or low)))
        return cls({uuid: _merged(intervals) for uuid, intervals in sets.items()})

    def holds(self, other: Position) -> bool:
        other = _same_flavor(self, other)
        return all(
            any(low >= a and high <= b for a, b in self.sets.get(uuid, ()))
            for uuid, intervals in other.sets.items()
            for low, high in intervals
        )

    def missing_from(self, other: Position) -> int:
        other = _same_flavor(self, other)
        count = 0
        for uuid, intervals in self.sets.items():
            theirs = other.sets.get(uuid, ())
            for low, high in intervals:
                count += sum(
                    1 for number in range(low, high + 1) if not any(a <= number <= b for a, b in theirs)
                )
        return count

    def __str__(self) -> str:
        return ",".join(
            uuid + "".join(f":{a}" if a == b else f":{a}-{b}" for a, b in intervals)
            for uuid, intervals in sorted(self.sets.items())
        )


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


def _merged(intervals: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(intervals):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(high, merged[-1][1]))
        else:
            merged.append((low, high))
    return tuple(merged)


Position = MariaPosition | MysqlPosition
P = TypeVar("P", MariaPosition, MysqlPosition)


def _same_flavor(own: P, other: Position) -> P:
    """`other`, once it is known to be of `own`'s flavour: positions of two flavours never compare."""
    if not isinstance(other, type(own)):
        raise TypeError(f"cannot compare a {type(own).__name__} with a {type(other).__name__}")
    return other


def parse(flavor: Flavor, text: str | None) -> Position:
    return MariaPosition.parse(text) if flavor.is_mariadb else MysqlPosition.parse(text)


def covers(flavor: Flavor, position: str, wanted: str) -> bool:
    """Whether `position` (a server's applied GTIDs) holds every GTID in `wanted`.

    Read-your-writes uses it to answer at once what MASTER_GTID_WAIT /
    WAIT_FOR_EXECUTED_GTID_SET would: anything this cannot parse (a tagged
    MySQL GTID, a forged value) answers "no", and the caller asks the server.
    """
    try:
        return parse(flavor, position).holds(parse(flavor, wanted))
    except ValueError:
        return False
