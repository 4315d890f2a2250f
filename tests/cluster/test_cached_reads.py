"""Cached reads (replication.StateCache through Django's cache): never older than the client's own write."""

from __future__ import annotations

import pytest

from tests.cluster.harness import (
    NGINX,
    NODES,
    create_room,
    post_json,
    signed_up_user,
    unique_code,
)

pytestmark = pytest.mark.usefixtures("healthy_cluster")


@pytest.mark.usefixtures("replicas_delayed")
def test_a_rooms_json_and_the_list_show_the_clients_own_change_on_every_node():
    session, _ = signed_up_user()
    codigo = unique_code("CACHE")
    assert create_room(session, codigo, capacidad=3).status_code == 201
    etags = {}
    for node, base in NODES.items():  # every node caches the room as it is now
        first = session.get(f"{base}/sala/codigo/{codigo}", timeout=10)
        assert first.json()["capacidad"] == 3
        etags[node] = first.headers["ETag"]
    for capacidad in (4, 5, 6):
        changed = post_json(
            session, f"{NGINX}/sala/codigo/{codigo}", {"capacidad": capacidad}, method="PATCH"
        )
        assert changed.status_code == 200, changed.text
        for node, base in NODES.items():
            # The copy the client holds from before its change is never confirmed by a 304.
            detail = session.get(
                f"{base}/sala/codigo/{codigo}", headers={"If-None-Match": etags[node]}, timeout=10
            )
            assert detail.status_code == 200 and detail.json()["capacidad"] == capacidad, node
            etags[node] = detail.headers["ETag"]
            listed = session.get(f"{base}/sala/all", params={"q": codigo}, timeout=10).json()
            assert [s["capacidad"] for s in listed["salas"]] == [capacidad], node
            again = session.get(
                f"{base}/sala/codigo/{codigo}", headers={"If-None-Match": etags[node]}, timeout=10
            )
            assert again.status_code == 304, node
