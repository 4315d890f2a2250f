"""Rebuild a server as a replica from a physical copy of the primary (mariadb-backup).

For the servers of the local cluster, which share this machine with the
command: mariadb-backup must read the primary's data directory, and the target
is stopped and started with SERVER_CONTROL_COMMAND (the cluster package). The
target's old data directory is kept aside until the copy replicates, so a
failed reclone loses nothing that was there.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

import MySQLdb
from django.conf import settings

from failover import promotion
from failover.servers import Server, ServerUnreachable, server
from replication import topology

Say = Callable[[str], None]


class RecloneError(Exception):
    pass


def _run(cmd: list[str], say: Say, what: str, *, secret: str = "") -> None:
    started = time.monotonic()
    # No shell: the operator's SERVER_CONTROL_COMMAND (a setting) and mariadb-backup's
    # arguments, built here from the topology.
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)  # noqa: S603
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-8:])
        raise RecloneError(
            f"{what} failed (exit {result.returncode}):\n{tail.replace(secret, '***') if secret else tail}"
        )
    say(f"{what}: done in {time.monotonic() - started:.1f}s")


def _control(action: str, name: str, say: Say) -> None:
    command = settings.SERVER_CONTROL_COMMAND.format(action=action, name=name)
    _run(shlex.split(command), say, f"{action} {name}")


def _datadir(target: Server, name: str) -> Path:
    try:
        target.connect(timeout=2)
        return Path(target.scalar("SELECT @@GLOBAL.datadir"))
    except ServerUnreachable:
        # Stopped: the local cluster's layout (.state/dbN/data, maybe a symlink).
        return (Path(settings.BASE_DIR) / ".state" / name / "data").resolve()
    finally:
        target.close()


def reclone(name: str, say: Say, *, timeout: float = 120.0) -> float:
    started = time.monotonic()
    primary_name = topology.current().primary
    if name == primary_name:
        raise RecloneError(f"{name} is the primary: it cannot be rebuilt from itself")
    backup = shutil.which("mariadb-backup") or shutil.which("mariabackup")
    if backup is None:
        raise RecloneError("mariadb-backup is not installed (make deps installs Debian's mariadb-backup)")
    target, primary = server(name), server(primary_name)
    parts = urlsplit(primary.url)
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    try:
        primary.connect(timeout=3)
        source_dir = primary.scalar("SELECT @@GLOBAL.datadir")
    except ServerUnreachable as exc:
        raise RecloneError(str(exc)) from exc
    finally:
        primary.close()
    datadir = _datadir(target, name).resolve()
    work = Path(tempfile.mkdtemp(prefix=f".reclone-{name}-", dir=datadir.parent))
    copy = work / "data"
    say(f"copying {primary_name} ({source_dir}) with mariadb-backup into {copy}")
    _run(
        [backup, "--backup", f"--host={primary.host}", f"--port={primary.port}", f"--user={user}",
         f"--password={password}", f"--datadir={source_dir}", f"--target-dir={copy}"],
        say, "mariadb-backup --backup", secret=password,
    )  # fmt: skip
    _run([backup, "--prepare", f"--target-dir={copy}"], say, "mariadb-backup --prepare")
    position = _backup_position(copy)
    _control("stop", name, say)
    aside = work / "old-data"
    datadir.rename(aside)
    copy.rename(datadir)
    shutil.chown(datadir, "mysql", "mysql")
    for path in datadir.rglob("*"):
        shutil.chown(path, "mysql", "mysql")
    _control("start", name, say)
    try:
        target.connect(timeout=5, read_timeout=int(timeout) + 10)
        primary.connect(timeout=3)
        say(f"{name}: starting from the copy's position {position or '(empty)'}")
        target.execute("SET GLOBAL gtid_slave_pos = %s", [position])
        promotion.point_at(target, primary)
        goal = primary.scalar("SELECT @@GLOBAL.gtid_binlog_pos") or ""
        if goal and not target.has_applied(goal, timeout):
            raise RecloneError(
                f"{name} did not catch up with {goal} within {timeout:.0f}s; old data in {aside}"
            )
        if not promotion.wait_healthy(target, timeout=10).healthy:
            raise RecloneError(f"{name} is not replicating after the copy; old data in {aside}")
    except (MySQLdb.Error, ServerUnreachable) as exc:
        raise RecloneError(f"{name} did not come back as a replica: {exc}; old data in {aside}") from exc
    finally:
        target.close()
        primary.close()
    shutil.rmtree(work, ignore_errors=True)
    return time.monotonic() - started


def _backup_position(copy: Path) -> str:
    """The GTID position the copy is consistent with (third field of the binlog info file)."""
    for filename in ("mariadb_backup_binlog_info", "xtrabackup_binlog_info"):
        info = copy / filename
        if info.exists():
            fields = info.read_text().split()
            return fields[2] if len(fields) >= 3 else ""
    return ""
