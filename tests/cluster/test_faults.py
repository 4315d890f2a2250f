"""Faults injected while reads and writes flow through nginx; every answer is checked."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from replication import sql
from tests.cluster.harness import (
    DBS,
    FLAVOR,
    NODES,
    assert_rooms_on_every_server,
    create_room,
    signed_up_user,
    status,
    unique_code,
    wait_until,
)
from tests.cluster.load import LoadRun

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("healthy_cluster")]


def _children(pid: int) -> list[int]:
    output = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    return [int(p) for p in output.split()]


def test_app_node_killed_reads_stay_whole_and_the_node_returns(healthy_cluster):
    supervisor = healthy_cluster
    with LoadRun(readers=4, writers=2) as load:
        load.wait_for(150)
        master = supervisor.pid("app2")
        workers = _children(master)
        killed_at = time.monotonic()
        for pid in (master, *workers):
            os.kill(pid, signal.SIGKILL)
        wait_until(
            lambda: supervisor.state("app2") == "RUNNING" and supervisor.pid("app2") != master,
            timeout=60,
            what="app2 restarted",
        )
        wait_until(lambda: status(NODES["app2"])["status"] == "ok", timeout=60, what="app2 answering")
        restarted_at = time.monotonic()
        # nginx takes app2 back once its passive fail_timeout (5 s) has passed.
        wait_until(
            lambda: any(o.node == "app2" and o.started > restarted_at for o in load.outcomes),
            timeout=30,
            what="app2 taking traffic again through nginx",
        )
        load.wait_for(100)
    gets = load.statuses("GET")
    assert set(gets) == {200}, gets
    posts = load.of("POST")
    failed = [o for o in posts if o.status != 201]
    # Only writes in flight on app2 when it died may fail, with nginx's JSON error.
    assert len(failed) <= 8, failed
    for outcome in failed:
        assert outcome.status in (0, 502), outcome
        assert outcome.error_shape, outcome
        assert killed_at - 1 <= outcome.started <= restarted_at, outcome
    assert_rooms_on_every_server(load.acknowledged_codes())


def test_replica_stopped_its_node_reads_from_the_primary_without_5xx(healthy_cluster):
    supervisor = healthy_cluster
    with LoadRun(readers=4, writers=2) as load:
        load.wait_for(100)
        supervisor.stop("db3")
        wait_until(
            lambda: status(NODES["app3"])["reason"] == "replica-down", timeout=15, what="app3 off its replica"
        )
        load.wait_for(200)
        supervisor.start("db3", wait=True)
        wait_until(
            lambda: status(NODES["app3"])["reads_from"] == "replica", timeout=60, what="app3 back on db3"
        )
        load.wait_for(100)
    assert set(load.statuses("GET")) == {200}, load.statuses("GET")
    assert set(load.statuses("POST")) == {201}, load.statuses("POST")
    assert any(o.node == "app3" for o in load.of("GET")), "app3 served no reads"
    assert_rooms_on_every_server(load.acknowledged_codes())


def test_primary_killed_during_writes_reads_continue_writes_503_then_recover(healthy_cluster):
    supervisor = healthy_cluster
    with LoadRun(readers=4, writers=3) as load:
        load.wait_for(120)
        old_pid = supervisor.kill("db1")
        killed_at = time.monotonic()
        # supervisord restarts db1 by itself; meanwhile writes must fail cleanly.
        wait_until(lambda: supervisor.pid("db1") not in (0, old_pid), timeout=60, what="db1 restarted")
        wait_until(DBS["db1"].alive, timeout=90, what="db1 answering")
        back_at = time.monotonic()
        wait_until(
            lambda: any(o.status == 201 and o.started > back_at for o in load.of("POST")),
            timeout=60,
            what="a write after recovery",
        )
        load.wait_for(100)
    gets = load.statuses("GET")
    assert set(gets) == {200}, gets
    posts = load.statuses("POST")
    assert 500 not in posts and 0 not in posts, posts
    assert set(posts) <= {201, 503, 502}, posts
    # The outage was real: writes in the window got a 503 (never a 500).
    assert load.statuses("POST", killed_at, back_at)[503] >= 1, load.statuses("POST", killed_at, back_at)
    assert all(o.error_shape for o in load.of("POST") if o.status != 201)
    assert_rooms_on_every_server(load.acknowledged_codes())


def test_delayed_replication_under_load_keeps_read_your_writes(set_delay):
    set_delay("db2", 2)
    set_delay("db3", 2)
    writers = [signed_up_user()[0] for _ in range(3)]
    with LoadRun(readers=3, writers=1):
        for round_ in range(30):
            session = writers[round_ % 3]
            codigo = unique_code("LAG")
            assert create_room(session, codigo, nombre="lag").status_code == 201
            for base in NODES.values():
                listing = session.get(f"{base}/sala/all", params={"q": codigo}, timeout=10)
                assert listing.status_code == 200 and listing.json()["count"] == 1, (base, listing.text)


def test_broken_replication_under_load_falls_back_and_keeps_read_your_writes():
    DBS["db2"].query(sql.stop_replica(FLAVOR, "sql"))
    writer, _ = signed_up_user()
    with LoadRun(readers=3, writers=1) as load:
        wait_until(
            lambda: status(NODES["app2"])["reason"] == "replication-broken",
            timeout=15,
            what="app2 sees broken replication",
        )
        for _ in range(20):
            codigo = unique_code("BRK")
            assert create_room(writer, codigo, nombre="b").status_code == 201
            listing = writer.get(f"{NODES['app2']}/sala/all", params={"q": codigo}, timeout=10)
            assert listing.json()["count"] == 1
        # A reader without any write of its own also gets fresh data from app2 now.
        # (within STATE_RECHECK_SECONDS of the write: each worker rechecks its remembered state).
        reader = signed_up_user()[0]
        wait_until(
            lambda: (
                reader.get(f"{NODES['app2']}/sala/all", params={"q": codigo}, timeout=10).json()["count"] == 1
            ),
            timeout=5,
            interval=0.02,
            what="a reader without writes shown the last room on app2",
        )
    assert set(load.statuses("GET")) == {200}
    DBS["db2"].query(sql.start_replica(FLAVOR, "sql"))
    wait_until(lambda: status(NODES["app2"])["reads_from"] == "replica", timeout=30, what="app2 back on db2")


def test_hung_replica_reads_move_to_the_primary_without_errors(healthy_cluster):
    # SIGSTOP: the server accepts connections but never answers, unlike a stop.
    supervisor = healthy_cluster
    pid = supervisor.pid("db3")
    with LoadRun(readers=4, writers=1) as load:
        load.wait_for(100)
        os.kill(pid, signal.SIGSTOP)
        try:
            hung_at = time.monotonic()
            wait_until(
                lambda: status(NODES["app3"])["reads_from"] == "primary", timeout=30, what="app3 off db3"
            )
            wait_until(
                lambda: any(
                    o.node == "app3" and o.status == 200 and o.started > hung_at + 5 for o in load.of("GET")
                ),
                timeout=30,
                what="app3 serving reads again",
            )
        finally:
            os.kill(pid, signal.SIGCONT)
        wait_until(
            lambda: status(NODES["app3"])["reads_from"] == "replica", timeout=60, what="app3 back on db3"
        )
        load.wait_for(50)
    assert set(load.statuses("GET")) == {200}, load.statuses("GET")
    assert set(load.statuses("POST")) == {201}, load.statuses("POST")
    assert_rooms_on_every_server(load.acknowledged_codes())
