"""GET /sala/all in front of Django (salas/fastlane.py): same answers, same promises."""

from __future__ import annotations

import pytest
import requests

from tests.cluster.harness import (
    DBS,
    NODES,
    create_room,
    signed_up_user,
    unique_code,
    wait_replicas_caught_up,
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
    reader = requests.Session()  # the same sign-in, without the read-your-writes cookie
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


def _headers(response) -> list[tuple[str, str]]:
    return [(k.lower(), v) for k, v in response.headers.items() if k.lower() not in UNCOMPARED]


def test_a_disabled_account_is_refused_on_every_node_once_replicated():
    session, name = signed_up_user()
    session.cookies.pop("salas_gtid", None)
    wait_replicas_caught_up()
    for base in NODES.values():
        for _ in range(2):  # the second answer comes from the lane's caches
            assert session.get(f"{base}/sala/all", timeout=10).status_code == 200
    DBS["db1"].query("UPDATE salas.accounts_user SET is_active = 0 WHERE username = %s", [name])
    wait_replicas_caught_up()
    for node, base in NODES.items():
        response = session.get(f"{base}/sala/all", timeout=10)
        assert response.status_code == 401, node
        assert response.json()["error"]
