"""Private bookings and rooms against the running cluster: others see "Ocupado", nothing more."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.cluster.harness import (
    NGINX,
    create_room,
    post_json,
    signed_up_user,
    unique_code,
    wait_replicas_caught_up,
)

pytestmark = pytest.mark.usefixtures("healthy_cluster")


def book(session: requests.Session, codigo: str, titulo: str, hours_ahead: int, **extra) -> dict:
    start = (datetime.now(UTC) + timedelta(days=1, hours=hours_ahead)).replace(
        minute=0, second=0, microsecond=0
    )
    body = {
        "sala": codigo,
        "titulo": titulo,
        "inicio": start.isoformat(),
        "fin": (start + timedelta(hours=1)).isoformat(),
        "asistentes": 1,
        **extra,
    }
    response = post_json(session, f"{NGINX}/reserva/create", body)
    assert response.status_code == 201, response.text
    return response.json()


def seen_by(session: requests.Session, codigo: str) -> dict[int, dict]:
    today = datetime.now(UTC).date()
    window = {"desde": today.isoformat(), "hasta": (today + timedelta(days=7)).isoformat()}
    response = session.get(f"{NGINX}/sala/codigo/{codigo}/reservas", params=window, timeout=10)
    assert response.status_code == 200
    return {r["id"]: r for r in response.json()["reservas"]}


def test_private_bookings_and_rooms_show_others_only_ocupado():
    owner, owner_name = signed_up_user()
    booker, booker_name = signed_up_user()
    other, _ = signed_up_user()
    codigo = unique_code("PRIV")
    assert create_room(owner, codigo).status_code == 201
    secret = f"secreto-{uuid.uuid4().hex[:8]}"
    private = book(booker, codigo, secret, 1, privada=True)
    public = book(owner, codigo, "abierta", 3)
    assert private["privada"] is True and private["titulo"] == secret
    wait_replicas_caught_up()

    hidden = seen_by(other, codigo)[private["id"]]
    assert (hidden["titulo"], hidden["usuario"], hidden["serie"]) == ("Ocupado", None, None)
    assert seen_by(other, codigo)[public["id"]]["titulo"] == "abierta"
    detail = other.get(f"{NGINX}/reserva/{private['id']}", timeout=10).json()
    assert detail["titulo"] == "Ocupado" and detail["usuario"] is None
    week = {"semana": private["inicio"][:10]}
    page = other.get(f"{NGINX}/salas/{codigo}/", params=week, headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and '<span class="ocupado">Ocupado</span>' in page.text
    assert secret not in page.text and booker_name not in page.text
    feed_url = other.get(f"{NGINX}/reserva/ical", params={"sala": codigo}, timeout=10).json()["ical"]
    feed = requests.get(feed_url, timeout=10).text
    assert "SUMMARY:Ocupado" in feed and secret not in feed and booker_name not in feed
    # The booker and the room's owner still see everything.
    for session in (booker, owner):
        assert seen_by(session, codigo)[private["id"]]["titulo"] == secret

    # A private room hides every booking in it from others, the owner's own included.
    response = post_json(owner, f"{NGINX}/sala/codigo/{codigo}", {"privada": True}, method="PATCH")
    assert response.status_code == 200, response.text
    wait_replicas_caught_up()
    room_hidden = seen_by(other, codigo)[public["id"]]
    assert room_hidden["titulo"] == "Ocupado" and room_hidden["usuario"] is None
    assert owner_name not in requests.get(feed_url, timeout=10).text
    assert seen_by(owner, codigo)[public["id"]]["titulo"] == "abierta"
