"""High-availability helpers for cluster tests: the topology record, the failover hold, the commands."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from replication import sql
from tests.cluster.harness import DB_PORTS, DBS, FLAVOR, ROOT, Supervisor, table_checksum, wait_until

TOPOLOGY = ROOT / ".state" / "topology.json"
HOLD = ROOT / ".state" / "failover.hold"
SERVERS = tuple(DB_PORTS)


def topology() -> dict:
    try:
        return json.loads(TOPOLOGY.read_text())
    except FileNotFoundError:
        return {"primary": "db1", "epoch": 0, "history": []}


def primary() -> str:
    return topology()["primary"]


def hold_failover() -> None:
    """The monitor does not fail over while the hold exists (legacy tests keep db1 down on purpose)."""
    HOLD.touch()


def release_failover() -> None:
    HOLD.unlink(missing_ok=True)


def report(message: str) -> None:
    """Timings shown as the tests run (not asserted: 2 shared cores), and kept in .state/logs."""
    print(f"\n    [ha] {message}", end="", file=sys.__stdout__, flush=True)
    with open(ROOT / ".state" / "logs" / "ha-tests.log", "a") as log:
        log.write(f"{time.strftime('%H:%M:%S')} {message}\n")


def manage(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    started = time.monotonic()
    result = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    report(f"manage.py {' '.join(args)} -> exit {result.returncode} ({time.monotonic() - started:.1f}s)")
    if result.returncode != 0:
        report(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "(no error text)")
    return result


def replicates_from(name: str, source: str) -> bool:
    row = DBS[name].status()
    return (
        int(row.get("Master_Port") or 0) == DB_PORTS[source]
        and row.get("Slave_IO_Running") == "Yes"
        and row.get("Slave_SQL_Running") == "Yes"
    )


def restore_topology(supervisor: Supervisor) -> None:
    """Every server up, db1 the primary, db2 and db3 its replicas (rejoining or recloning as needed)."""
    for name in SERVERS:
        if supervisor.state(name) != "RUNNING":
            supervisor.start(name, wait=True)
    for name in SERVERS:
        wait_until(DBS[name].alive, timeout=60, what=f"{name} to answer")
    current = primary()
    for name in SERVERS:
        if name == current:
            continue
        if wait_until_safe(lambda name=name: replicates_from(name, current), timeout=5):
            continue
        result = manage("rejoin", name)
        if result.returncode != 0:
            result = manage("reclone", name)
        assert result.returncode == 0, result.stdout + result.stderr
    if current != "db1":
        result = manage("switchover", "--to", "db1")
        assert result.returncode == 0, result.stdout + result.stderr


def wait_until_safe(predicate, timeout: float) -> bool:
    try:
        wait_until(predicate, timeout=timeout)
    except AssertionError:
        return False
    return True


def checksum(name: str) -> int:
    return table_checksum(DBS[name])


def count_codes(name: str, codes: list[str]) -> int:
    placeholders = ",".join(["%s"] * len(codes))
    return DBS[name].scalar(f"SELECT COUNT(*) FROM salas.salas_sala WHERE codigo IN ({placeholders})", codes)


def caught_up(name: str, source: str, timeout: float = 60) -> None:
    position = DBS[source].scalar(sql.primary_gtid_position(FLAVOR))
    result = DBS[name].scalar(sql.wait_for_gtid(FLAVOR), [position, timeout])
    assert result == 0, f"{name} did not reach {source}'s {position}"


def semi_sync(name: str) -> dict[str, str]:
    return dict(DBS[name].query("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master%'"))
