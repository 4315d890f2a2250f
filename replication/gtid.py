"""Does one GTID position contain another? The same comparison the servers' GTID waits make.

Read-your-writes hands a client the primary's position after its write; a
replica whose applied position contains it has applied that write. Answering
"yes" here must mean exactly what MASTER_GTID_WAIT / WAIT_FOR_EXECUTED_GTID_SET
would answer at once; anything this cannot parse answers "no" (the caller then
asks the server, which is always right).

* MariaDB: "domain-server-seq" per domain, comma separated. Within a domain
  transactions apply in order, so a position contains another when, for every
  domain of the other, its sequence number is at least as high (the server id
  does not matter, as for MASTER_GTID_WAIT).
* MySQL: a GTID set, "uuid:1-5:7,uuid2:1-9". One set contains another when
  every interval of the other lies inside one interval of the same source
  (MySQL prints sets normalised, so contiguous intervals are already merged).
"""

from __future__ import annotations

import re

from replication.sql import Flavor

_MARIADB_GTID = re.compile(r"^(\d+)-(\d+)-(\d+)$")
_MYSQL_INTERVAL = re.compile(r"^(\d+)(?:-(\d+))?$")


def _mariadb_position(text: str) -> dict[int, int] | None:
    seqs: dict[int, int] = {}
    for part in filter(None, (item.strip() for item in text.split(","))):
        match = _MARIADB_GTID.match(part)
        if match is None:
            return None
        domain, seq = int(match[1]), int(match[3])
        seqs[domain] = max(seq, seqs.get(domain, 0))
    return seqs


def _mysql_set(text: str) -> dict[str, list[tuple[int, int]]] | None:
    sources: dict[str, list[tuple[int, int]]] = {}
    for part in filter(None, (item.strip() for item in text.split(","))):
        source, *intervals = part.split(":")
        if not intervals:
            return None
        for interval in intervals:
            match = _MYSQL_INTERVAL.match(interval)
            if match is None:
                return None  # e.g. a tagged GTID (8.4): left to the server
            start = int(match[1])
            sources.setdefault(source.lower(), []).append((start, int(match[2] or start)))
    return sources


def covers(flavor: Flavor, position: str, wanted: str) -> bool:
    """Whether `position` (a server's applied GTIDs) contains every GTID in `wanted`."""
    if flavor.is_mariadb:
        have, need = _mariadb_position(position), _mariadb_position(wanted)
        if have is None or need is None:
            return False
        return all(have.get(domain, -1) >= seq for domain, seq in need.items())
    have_set, need_set = _mysql_set(position), _mysql_set(wanted)
    if have_set is None or need_set is None:
        return False
    return all(
        any(lo <= start and end <= hi for lo, hi in have_set.get(source, ()))
        for source, intervals in need_set.items()
        for start, end in intervals
    )
