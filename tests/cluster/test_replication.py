"""The replicated data tier against the real servers: replication, routing, read-your-writes, outages."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from cluster import topology
from failover import ha_sql
from replication import sql
from tests.cluster.harness import (
    DBS,
    FLAVOR,
    NGINX,
    NODES,
    REPLICAS,
    ROOT,
    assert_rooms_on_every_server,
    create_room,
    post_json,
    primary_position,
    signed_up_user,
    status,
    table_checksum,
    unique_code,
    wait_replicas_caught_up,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("healthy_cluster")


def manage(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=check,
    )


def test_a_row_written_on_the_primary_reaches_both_replicas():
    token = uuid.uuid4().hex
    DBS["db1"].query("INSERT INTO salas_replication.marker (token) VALUES (%s)", [token])
    for name in REPLICAS:
        wait_until(
            lambda name=name: DBS[name].scalar(
                "SELECT COUNT(*) FROM salas_replication.marker WHERE token=%s", [token]
            ),
            timeout=10,
            what=f"the row on {name}",
        )


def test_replicas_refuse_writes_from_the_app_user():
    env_user = "salas"
    for name in REPLICAS:
        grants = " ".join(row[0] for row in DBS[name].query(f"SHOW GRANTS FOR '{env_user}'@'%'"))
        assert "SUPER" not in grants and "READ ONLY ADMIN" not in grants and "ALL PRIVILEGES" not in grants
        assert DBS[name].scalar("SELECT @@GLOBAL.read_only") == 1


@pytest.mark.parametrize(
    ("node", "server_id"),
    [(app.name, topology.database(app.own_database).server_id) for app in topology.APPS],
)
def test_each_node_reads_from_its_own_server(node, server_id):
    body = status(NODES[node])
    assert body["node"] == node
    assert body["read_server_id"] == server_id
    assert body["reads_from"] == ("primary" if node == "app1" else "replica")


def test_replicas_never_write_anything_of_their_own():
    # Every GTID in a replica's binlog came from the primary's server id: no migration,
    # session or stray write ever ran on a replica.
    for name in REPLICAS:
        position = DBS[name].scalar(ha_sql.written_position(FLAVOR)) or ""
        servers = {part.split("-")[1] for part in position.split(",") if part}
        assert servers <= {str(topology.PRIMARY.server_id)}, f"{name} binlog has local writes: {position}"


def test_setup_replication_is_idempotent_on_a_healthy_cluster():
    before = primary_position()
    result = manage("setup_replication")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "already replicating" in result.stdout
    assert "marker" in result.stdout
    assert DBS["db2"].status()["Slave_SQL_Running"] == "Yes"
    assert primary_position() != before  # the marker row went through


def test_setup_replication_reattaches_an_unconfigured_replica():
    for statement in ha_sql.forget_source(FLAVOR):
        DBS["db3"].query(statement)
    assert DBS["db3"].status() == {}
    result = manage("setup_replication")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "db3: replicating from" in result.stdout
    row = DBS["db3"].status()
    assert row["Slave_IO_Running"] == "Yes" and row["Using_Gtid"] == "Slave_Pos"
    wait_replicas_caught_up()
    assert table_checksum(DBS["db3"]) == table_checksum(DBS["db1"])


def test_replication_status_check_fails_when_a_sql_thread_stops():
    assert manage("replication_status", "--check").returncode == 0
    DBS["db2"].query(sql.stop_replica(FLAVOR, "sql"))
    result = manage("replication_status", "--check")
    assert result.returncode != 0
    assert "db2" in result.stderr
    json_result = manage("replication_status", "--json")
    assert '"sql_running": "No"' in json_result.stdout


def test_read_your_writes_with_replicas_delayed(set_delay):
    set_delay("db2", 3)
    set_delay("db3", 3)
    wait_until(lambda: DBS["db2"].status().get("SQL_Delay") == 3, what="delay on db2")
    writer, _ = signed_up_user()
    observer, _ = signed_up_user()
    stale_seen = 0
    for attempt in range(100):
        codigo = unique_code("RYW")
        created = create_room(writer, codigo, nombre=f"ryw {attempt}", capacidad=5)
        assert created.status_code == 201, created.text
        for node, base in NODES.items():
            # The writer's cookies (session + GTID) go to every node directly.
            listing = writer.get(f"{base}/sala/all", params={"q": codigo}, timeout=10)
            assert listing.status_code == 200
            assert [s["codigo"] for s in listing.json()["salas"]] == [codigo], f"{node} hid the write"
        dashboard = writer.get(
            f"{list(NODES.values())[attempt % 3]}/dashboard", params={"q": codigo}, timeout=10
        )
        assert codigo in dashboard.text
        # Someone else, reading node 2 right away, is served by the delayed replica.
        other = observer.get(f"{NODES['app2']}/sala/all", params={"q": codigo}, timeout=10)
        stale_seen += other.json()["count"] == 0
    for node in ("app2", "app3"):
        body = observer.get(f"{NODES[node]}/api/status", timeout=10).json()
        assert body["reads_from"] == "replica", body
    # The observer must have been served the delayed replica's older state most
    # of the time (when replication lag briefly passes the 5 s limit, app2 reads
    # the primary instead), proving the replicas were delayed and still in use.
    assert stale_seen >= 50, stale_seen


def test_reads_fall_back_to_the_primary_when_a_replica_stops_and_return_after(healthy_cluster):
    supervisor = healthy_cluster
    session, _ = signed_up_user()
    supervisor.stop("db2")
    body = wait_until(
        lambda: (b := status(NODES["app2"]))["reads_from"] == "primary" and b,
        timeout=10,
        what="app2 on primary",
    )
    assert body["reason"] == "replica-down"
    for _ in range(20):
        response = session.get(f"{NODES['app2']}/sala/all", timeout=10)
        assert response.status_code == 200
    supervisor.start("db2", wait=True)
    wait_until(
        lambda: status(NODES["app2"])["reads_from"] == "replica", timeout=60, what="app2 back on replica"
    )


def test_writes_get_503_while_the_primary_is_down_and_work_after(healthy_cluster):
    supervisor = healthy_cluster
    session, _ = signed_up_user()
    codigo = unique_code("PRE")
    assert create_room(session, codigo, base=NODES["app2"], nombre="a", capacidad=1).ok
    start = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    booking = {"sala": codigo, "titulo": "antes", "asistentes": 1, "inicio": start.isoformat()}
    booking["fin"] = (start + timedelta(hours=1)).isoformat()
    booked = post_json(session, f"{NODES['app2']}/reserva/create", booking, NODES["app2"])
    assert booked.status_code == 201, booked.text
    wait_replicas_caught_up()
    supervisor.stop("db1")
    try:
        response = create_room(session, unique_code("DOWN"), base=NODES["app2"], nombre="b", capacidad=1)
        assert response.status_code == 503
        assert set(response.json()) == {"error", "fields"}
        later = {**booking, "inicio": booking["fin"], "fin": (start + timedelta(hours=2)).isoformat()}
        refused = post_json(session, f"{NODES['app3']}/reserva/create", later, NODES["app3"])
        assert refused.status_code == 503 and set(refused.json()) == {"error", "fields"}
        # The room's calendar is still read from the replica, with the booking made before.
        calendar = session.get(
            f"{NODES['app3']}/sala/codigo/{codigo}/reservas", params={"desde": booking["inicio"]}, timeout=10
        )
        assert [r["id"] for r in calendar.json()["reservas"]] == [booked.json()["id"]]
        page = session.post(
            f"{NODES['app3']}/salas/nueva/",
            data={
                "nombre": "c",
                "codigo": unique_code("PAGE"),
                "capacidad": 1,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            headers={"Accept": "text/html", "X-CSRFToken": session.cookies["csrftoken"]},
            timeout=10,
        )
        assert page.status_code == 503 and "text/html" in page.headers["Content-Type"]
        # Reads go on from the replicas, with the rows written before the outage.
        for node in ("app2", "app3"):
            listing = session.get(f"{NODES[node]}/sala/all", params={"q": codigo}, timeout=10)
            assert listing.status_code == 200 and listing.json()["count"] == 1
        # Node 1 reads the primary normally; now it falls back to its replica.
        listing = session.get(f"{NODES['app1']}/sala/all", params={"q": codigo}, timeout=10)
        assert listing.status_code == 200 and listing.json()["count"] == 1
        # Each worker re-checks the primary within a second (the health TTL).
        wait_until(lambda: status(NODES["app1"])["reason"] == "primary-down", timeout=5, what="app1 on db2")
        # Through nginx every read still succeeds.
        for _ in range(12):
            assert session.get(f"{NGINX}/sala/all", timeout=10).status_code == 200
    finally:
        supervisor.start("db1", wait=True)
    wait_until(DBS["db1"].alive, timeout=60, what="db1 back")
    response = wait_until(
        lambda: (
            (
                r := create_room(session, unique_code("BACK"), base=NODES["app2"], nombre="d", capacidad=1)
            ).status_code
            == 201
            and r
        ),
        timeout=30,
        what="writes to work again",
    )
    assert response.status_code == 201


def test_a_replica_killed_mid_write_catches_up_without_losing_rows(healthy_cluster):
    supervisor = healthy_cluster
    session, _ = signed_up_user()
    acknowledged: list[str] = []
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set() and len(acknowledged) < 400:
            codigo = unique_code("KILL")
            response = create_room(session, codigo, base=NODES["app1"], nombre="k")
            if response.status_code == 201:
                acknowledged.append(codigo)

    thread = threading.Thread(target=writer)
    thread.start()
    wait_until(lambda: len(acknowledged) >= 30, timeout=60, what="writes under way")
    old_pid = supervisor.kill("db2")
    wait_until(lambda: len(acknowledged) >= 80, timeout=60, what="writes after the kill")
    stop.set()
    thread.join(timeout=60)
    wait_until(
        lambda: supervisor.state("db2") == "RUNNING" and supervisor.pid("db2") != old_pid,
        timeout=60,
        what="db2 restarted",
    )
    wait_until(DBS["db2"].alive, timeout=60, what="db2 answering")
    assert_rooms_on_every_server(acknowledged)


def test_status_through_nginx_names_a_node():
    response = requests.get(f"{NGINX}/api/status", timeout=10)
    assert response.status_code == 200
    assert response.headers["X-Node"] in NODES


def test_cached_replica_pages_follow_every_replicated_change():
    writer, _ = signed_up_user()
    observer, _ = signed_up_user()
    prefix = unique_code("CACHE")

    def listed(node: str) -> list[tuple[str, int]]:
        response = observer.get(f"{NODES[node]}/sala/all", params={"q": prefix}, timeout=10)
        assert response.status_code == 200
        return [(s["codigo"], s["capacidad"]) for s in response.json()["salas"]]

    def seen(node: str, expected: list[tuple[str, int]]) -> None:
        # A reader without writes is shown a change within STATE_RECHECK_SECONDS (50 ms) of its
        # server applying it, by each worker: poll until four answers in a row show it.
        wait_until(
            lambda: all(listed(node) == expected for _ in range(4)),
            timeout=5,
            interval=0.02,
            what=f"{node} showing {expected}",
        )

    nodes = ("app1", "app2", "app3")  # app1's pages are cached against the primary's binlog
    for node in nodes:
        assert listed(node) == [] and listed(node) == []  # the second answer may come from the cache
    # The writer's own page for the same query, cached on every node before its
    # write, must show the write on its very next request (read-your-writes).
    for node in nodes:
        assert writer.get(f"{NODES[node]}/sala/all", params={"q": prefix}, timeout=10).json()["count"] == 0
    assert create_room(writer, f"{prefix}-1", nombre="c", capacidad=4).status_code == 201
    for node in nodes:
        assert writer.get(f"{NODES[node]}/sala/all", params={"q": prefix}, timeout=10).json()["count"] == 1, (
            node
        )
    wait_replicas_caught_up()
    for node in nodes:
        seen(node, [(f"{prefix}-1", 4)])
    assert (
        post_json(writer, f"{NGINX}/sala/codigo/{prefix}-1", {"capacidad": 9}, method="PATCH").status_code
        == 200
    )
    wait_replicas_caught_up()
    for node in nodes:
        seen(node, [(f"{prefix}-1", 9)])
    assert post_json(writer, f"{NGINX}/sala/codigo/{prefix}-1", {}, method="DELETE").status_code == 204
    wait_replicas_caught_up()
    for node in nodes:
        seen(node, [])


def test_with_no_readable_server_pages_and_api_say_503(healthy_cluster):
    supervisor = healthy_cluster
    session, _ = signed_up_user()
    supervisor.stop("db2")
    supervisor.stop("db1")
    try:
        for node in ("app1", "app2"):
            page = session.get(f"{NODES[node]}/dashboard", headers={"Accept": "text/html"}, timeout=15)
            assert page.status_code == 503 and "text/html" in page.headers["Content-Type"], node
            assert "no está disponible" in page.text
            api = session.get(f"{NODES[node]}/sala/all", timeout=15)
            assert api.status_code == 503 and set(api.json()) == {"error", "fields"}, node
        # app3 still has db3, with the data as of the outage.
        assert session.get(f"{NODES['app3']}/sala/all", timeout=15).status_code == 200
    finally:
        supervisor.start("db1", wait=True)
        supervisor.start("db2", wait=True)
