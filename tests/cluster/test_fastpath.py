"""GET /sala/all and POST /sala/create in front of Django (fastpath/): same answers, same promises."""

from __future__ import annotations

import pytest

from tests.cluster.harness import (
    DBS,
    NODES,
    ROOT,
    assert_rooms_on_every_server,
    create_room,
    new_session,
    signed_up_user,
    status,
    unique_code,
    wait_replicas_caught_up,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("healthy_cluster")

# Set by nginx, or different on every answer.
UNCOMPARED = {"date", "server", "connection", "x-request-id"}


@pytest.mark.parametrize("node", ["app2", "app3"])
def test_the_fast_lane_gives_djangos_answer(node):
    """A replica node: without a read-your-writes cookie the lane answers; with a
    satisfied one, Django does (the lane leaves every such request to it)."""
    session, _ = signed_up_user()
    prefix = unique_code("LANE")
    for index in range(3):
        assert create_room(session, f"{prefix}-{index}", base=NODES[node]).status_code == 201
    assert session.cookies.get("salas_gtid")
    wait_replicas_caught_up()
    url = f"{NODES[node]}/sala/all"
    query = {"q": prefix, "page_size": 2}
    django = session.get(url, params=query, timeout=10)
    reader = new_session()  # the same sign-in, without the read-your-writes cookie
    reader.headers.update(session.headers)
    reader.cookies.update({c.name: c.value for c in session.cookies if c.name != "salas_gtid"})
    lane = [reader.get(url, params=query, timeout=10) for _ in range(2)][-1]  # the 2nd from its caches
    assert django.status_code == lane.status_code == 200
    assert lane.json()["count"] == 3 and [s["codigo"] for s in lane.json()["salas"]] == [
        f"{prefix}-2",
        f"{prefix}-1",
    ]
    assert lane.content == django.content
    assert _headers(lane) == _headers(django)


def _headers(response, also: frozenset[str] | set[str] = frozenset()) -> list[tuple[str, str]]:
    skipped = UNCOMPARED | also
    return [(k.lower(), v) for k, v in response.headers.items() if k.lower() not in skipped]


def test_a_disabled_account_is_refused_on_every_node_once_replicated():
    """Refused by each node within its state recheck (50 ms) of the change reaching its server."""
    session, name = signed_up_user()
    session.cookies.pop("salas_gtid", None)
    wait_replicas_caught_up()
    for base in NODES.values():
        for _ in range(2):  # the second answer comes from the lane's caches
            assert session.get(f"{base}/sala/all", timeout=10).status_code == 200
    DBS["db1"].query("UPDATE salas.accounts_user SET is_active = 0 WHERE username = %s", [name])
    wait_replicas_caught_up()
    for node, base in NODES.items():
        # Within STATE_RECHECK_SECONDS (each worker's remembered server state) of replication,
        # by each worker: four refusals in a row.
        wait_until(
            lambda base=base: all(
                session.get(f"{base}/sala/all", timeout=10).status_code == 401 for _ in range(4)
            ),
            timeout=5,
            interval=0.02,
            what=f"{node} refusing the disabled account",
        )
        response = session.get(f"{base}/sala/all", timeout=10)
        assert response.status_code == 401 and response.json()["error"], node


@pytest.mark.parametrize("node", list(NODES))
def test_the_create_lane_gives_djangos_answer_and_the_write_is_read_back_at_once(node):
    """The first create on a node after its start may go through Django; later ones
    go through the lane. Each answer has Django's shape and headers, its cookie
    makes the very next read, on a replica node, show the room, and every row
    reaches the three servers."""
    session, name = signed_up_user()
    prefix = unique_code("NEW")
    answers = []
    for index in range(4):
        answer = create_room(session, f"{prefix}-{index}", base=NODES[node])
        assert answer.status_code == 201
        answers.append(answer)
        body = answer.json()
        assert body["codigo"] == f"{prefix}-{index}" and body["owner"]["username"] == name
        assert set(body) == {"id", "nombre", "codigo", "capacidad", "owner", "created_at"}
        assert _headers(answer, also={"set-cookie", "content-length"}) == _headers(
            answers[0], also={"set-cookie", "content-length"}
        )
        assert answer.cookies.get("salas_gtid")
        # Read-your-writes: the replica node answers only once it holds this write.
        listed = session.get(f"{NODES['app3']}/sala/all", params={"q": prefix}, timeout=10).json()
        assert listed["count"] == index + 1
    assert_rooms_on_every_server([f"{prefix}-{index}" for index in range(4)])


def test_a_disabled_account_cannot_create_on_any_node():
    session, name = signed_up_user()
    prefix = unique_code("OFF")
    for node, base in NODES.items():
        for index in range(2):  # the second one comes from the lane, which now knows the user
            assert create_room(session, f"{prefix}-{node[-1]}{index}", base=base).status_code == 201
    DBS["db1"].query("UPDATE salas.accounts_user SET is_active = 0 WHERE username = %s", [name])
    for node, base in NODES.items():
        response = create_room(session, f"{prefix}-{node[-1]}X", base=base)
        assert response.status_code == 401, node
        assert response.json()["error"]
    codes = DBS["db1"].query("SELECT codigo FROM salas.salas_sala WHERE codigo LIKE %s", [f"{prefix}-%"])
    assert sorted(row[0] for row in codes) == sorted(f"{prefix}-{n[-1]}{i}" for n in NODES for i in range(2))


@pytest.mark.slow
def test_a_restarted_replica_is_reconnected_not_reported_failed(healthy_cluster):
    """After `make restart SERVICE=db2` every pooled connection to it is dead, the server is not."""
    session, _ = signed_up_user()
    session.cookies.pop("salas_gtid", None)
    url = f"{NODES['app2']}/sala/all"
    for _ in range(40):  # every thread of both workers holds a pooled connection to db2
        assert session.get(url, timeout=10).status_code == 200
    log = ROOT / ".state" / "logs" / "app2.log"
    seen = log.stat().st_size
    healthy_cluster.stop("db2")  # make restart SERVICE=db2: stop, then start
    healthy_cluster.start("db2", wait=True)
    wait_until(DBS["db2"].alive, timeout=60, what="db2 to answer again")
    wait_until(lambda: DBS["db2"].status().get("Slave_SQL_Running") == "Yes", timeout=60, what="db2 applying")
    for _ in range(40):
        assert session.get(url, timeout=10).status_code == 200
    with log.open("rb") as handle:
        handle.seek(seen)
        since = handle.read().decode(errors="replace")
    assert "the replica failed a query" not in since, since
    # A check made while db2 was down may still stand for its second: then back on the replica.
    wait_until(lambda: status(NODES["app2"])["reads_from"] == "replica", timeout=10, what="app2 on db2")
