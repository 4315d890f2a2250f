"""Which database server is the primary now, and which one this node reads.

The answer lives in one small JSON file (TOPOLOGY_FILE, `.state/topology.json`
locally; a shared volume under Docker), written only by setup_replication,
switchover and failover while they hold its lock, and replaced atomically
(write + rename), so a reader sees the old topology or the new one, never half.
No file means the configured first server (REPLICATION_PRIMARY_URL, db1) is
the primary: a fresh cluster needs no file.

Why a file and not "whichever server is writable": a primary that was frozen
(SIGSTOP) and replaced is still writable when it wakes up; asking the servers
would then find two primaries. The file names one, and every server other than
that one is read-only (they all start read-only, and the monitor fences any
other that is found writable).

App nodes read the file through `current()`, which costs one stat() while the
file is unchanged: the database backend (replication/backend) asks it before a
connection is used, so `default` follows the primary within one request.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload
from urllib.parse import urlsplit

from django.conf import settings
from django.core.signals import setting_changed


@dataclass(frozen=True)
class Address:
    name: str
    host: str
    port: int


@dataclass(frozen=True)
class Topology:
    primary: str
    epoch: int = 0
    changed_at: float | None = None
    # The last promotion: kind (switchover/failover), from, to, reason, at, the
    # new primary's GTID position when it was promoted, how long writes stopped.
    last_change: dict[str, Any] | None = None
    history: tuple[dict[str, Any], ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "primary": self.primary,
            "epoch": self.epoch,
            "changed_at": self.changed_at,
            "last_change": self.last_change,
            "history": list(self.history),
        }


HISTORY_KEPT = 20
# How long a node trusts the topology file it last read (see _Reader.get).
RECHECK_SECONDS = 0.05


def server_addresses() -> dict[str, Address]:
    """Every database server by name, in configured order (db1 first), as the app reaches it."""
    # Asked before every use of a connection: parsed once per configuration.
    return _addresses(
        tuple((getattr(settings, "DATABASE_SERVERS", None) or {}).items()),
        settings.REPLICATION_PRIMARY_URL,
        tuple(settings.REPLICATION_REPLICA_URLS.items()),
    )


@functools.lru_cache(maxsize=8)
def _addresses(
    servers: tuple[tuple[str, str], ...], primary_url: str, replica_urls: tuple[tuple[str, str], ...]
) -> dict[str, Address]:
    configured = dict(servers)
    if not configured:
        urls = {}
        if primary_url:
            urls["db1"] = primary_url
        urls.update(replica_urls)
        configured = {name: _hostport(url) for name, url in urls.items()}
    addresses = {}
    for name, hostport in configured.items():
        host, _, port = hostport.rpartition(":")
        addresses[name] = Address(name, host or hostport, int(port or 3306))
    return addresses


def _hostport(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or '127.0.0.1'}:{parts.port or 3306}"


def default_primary() -> str:
    names = list(server_addresses())
    return names[0] if names else "db1"


def _path() -> Path:
    return Path(settings.TOPOLOGY_FILE)


class _Reader:
    """The parsed file, read again only when its stat() changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (stat key, record) as one value: a lock-free reader never pairs a new key with an old record.
        self._read: tuple[tuple[str, int, int, int] | None, Topology] | None = None
        self._checked = 0.0

    def forget(self) -> None:
        self._checked = 0.0

    def get(self) -> Topology:
        now = time.monotonic()
        # Asked before every use of a connection (several times a request): look
        # at the file at most every RECHECK_SECONDS. A switchover fences the old
        # primary before it changes the record, so a write in that instant is
        # refused by the server (read-only: a 503), never written to it.
        # The file's name is part of what was read: another TOPOLOGY_FILE (a test's)
        # is another record, never answered from this one's memory.
        path = settings.TOPOLOGY_FILE
        read = self._read
        if (
            read is not None
            and now - self._checked < RECHECK_SECONDS
            and read[0] is not None
            and read[0][0] == path
        ):
            return read[1]
        self._checked = now
        try:
            info = os.stat(path)  # a str: no Path built on this hot path
            key: tuple[str, int, int, int] | None = (path, info.st_ino, info.st_mtime_ns, info.st_size)
        except FileNotFoundError:
            key = None
        if read is not None and key is not None and key == read[0]:
            return read[1]
        with self._lock:
            value = _parse(_path()) if key is not None else Topology(primary=default_primary())
            self._read = (key, value)
            return value


def _parse(path: Path) -> Topology:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return Topology(primary=default_primary())
    return Topology(
        primary=data["primary"],
        epoch=int(data.get("epoch", 0)),
        changed_at=data.get("changed_at"),
        last_change=data.get("last_change"),
        history=tuple(data.get("history", ())),
    )


