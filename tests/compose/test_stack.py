"""The whole system in containers: balance, read-your-writes, races, trust, restarts,
failover of a killed primary container, and a rebuild from nothing.

The order is the file's: the failover test leaves db1 dead and db2 or db3 the primary,
and the last test rebuilds the stack from empty volumes (twice), which also gives the
next run a fresh one.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.cluster.harness import (
    BASES,
    DBS,
    NGINX,
    NODES,
    assert_balance_three_two_one,
    assert_one_winner_of_fifty,
    assert_rotated_forwarded_address_does_not_dodge_lockout,
    create_and_read_back_everywhere,
    create_room,
    new_session,
    post_json,
    signed_up_user,
    status,
    unique_code,
    wait_replicas_caught_up,
    wait_until,
)
from tests.cluster.load import LoadRun
from tests.compose import stack

pytestmark = pytest.mark.compose
SERVERS = ("db1", "db2", "db3")


def test_every_service_is_up_and_the_one_shots_succeeded(compose):
    for service in stack.LONG_RUNNING:
        expected = "running" if service == "monitor" else "healthy"
        assert stack.health(compose, service) == expected, service
    for service in stack.ONE_SHOTS:
        state = stack.inspect(compose, service)["State"]
        assert (state["Status"], state["ExitCode"]) == ("exited", 0), (service, state)


def test_servers_run_mariadb_with_gtid_and_semi_sync_after_sync():
    assert "MariaDB" in DBS["db1"].scalar("SELECT VERSION()")
    assert DBS["db1"].scalar("SELECT @@version").startswith("10.11.")
    variables = dict(DBS["db1"].query("SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync_master_%'"))
    assert variables["rpl_semi_sync_master_enabled"] == "ON"
    assert variables["rpl_semi_sync_master_wait_point"] == "AFTER_SYNC"
    for name in ("db2", "db3"):
        row = DBS[name].status()
        assert (row["Slave_IO_Running"], row["Slave_SQL_Running"], row["Using_Gtid"]) == (
            "Yes",
            "Yes",
            "Slave_Pos",
        )
        assert DBS[name].scalar("SELECT @@read_only") == 1
    # The same settings file as the local cluster (cluster/render.py): spot-check one.
    assert {DBS[name].scalar("SELECT @@gtid_strict_mode") for name in SERVERS} == {1}


def test_balance_is_three_two_one_over_600_requests():
    assert_balance_three_two_one()


def test_each_node_reads_its_own_server_and_shows_the_writer_its_write_at_once():
    for index, node in enumerate(stack.NODES, start=1):
        body = status(NODES[node])
        assert (body["node"], body["read_server_id"]) == (node, index), body
    writer, _ = signed_up_user()
    for attempt in range(20):
        create_and_read_back_everywhere(writer, attempt)


def test_fifty_parallel_bookings_of_one_slot_yield_exactly_one_201():
    owner, _ = signed_up_user()
    codigo = unique_code("BOOK")
    assert create_room(owner, codigo, capacidad=5).status_code == 201
    bookers = [signed_up_user()[0] for _ in range(5)]
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    body = {
        "sala": codigo,
        "titulo": "carrera",
        "asistentes": 1,
        "inicio": start.isoformat(),
        "fin": (start + timedelta(minutes=60)).isoformat(),
    }

    def attempt(i: int) -> int:
        base = BASES[i % 3]
        return post_json(bookers[i % 5], f"{base}/reserva/create", body, base).status_code

    # The CSRF cookie first, so that the 50 requests race for the room, not for a token.
    for session in bookers:
        for base in BASES:
            session.get(f"{base}/auth/csrf", timeout=10)
    assert_one_winner_of_fifty(attempt)


def test_nodes_trust_the_client_address_from_nginx_only(compose):
    nginx = stack.address(compose, "nginx")
    for node in stack.NODES:
        env = dict(line.split("=", 1) for line in stack.inspect(compose, node)["Config"]["Env"])
        assert env["TRUSTED_PROXY_NETWORKS"] == f"{nginx}/32", node
    # Through a published node port the peer is the network's gateway: a rotated X-Real-IP
    # must not dodge the login lockout (with the whole /24 trusted, it did).
    assert_rotated_forwarded_address_does_not_dodge_lockout(NODES["app2"])
    # Through nginx the node takes nginx's X-Real-IP: the client (this machine, which the
    # published port shows as the frontend network's gateway), not nginx's own address.
    _, other = signed_up_user()
    post_json(new_session(), f"{NGINX}/auth/login", {"username": other, "password": "mala"})
    recorded = DBS["db1"].scalar(
        "SELECT ip_address FROM salas.axes_accessattempt WHERE username = %s", [other]
    )
    assert recorded == stack.gateway(compose) != nginx, recorded


def _served_by(count: int) -> Counter[str]:
    session = requests.Session()
    return Counter(session.get(f"{NGINX}/api/status", timeout=10).json()["node"] for _ in range(count))


def test_a_restarted_node_container_rejoins_nginx_rotation(compose):
    before = stack.address(compose, "app2")
    stack.run(compose, "restart", "app2")
    wait_until(lambda: stack.health(compose, "app2") == "healthy", timeout=120, what="app2 healthy again")
    assert stack.address(compose, "app2") == before
    # nginx may still hold app2 failed for fail_timeout (5 s): poll until it is served again.
    wait_until(lambda: _served_by(12)["app2"] > 0, timeout=30, what="app2 back in rotation")
    assert set(_served_by(60)) == set(stack.NODES)


def test_primary_container_killed_under_writes_fails_over_and_loses_no_acknowledged_write(compose):
    assert status(NGINX)["topology"]["primary"] == "db1"
    db1 = stack.container_id(compose, "db1")
    with LoadRun(readers=2, writers=3, max_seconds=150) as load:
        load.wait_for(60, "POST")
        # `docker kill` itself (SIGKILL), not docker-compose's slower start-up: the time
        # taken right after it returns is within a few ms of the kill.
        subprocess.run(["docker", "kill", db1], capture_output=True, check=True, timeout=30)
        killed_at = time.monotonic()
        wait_until(lambda: status(NGINX)["topology"]["primary"] != "db1", timeout=60, what="a new primary")
        promoted_after = time.monotonic() - killed_at

        def first_201() -> float | None:
            times = sorted(o.started for o in load.of("POST") if o.status == 201 and o.started > killed_at)
            return times[0] - killed_at if times else None

        wait_until(lambda: first_201() is not None, timeout=60, what="a 201 after the kill")
        load.wait_for(60, "POST")
    new = status(NGINX)["topology"]["primary"]
    other = next(name for name in ("db2", "db3") if name != new)
    posts = load.statuses("POST")
    codes = load.acknowledged_codes()
    found = {name: _count(name, codes) for name in (new, other)}
    stack.report(
        f"failover: promoted {new} {promoted_after:.1f}s after docker kill db1; first 201 after "
        f"{first_201():.2f}s; POST {dict(posts)}; acknowledged {len(codes)}, "
        f"lost {len(codes) - min(found.values())}"
    )
    assert set(posts) <= {201, 503}, posts
    assert all(o.error_shape for o in load.of("POST") if o.status == 503)
    assert 500 not in load.statuses("GET"), load.statuses("GET")
    assert found == {new: len(codes), other: len(codes)}, found


def _count(name: str, codes: list[str]) -> int:
    placeholders = ",".join(["%s"] * len(codes))
    return DBS[name].scalar(f"SELECT COUNT(*) FROM salas.salas_sala WHERE codigo IN ({placeholders})", codes)


def test_down_v_then_up_from_nothing_works_twice_in_a_row(compose):
    for round_ in (1, 2):
        stack.run(compose, "down", "-v", timeout=300)
        seconds = stack.up(compose)
        stack.report(f"down -v, then up from nothing (round {round_}): serving after {seconds:.1f}s")
        assert status(NGINX)["topology"]["primary"] == "db1"
        session, _ = signed_up_user()
        codigo = unique_code("FRESH")
        assert create_room(session, codigo).status_code == 201
        wait_replicas_caught_up()
        for name in SERVERS:
            assert DBS[name].scalar("SELECT COUNT(*) FROM salas.salas_sala WHERE codigo = %s", [codigo]) == 1
