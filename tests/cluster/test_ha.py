"""High availability for writes, tested by losing, freezing and switching the primary under load.

Each test records every request and its answer (tests/cluster/load.py), then
checks the servers: every 201 must exist on the new primary and on the other
replica, nothing is ever a 500, and the servers end with identical data. The
`ha_cluster` fixture turns automatic failover on and gives back db1 as the
primary (rejoin, or reclone when rejoin refuses, then switchover).
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time

from replication import sql
from tests.cluster import ha
from tests.cluster.harness import (
    DBS,
    FLAVOR,
    NGINX,
    NODES,
    create_room,
    signed_up_user,
    status,
    unique_code,
    wait_until,
)
from tests.cluster.load import LoadRun

WRITE_STATUSES = {201, 503}


def _first_201_after(load: LoadRun, moment: float) -> float | None:
    times = sorted(o.started for o in load.of("POST") if o.status == 201 and o.started > moment)
    return times[0] - moment if times else None


def _longest_write_gap(load: LoadRun) -> float:
    times = sorted(o.started for o in load.of("POST") if o.status == 201)
    return max((b - a for a, b in itertools.pairwise(times)), default=0.0)


def _assert_every_201_on(load: LoadRun, names: list[str]) -> None:
    codes = load.acknowledged_codes()
    assert codes, "no write was acknowledged"
    for name in names[1:]:
        ha.caught_up(name, names[0])
    for name in names:
        found = ha.count_codes(name, codes)
        assert found == len(codes), f"{name} holds {found} of {len(codes)} acknowledged rooms"
    assert len({ha.checksum(name) for name in names}) == 1, f"{names} differ"


def test_primary_lost_for_good_fails_over_and_loses_no_acknowledged_write(ha_cluster):
    supervisor = ha_cluster
    epoch = ha.topology().get("epoch", 0)
    with LoadRun(readers=2, writers=3, max_seconds=120) as load:
        load.wait_for(60, "POST")
        supervisor.stop("db1")  # and it stays stopped, like a lost machine
        lost_at = time.monotonic()
        wait_until(lambda: ha.primary() != "db1", timeout=30, what="a new primary")
        promoted_after = time.monotonic() - lost_at
        wait_until(
            lambda: _first_201_after(load, lost_at) is not None, timeout=30, what="a write after the loss"
        )
        load.wait_for(60, "POST")
    new = ha.primary()
    other = next(name for name in ("db2", "db3") if name != new)
    gap = _first_201_after(load, lost_at)
    posts = load.statuses("POST")
    ha.report(
        f"promoted {new} after {promoted_after:.1f}s; first 201 {gap:.2f}s after the loss; POST {dict(posts)}"
    )
    assert ha.topology()["epoch"] > epoch and ha.topology()["last_change"]["kind"] == "failover"
    assert gap <= 10, f"first write {gap:.1f}s after the loss"
    assert set(posts) <= WRITE_STATUSES, posts
    assert all(o.error_shape for o in load.of("POST") if o.status == 503)
    assert 500 not in load.statuses("GET"), load.statuses("GET")
    _assert_every_201_on(load, [new, other])
    assert status(NGINX)["topology"]["primary"] == new


def test_primary_frozen_fails_over_old_primary_takes_no_write_and_rejoins(ha_cluster):
    supervisor = ha_cluster
    pid = supervisor.pid("db1")
    with LoadRun(readers=2, writers=3, max_seconds=150) as load:
        load.wait_for(60, "POST")
        os.kill(pid, signal.SIGSTOP)  # a long pause or a partition: it answers nothing
        frozen_at = time.monotonic()
        try:
            wait_until(lambda: ha.primary() != "db1", timeout=30, what="a new primary")
            wait_until(lambda: _first_201_after(load, frozen_at) is not None, timeout=40, what="a write")
        finally:
            os.kill(pid, signal.SIGCONT)
        resumed_at = time.monotonic()
        wait_until(lambda: _first_201_after(load, resumed_at) is not None, timeout=30, what="a later write")
        # Settled: whatever db1 had in flight when frozen is in its binlog now.
        time.sleep(1)
        db1_position = DBS["db1"].scalar(sql.primary_gtid_position(FLAVOR))
        load.wait_for(60, "POST")
    new = ha.primary()
    other = next(name for name in ("db2", "db3") if name != new)
    posts = load.statuses("POST")
    early = sorted(
        (o.started - frozen_at, o.node) for o in load.of("POST") if o.status == 201 and o.started > frozen_at
    )
    ha.report(
        f"first 201s after the freeze (s, node): {[(round(t, 2), n) for t, n in early[:3]]}; POST {dict(posts)}"
    )
    assert set(posts) <= WRITE_STATUSES, posts
    # The old primary took no write after it woke up: its binlog did not move.
    assert DBS["db1"].scalar(sql.primary_gtid_position(FLAVOR)) == db1_position
    _assert_every_201_on(load, [new, other])
    # db1's commits still wait for an acknowledgement: binlogged, never committed in its engine,
    # never answered. rejoin discards them (hard kill, one start with --init-rpl-role=SLAVE).
    result = ha.manage("rejoin", "db1")
    assert result.returncode == 0, result.stdout + result.stderr
    ha.report("rejoin: " + (" / ".join(line for line in result.stdout.splitlines() if "==>" in line)))
    assert ha.replicates_from("db1", new)
    _assert_every_201_on(load, [new, other, "db1"])


def test_rejoin_discards_a_commit_the_frozen_primary_never_had_acknowledged(ha_cluster):
    """Deterministic version of the freeze: a commit that waits for an ack when db1 freezes."""
    supervisor = ha_cluster
    session, _ = signed_up_user()
    codigo = unique_code("UNACK")
    assert create_room(session, codigo, nombre="sin ack", capacidad=1).status_code == 201
    for name in ("db2", "db3"):
        ha.caught_up(name, "db1")
    ha.hold_failover()
    for name in ("db2", "db3"):
        DBS[name].query("STOP SLAVE IO_THREAD")  # nothing reaches them, nothing is acknowledged
    before = DBS["db1"].scalar("SELECT @@GLOBAL.gtid_binlog_pos")
    connection = DBS["db1"].connect()
    outcome: list[object] = []

    def write() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("UPDATE salas.salas_sala SET capacidad = 3 WHERE codigo = %s", [codigo])
            outcome.append("committed")
        except Exception as exc:  # noqa: BLE001 - the server is killed under it: any error
            outcome.append(exc)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    wait_until(
        lambda: DBS["db1"].scalar("SELECT @@GLOBAL.gtid_binlog_pos") != before,
        timeout=20,
        what="the update in db1's binlog",
    )
    assert writer.is_alive() and not outcome, "the update must wait for an acknowledgement"
    pid = supervisor.pid("db1")
    os.kill(pid, signal.SIGSTOP)
    try:
        result = ha.manage("failover", "--to", "db2")
    finally:
        os.kill(pid, signal.SIGCONT)
        ha.release_failover()
    assert result.returncode == 0, result.stdout + result.stderr
    assert ha.primary() == "db2"
    time.sleep(0.5)  # db1 runs again: the update still waits (no replica of db1 is left)
    assert not outcome, outcome
    assert DBS["db1"].scalar("SELECT @@GLOBAL.gtid_binlog_pos") != before
    result = ha.manage("rejoin", "db1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "truncated binlog" in result.stdout, result.stdout
    ha.report(" / ".join(line for line in result.stdout.splitlines() if "truncat" in line.lower()))
    writer.join(timeout=30)
    assert outcome and outcome[0] != "committed", outcome  # its client never got an answer
    # Discarded: db1 never answered it and db2 never had it.
    assert DBS["db1"].scalar("SELECT capacidad FROM salas.salas_sala WHERE codigo = %s", [codigo]) == 1
    assert ha.replicates_from("db1", "db2")
    for name in ("db1", "db3"):
        ha.caught_up(name, "db2")
    assert len({ha.checksum(name) for name in ("db1", "db2", "db3")}) == 1


def test_rejoin_refuses_a_server_holding_committed_transactions_the_primary_lacks(ha_cluster):
    # An errant write on db3, logged and committed in its engine (a replica waits for no
    # acknowledgement): the recovery keeps it, so rejoin must refuse and point at reclone.
    session, _ = signed_up_user()
    codigo = unique_code("ERRANT")
    assert create_room(session, codigo, nombre="errante", capacidad=1).status_code == 201
    ha.caught_up("db3", "db1")
    DBS["db3"].query("STOP SLAVE")
    connection = DBS["db3"].connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION sql_log_bin = 1")
            cursor.execute("UPDATE salas.salas_sala SET capacidad = 2 WHERE codigo = %s", [codigo])
            assert cursor.rowcount == 1
    finally:
        connection.close()
    result = ha.manage("rejoin", "db3")
    assert result.returncode != 0
    assert "reclone db3" in result.stderr and "committed in its engine" in result.stderr, result.stderr
    assert "--init-rpl-role=SLAVE" in result.stdout, result.stdout
    # Kept, not discarded: the refusal leaves db3's data as it was.
    assert DBS["db3"].scalar("SELECT capacidad FROM salas.salas_sala WHERE codigo = %s", [codigo]) == 2
    result = ha.manage("reclone", "db3")
    assert result.returncode == 0, result.stderr
    assert ha.replicates_from("db3", "db1")
    ha.caught_up("db3", "db1")
    assert ha.checksum("db3") == ha.checksum("db1")


def test_switchover_there_and_back_under_load_loses_nothing(ha_cluster):
    with LoadRun(readers=2, writers=3, max_seconds=120) as load:
        load.wait_for(40, "POST")
        there = ha.manage("switchover", "--to", "db2", "--json")
        assert there.returncode == 0, there.stderr
        wait_until(lambda: status(NGINX)["topology"]["primary"] == "db2", timeout=10, what="nodes on db2")
        load.wait_for(40, "POST")
        back = ha.manage("switchover", "--to", "db1", "--json")
        assert back.returncode == 0, back.stderr
        load.wait_for(40, "POST")
    posts = load.statuses("POST")
    ha.report(f"longest gap between 201s: {_longest_write_gap(load):.2f}s; POST {dict(posts)}")
    assert set(posts) <= WRITE_STATUSES, posts
    assert set(load.statuses("GET")) == {200}, load.statuses("GET")
    assert ha.primary() == "db1"
    _assert_every_201_on(load, ["db1", "db2", "db3"])


def test_primary_paused_shorter_than_the_threshold_causes_no_failover(ha_cluster):
    supervisor = ha_cluster
    epoch = ha.topology()["epoch"]
    pid = supervisor.pid("db1")
    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(1.5)  # below FAILOVER_AFTER_SECONDS (3): the point of the test
    finally:
        os.kill(pid, signal.SIGCONT)
    session, _ = signed_up_user()
    response = wait_until(
        lambda: (
            (r := create_room(session, unique_code("PAUSE"), nombre="p", capacidad=1)).status_code == 201
            and r
        ),
        timeout=30,
        what="a write after the pause",
    )
    assert response.status_code == 201
    time.sleep(3)  # past the threshold: a failover would have happened by now
    assert ha.topology()["epoch"] == epoch and ha.primary() == "db1"


def test_a_replica_lost_with_semi_sync_on_writes_go_on(ha_cluster):
    supervisor = ha_cluster
    before = int(ha.semi_sync("db1")["Rpl_semi_sync_master_yes_tx"])
    supervisor.stop("db3")
    try:
        with LoadRun(readers=1, writers=2, max_seconds=60) as load:
            load.wait_for(40, "POST")
        state = ha.semi_sync("db1")
    finally:
        supervisor.start("db3", wait=True)
    assert set(load.statuses("POST")) == {201}, load.statuses("POST")
    # Still semi-synchronous, acknowledged by db2 alone.
    assert state["Rpl_semi_sync_master_status"] == "ON"
    assert state["Rpl_semi_sync_master_clients"] == "1"
    assert int(state["Rpl_semi_sync_master_yes_tx"]) >= before + 40


def test_with_no_replica_left_a_write_is_503_never_201(healthy_cluster):
    supervisor = healthy_cluster
    session, _ = signed_up_user()
    codigo = unique_code("NOACK")
    supervisor.stop("db2")
    supervisor.stop("db3")
    try:
        started = time.monotonic()
        response = create_room(session, codigo, nombre="sin réplica", capacidad=1)
        waited = time.monotonic() - started
        state = ha.semi_sync("db1")
    finally:
        supervisor.start("db2", wait=True)
        supervisor.start("db3", wait=True)
    ha.report(f"answered {response.status_code} after {waited:.1f}s")
    assert response.status_code == 503, response.text
    # No silent fallback to asynchronous replication.
    assert state["Rpl_semi_sync_master_status"] == "ON"


def test_read_your_writes_holds_across_a_switchover(ha_cluster):
    session, _ = signed_up_user()

    def seen_everywhere(codigo: str) -> bool:
        # Straight after the write, on every node: its replica has it, or the read goes to the primary.
        return all(
            session.get(f"{base}/sala/all", params={"q": codigo}, timeout=10).json()["count"] == 1
            for base in NODES.values()
        )

    before = unique_code("RYW")
    assert create_room(session, before, nombre="antes", capacidad=1).status_code == 201
    result = ha.manage("switchover", "--to", "db3")
    assert result.returncode == 0, result.stderr
    wait_until(lambda: status(NGINX)["topology"]["primary"] == "db3", timeout=10, what="nodes on db3")
    # A cookie from db1's history still compares with the new primary's GTIDs.
    assert seen_everywhere(before)
    after = unique_code("RYW")
    assert create_room(session, after, nombre="después", capacidad=1).status_code == 201
    assert seen_everywhere(after)
    assert ha.count_codes("db3", [before, after]) == 2