_reader = _Reader()


def current() -> Topology:
    return _reader.get()


def primary_address() -> Address:
    topology = current()
    addresses = server_addresses()
    return addresses.get(topology.primary) or next(iter(addresses.values()))


def node_server() -> str | None:
    """The server this node reads (node i reads server i, whatever its role), if configured."""
    return settings.NODE_DATABASE or None


def read_address() -> Address | None:
    """Where this node's `replica` alias points now.

    Its own server while that is a replica; while its own server is the primary,
    the next server in configured order, which the node reads only while the
    primary is down (read_preference() is "primary" then).
    """
    own = node_server()
    addresses = server_addresses()
    if own is None or own not in addresses:
        return None
    primary = current().primary
    if own != primary:
        return addresses[own]
    names = list(addresses)
    start = names.index(own)
    for offset in range(1, len(names)):
        name = names[(start + offset) % len(names)]
        if name != primary:
            return addresses[name]
    return addresses[own]


@dataclass(frozen=True)
class Targets:
    """Where each connection role points under one topology record."""

    primary: Address
    node_read: Address | None


# (record, settings generation, targets): asked before every use of a connection,
# so computed once per record; a test's override_settings starts a new generation.
_targets: tuple[Topology, int, Targets] | None = None
_settings_generation = 0
# The settings that decide where a connection role points.
ROUTING_SETTINGS = frozenset(
    {
        "DATABASE_SERVERS",
        "REPLICATION_PRIMARY_URL",
        "REPLICATION_REPLICA_URLS",
        "NODE_DATABASE",
        "TOPOLOGY_FILE",
    }
)


def targets() -> Targets:
    """primary_address() and read_address() under the current record, computed once per record."""
    global _targets  # noqa: PLW0603 - one memo, replaced whole (lock-free readers see one tuple)
    record = current()
    memo = _targets
    if memo is not None and memo[0] is record and memo[1] == _settings_generation:
        return memo[2]
    generation = _settings_generation
    value = Targets(primary_address(), read_address())
    _targets = (record, generation, value)
    return value


def _routing_setting_changed(*, setting: str, **kwargs: Any) -> None:
    global _settings_generation  # noqa: PLW0603
    if setting in ROUTING_SETTINGS:
        _settings_generation += 1
        _reader.forget()


setting_changed.connect(_routing_setting_changed)


def read_preference() -> str:
    """ "primary" while this node's own server is the primary (it reads it directly), else the setting."""
    own = node_server()
    if own is not None and own == current().primary:
        return "primary"
    if own is not None:
        return "replica"
    return settings.READ_PREFERENCE


@overload
def changing(*, blocking: Literal[True] = True) -> contextlib.AbstractContextManager[Topology]: ...
@overload
def changing(*, blocking: bool) -> contextlib.AbstractContextManager[Topology | None]: ...
def changing(*, blocking: bool = True) -> contextlib.AbstractContextManager[Topology | None]:
    """Hold the topology lock (one change at a time, across processes) and yield the current one.

    Non-blocking, yields None when another process holds it (the monitor then
    leaves the servers alone: a switchover or failover is half done). Blocking,
    it always yields a Topology (the overloads say so to the type checker).
    """
    return _holding_lock(blocking)


@contextlib.contextmanager
def _holding_lock(blocking: bool) -> Iterator[Topology | None]:
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield None
            return
        try:
            yield _parse(path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def record(previous: Topology, primary: str, change: dict[str, Any] | None) -> Topology:
    """Write a new topology (call inside `changing()`): atomic, world-readable, epoch + 1."""
    now = time.time()
    history = previous.history
    if change is not None:
        change = {**change, "at": now}
        history = (*history, change)[-HISTORY_KEPT:]
    topology = Topology(
        primary=primary,
        epoch=previous.epoch + 1,
        changed_at=now,
        last_change=change if change is not None else previous.last_change,
        history=history,
    )
    path = _path()
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".topology.")
    with os.fdopen(fd, "w") as handle:
        json.dump(topology.as_dict(), handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)
    _reader.forget()  # this process sees its own change at once
    return topology


def hold_path() -> Path:
    """While this file exists the monitor does not fail over automatically (tests, maintenance)."""
    return _path().with_name("failover.hold")


# A hold older than this is ignored: a test run killed midway must not leave the
# cluster without automatic failover for good (tests touch it as they go).
HOLD_MAX_AGE_SECONDS = 600


def failover_held() -> bool:
    try:
        return time.time() - hold_path().stat().st_mtime < HOLD_MAX_AGE_SECONDS
    except FileNotFoundError:
        return False
