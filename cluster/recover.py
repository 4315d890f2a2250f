"""`recover dbN`: a former primary killed hard and started once as a semi-sync replica.

Used by `manage.py rejoin` (through SERVER_CONTROL_COMMAND) to discard what a
replaced primary binlogged but never committed in its engine: with AFTER_SYNC
those are exactly the commits no client was told about. Crash recovery with
--init-rpl-role=SLAVE truncates them from the binlog (MDEV-21117; 10.11.9+).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import time
from functools import partial

from cluster.console import ClusterError, say
from cluster.layout import Layout, load_layout
from cluster.paths import log_file
from cluster.probes import db_answers, mariadb_root, start_and_wait
from cluster.shell import clean_environment, ensure_port_free, wait_for
from cluster.supervisor import Supervisor, connected
from cluster.topology import Database, database

RECOVER_OPTIONS = ("--init-rpl-role=SLAVE", "--rpl-semi-sync-slave-enabled=ON")
TRUNCATED = re.compile(r"truncat", re.IGNORECASE)


def kill_hard(layout: Layout, sup: Supervisor, name: str, timeout: float = 60) -> bool:
    """SIGKILL the server with no shutdown at all; False when it was not running.

    A clean shutdown is no good here: it lets commits that wait for a replica's
    acknowledgement go on and commit in the engine (seen with 10.11.19). The
    process is frozen first so the TERM that supervisord's stop sends (which
    keeps it from restarting the server) is never handled, then killed.

    First the InnoDB redo log is flushed: with the binlog on, InnoDB writes a
    commit record lazily (the prepare is durable, the binlog recovers the rest),
    so a transaction committed and answered a moment ago would come back from a
    kill as merely prepared, and --init-rpl-role=SLAVE would discard it (seen:
    an errant write on a replica, committed, truncated). After the flush only the
    transactions still waiting for an acknowledgement are left prepared.
    """
    info = sup.info(name)
    if info["statename"] not in ("RUNNING", "STARTING", "BACKOFF") or not info["pid"]:
        return False
    pid = int(info["pid"])
    try:
        flushed = mariadb_root(layout, database(name), "FLUSH NO_WRITE_TO_BINLOG ENGINE LOGS;", timeout=30)
        error = flushed.stderr.strip() if flushed.returncode else ""
    except subprocess.TimeoutExpired:
        error = "no answer in 30 s"
    if error:
        raise ClusterError(
            f"{name}: could not flush its InnoDB log before the kill ({error}): "
            "what it committed last might be discarded; not killing it"
        )
    os.kill(pid, signal.SIGSTOP)
    try:
        sup.stop_nowait(name)
    finally:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: sup.state(name) in ("STOPPED", "EXITED", "FATAL"), timeout, f"{name} to die")
    return True


def start_as_replica_once(layout: Layout, db: Database, timeout: float = 120) -> list[str]:
    """Run mariadbd once (outside supervisord) with RECOVER_OPTIONS, shut it down cleanly.

    Returns the log lines saying what the recovery truncated. A server whose
    binlog cannot be truncated safely refuses to start: ClusterError.
    """
    mariadbd = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
    log = log_file(db.name)
    offset = log.stat().st_size if log.exists() else 0
    cmd = [mariadbd, f"--defaults-file={layout.cnf(db)}", "--user=mysql", *RECOVER_OPTIONS]
    ensure_port_free(db.port, db.name)
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=clean_environment())
    try:
        wait_for(
            partial(db_answers, layout, db),
            timeout,
            f"{db.name} (started with {' '.join(RECOVER_OPTIONS)})",
            log=log,
            failed=lambda: None if proc.poll() is None else f"exited {proc.returncode}",
        )
    finally:
        if proc.poll() is None:
            proc.terminate()  # nothing waits for an acknowledgement now: a clean shutdown
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with open(log, "rb") as text:
        text.seek(offset)
        lines = text.read().decode(errors="replace").splitlines()
    return [line for line in lines if TRUNCATED.search(line)]


def cmd_recover(args: argparse.Namespace) -> int:
    name = args.service or ""
    if name not in {"db1", "db2", "db3"}:
        raise ClusterError(f"recover is for database servers (db1..db3), not {name or 'nothing'}")
    layout = load_layout()
    sup = connected(layout)
    started_at = time.monotonic()
    killed = kill_hard(layout, sup, name)
    say(f"{name}: {'killed (SIGKILL, no shutdown)' if killed else 'was not running'}")
    truncated = start_as_replica_once(layout, database(name))
    for line in truncated:
        say(f"{name}: {line}")
    if not truncated:
        say(f"{name}: recovery truncated nothing (every binlogged transaction was committed in the engine)")
    start_and_wait(layout, sup, [name])
    say(f"{name} recovered as a replica and restarted ({time.monotonic() - started_at:.1f}s)")
    return 0
