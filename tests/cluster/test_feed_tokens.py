"""Calendar feed tokens against the running cluster: one per feed, rotated, never logged."""

from __future__ import annotations

import pytest
import requests

from cluster.paths import LOGS
from tests.cluster.harness import NGINX, create_room, post_json, signed_up_user, unique_code, wait_until
from tests.credentials import PASSWORD

pytestmark = pytest.mark.usefixtures("healthy_cluster")


def status(url: str) -> int:
    # No cookies, as a calendar application asks.
    return requests.get(url, timeout=10).status_code


def token(url: str) -> str:
    return url.split("/ical/", 1)[1].split("/", 1)[0]


def test_each_feed_has_its_own_token_rotated_on_demand_and_with_the_password():
    session, _ = signed_up_user()
    codigo = unique_code("FEED")
    assert create_room(session, codigo).status_code == 201
    mias = session.get(f"{NGINX}/auth/me", timeout=10).json()["ical"]
    sala = session.get(f"{NGINX}/reserva/ical", params={"sala": codigo}, timeout=10).json()["ical"]
    assert status(mias) == 200 and status(sala) == 200 and token(mias) != token(sala)
    # The personal token opened every room's feed; now it opens its own feed only.
    assert status(mias.replace("/mias.ics", f"/sala/{codigo}.ics")) == 404
    assert status(sala.replace(f"/sala/{codigo}.ics", "/mias.ics")) == 404
    rotated = post_json(session, f"{NGINX}/reserva/ical", {}).json()["ical"]
    # Feeds are read from replicas (no read-your-writes cookie): old URLs die within the lag.
    wait_until(lambda: status(mias) == 404 and status(sala) == 404, timeout=10, what="old feed URLs refused")
    assert status(rotated) == 200
    body = {"old_password": PASSWORD, "new_password": "Cambio-de-clave-77"}
    assert post_json(session, f"{NGINX}/auth/password", body).status_code == 200
    wait_until(
        lambda: status(rotated) == 404, timeout=10, what="the feed URL refused after a password change"
    )


def test_feed_tokens_never_reach_a_log():
    session, _ = signed_up_user()
    good = session.get(f"{NGINX}/auth/me", timeout=10).json()["ical"]
    user_id = token(good).split("-")[0]
    forged = f"{NGINX}/ical/{user_id}-{'0' * 40}/mias.ics"  # a 404 that Django logs
    assert status(good) == 200 and status(forged) == 404
    masked = '"GET /ical/***/mias.ics HTTP/1.1" 404'
    access_log = LOGS / "nginx-access.log"
    # nginx writes its access log at least once a second.
    wait_until(lambda: masked in access_log.read_text(), timeout=10, what="the masked line in nginx's log")
    wait_until(
        lambda: any("Not Found: /ical/***/mias.ics" in (LOGS / f"app{n}.log").read_text() for n in (1, 2, 3)),
        timeout=10,
        what="the masked 404 line in a node's log",
    )
    for path in [access_log, *(LOGS / f"app{n}.log" for n in (1, 2, 3))]:
        text = path.read_text()
        assert token(good) not in text and token(forged) not in text, path
