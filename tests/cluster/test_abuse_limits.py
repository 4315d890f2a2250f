"""Abuse limits against the running cluster: nginx's per-address rate limits, the lockout
per address beside the per-account one, per-person booking quotas, /api/status detail.

Another client address is another loopback address (harness.session_from): nginx sees it
as $remote_addr and passes it on; nothing is forged in a header.
"""

from __future__ import annotations

import socket
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests

from cluster.envfile import dotenv_values
from cluster.topology import HOST, NGINX_PORT
from tests.cluster.harness import (
    NGINX,
    NODES,
    create_room,
    fresh_address,
    new_session,
    post_json,
    session_from,
    signed_up_user,
    unique_code,
)
from tests.credentials import PASSWORD

pytestmark = pytest.mark.usefixtures("healthy_cluster")

JSON_LIMITED = {
    "error": "Demasiadas peticiones desde tu dirección; espera unos segundos antes de volver a intentarlo.",
    "fields": {},
}


def flood(session: requests.Session, url: str, body: dict, count: int) -> list[requests.Response]:
    # No CSRF token: the node refuses each with 403, but nginx counts it first.
    return [session.post(url, json=body, timeout=10) for _ in range(count)]


def assert_limited(responses: list[requests.Response]) -> None:
    limited = [r for r in responses if r.status_code == 429]
    assert limited, [r.status_code for r in responses]
    assert all(r.status_code in {403, 429} for r in responses), [r.status_code for r in responses]
    assert limited[0].json() == JSON_LIMITED and int(limited[0].headers["Retry-After"]) > 0


def test_sign_in_flood_gets_429_while_another_address_signs_in():
    _, name = signed_up_user()
    attacker = session_from(fresh_address())
    assert_limited(flood(attacker, f"{NGINX}/auth/login", {"username": name, "password": "x"}, 12))
    # The form answers a page, not JSON.
    page = attacker.post(f"{NGINX}/login", data={"username": name}, headers={"Accept": "text/html"})
    assert page.status_code == 429 and page.headers["Content-Type"].startswith("text/html")
    other = session_from(fresh_address())
    response = post_json(other, f"{NGINX}/auth/login", {"username": name, "password": PASSWORD})
    assert response.status_code == 200, response.text


def test_sign_up_flood_gets_429_while_another_address_signs_up():
    attacker = session_from(fresh_address())
    assert_limited(flood(attacker, f"{NGINX}/auth/register", {}, 12))
    other = session_from(fresh_address())
    name = f"u{uuid.uuid4().hex[:12]}"
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    assert post_json(other, f"{NGINX}/auth/register", body).status_code == 201


@pytest.mark.parametrize("path", ["/sala/create", "/reserva/create"])
def test_creation_flood_gets_429_while_another_address_creates(path):
    attacker = session_from(fresh_address())
    assert_limited(flood(attacker, f"{NGINX}{path}", {}, 30))
    owner, _ = signed_up_user()
    other = session_from(fresh_address())
    other.cookies.update(owner.cookies)
    assert create_room(other, unique_code("LIM")).status_code == 201


def test_one_address_spraying_many_accounts_is_locked_out_for_all_of_them():
    """Straight to a node's port (no nginx limits): the address is its TCP peer address."""
    limit = int(dotenv_values().get("AXES_ADDRESS_FAILURE_LIMIT") or 30)
    _, victim = signed_up_user()
    sprayer = fresh_address()
    node = NODES["app1"]

    def attempt(i: int) -> int:
        session = session_from(sprayer)
        body = {"username": f"spray{uuid.uuid4().hex[:10]}", "password": "Primavera2026"}
        return post_json(session, f"{node}/auth/login", body, node).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(attempt, range(limit)))
    assert set(statuses) <= {401, 429} and statuses.count(401) >= limit - 4, statuses
    # Past the limit the address is refused even with the right password of an untouched account...
    refused = post_json(
        session_from(sprayer), f"{node}/auth/login", {"username": victim, "password": PASSWORD}, node
    )
    assert refused.status_code == 429, refused.text
    # ...which another address may still use.
    other = session_from(fresh_address())
    assert (
        post_json(other, f"{node}/auth/login", {"username": victim, "password": PASSWORD}, node).status_code
        == 200
    )


def _series(start: datetime, hours: float, veces: int, codigo: str) -> dict:
    return {
        "sala": codigo,
        "titulo": "cuota",
        "inicio": start.isoformat(),
        "fin": (start + timedelta(hours=hours)).isoformat(),
        "asistentes": 1,
        "repeticion": {"frecuencia": "diaria", "veces": veces},
    }


def test_booking_quotas_refuse_with_409_naming_the_limit():
    env = dotenv_values()
    future_limit = int(env.get("RESERVA_MAX_FUTURE_PER_USER") or 100)
    weekly_limit = int(env.get("RESERVA_MAX_HOURS_PER_WEEK") or 40)
    session, _ = signed_up_user()
    codigo = unique_code("CUOTA")
    assert create_room(session, codigo).status_code == 201
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).replace(hour=12, minute=0, second=0, microsecond=0)
    url = f"{NGINX}/reserva/create"
    # Seven days hold four of one week: 4 x (limit/4 + 1) hours is past the limit.
    week = post_json(session, url, _series(tomorrow, weekly_limit / 4 + 1, 7, codigo))
    assert week.status_code == 409, week.text
    assert f"{weekly_limit} horas" in week.json()["error"]
    # Short daily series: fine until the count of future bookings passes its limit.
    made = 0
    for offset in range(0, 24):
        response = post_json(
            session, url, _series(tomorrow + timedelta(minutes=30 * offset), 0.25, 52, codigo)
        )
        if response.status_code != 201:
            break
        made += len(response.json()["creadas"])
    assert response.status_code == 409, response.text
    assert f"{future_limit} reservas" in response.json()["error"] and made <= future_limit
    assert made + 52 > future_limit


def test_status_detail_only_for_this_machine():
    for base in (NGINX, *NODES.values()):
        assert "topology" in new_session().get(f"{base}/api/status", timeout=10).json()
    elsewhere = session_from(fresh_address()).get(f"{NGINX}/api/status", timeout=10)
    assert elsewhere.status_code == 200
    assert set(elsewhere.json()) == {"node", "status"} and elsewhere.json()["status"] == "ok"


def test_concurrent_sign_ins_from_one_address_are_capped():
    """limit_conn: requests still in progress count, e.g. bodies announced and not yet sent."""
    address = fresh_address()
    held = []
    try:
        for _ in range(4):  # nginx's limit for the sign-in zone
            connection = socket.create_connection((HOST, NGINX_PORT), source_address=(address, 0))
            connection.sendall(
                b"POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1:8084\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100\r\n"
                b"Expect: 100-continue\r\n\r\n"
            )
            held.append(connection)
            # nginx answers "100 Continue" once it starts reading the body, after limit_conn
            # has counted the request: proof, not a guess, that the request is held.
            connection.settimeout(10)
            assert connection.recv(64).startswith(b"HTTP/1.1 100 Continue"), "a held request was not read"

        fifth = session_from(address).post(f"{NGINX}/auth/login", json={}, timeout=10).status_code
        # The held four and this one are within limit_req's allowance (1 + burst 5), so a 429
        # here is limit_conn's.
        assert fifth == 429
        other = session_from(fresh_address()).post(f"{NGINX}/auth/login", json={}, timeout=10)
        assert other.status_code == 403  # reached the node (no CSRF token), not limited
    finally:
        for connection in held:
            connection.close()
