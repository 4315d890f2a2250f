"""Bookings across the three nodes: never double-booked, and seen at once by the booker everywhere."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.cluster.harness import (
    BASES,
    DBS,
    NGINX,
    NODES,
    assert_one_winner_of_fifty,
    create_room,
    post_json,
    signed_up_user,
    unique_code,
    wait_replicas_caught_up,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("healthy_cluster")

# Confirmed pairs of one room whose half-open intervals [inicio, fin) overlap.
OVERLAPS = """
    SELECT COUNT(*) FROM salas.reservas_reserva a
    JOIN salas.reservas_reserva b ON a.sala_id = b.sala_id AND a.id < b.id
        AND a.inicio < b.fin AND b.inicio < a.fin
    WHERE a.estado = 'confirmada' AND b.estado = 'confirmada' AND a.sala_id IN ({rooms})
"""


def slot(start: datetime, minutes: int) -> dict[str, str]:
    return {"inicio": start.isoformat(), "fin": (start + timedelta(minutes=minutes)).isoformat()}


def future_hour(days: int = 3) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)


def book(session: requests.Session, base: str, codigo: str, start: datetime, minutes: int, **extra):
    body = {"sala": codigo, "titulo": "carrera", "asistentes": 1, **slot(start, minutes), **extra}
    return post_json(session, f"{base}/reserva/create", body, base)


def room_ids(codes: list[str]) -> list[int]:
    placeholders = ",".join(["%s"] * len(codes))
    rows = DBS["db1"].query(f"SELECT id FROM salas.salas_sala WHERE codigo IN ({placeholders})", codes)
    return [row[0] for row in rows]


def test_fifty_parallel_overlapping_bookings_of_one_room_yield_exactly_one():
    owner, _ = signed_up_user()
    codigo = unique_code("BOOK")
    assert create_room(owner, codigo, capacidad=5).status_code == 201
    # A few bookers, each on every node: who books does not matter, the room does.
    sessions = [signed_up_user(BASES[i % 3])[0] for i in range(6)]
    start = future_hour()

    def attempt(i: int) -> int:
        # Every slot overlaps every other: they start within 49 minutes and last an hour.
        return book(sessions[i % 6], BASES[i % 3], codigo, start + timedelta(minutes=i), 60).status_code

    assert_one_winner_of_fifty(attempt)
    (sala_id,) = room_ids([codigo])
    assert DBS["db1"].scalar("SELECT COUNT(*) FROM salas.reservas_reserva WHERE sala_id = %s", [sala_id]) == 1


def test_a_losing_booking_gets_409_with_the_winner():
    owner, _ = signed_up_user()
    codigo = unique_code("LOSE")
    assert create_room(owner, codigo).status_code == 201
    start = future_hour()
    won = book(owner, NODES["app2"], codigo, start, 60)
    assert won.status_code == 201, won.text
    lost = book(owner, NODES["app3"], codigo, start + timedelta(minutes=30), 60)
    assert lost.status_code == 409
    assert [c["id"] for c in lost.json()["conflictos"]] == [won.json()["id"]]
    back_to_back = book(owner, NODES["app1"], codigo, start + timedelta(hours=1), 30)
    assert back_to_back.status_code == 201, back_to_back.text


def test_random_booking_storm_through_nginx_never_double_books():
    owner, _ = signed_up_user()
    codes = [unique_code("STORM") for _ in range(4)]
    for codigo in codes:
        assert create_room(owner, codigo, capacidad=10).status_code == 201
    users = [signed_up_user()[0] for _ in range(8)]
    base = future_hour(days=5)
    rng = random.Random(13)
    # 300 random requests over 4 rooms and one day in 15-minute steps: plenty of collisions.
    plan = [
        (
            users[i % 8],
            rng.choice(codes),
            base + timedelta(minutes=15 * rng.randrange(96)),
            rng.choice([15, 30, 60, 90]),
        )
        for i in range(300)
    ]
    acknowledged: list[int] = []
    cancelled: list[int] = []
    outcomes: list[int | str] = []

    def run(item):
        session, codigo, start, minutes = item
        try:
            response = book(session, NGINX, codigo, start, minutes)
        except requests.RequestException as exc:
            return f"error: {exc!r}"
        if response.status_code == 201:
            reserva = response.json()["id"]
            acknowledged.append(reserva)
            # Now and then the booker changes their mind: cancels free the slot for others.
            if rng.random() < 0.1:
                gone = session.delete(
                    f"{NGINX}/reserva/{reserva}",
                    headers={"X-CSRFToken": session.cookies["csrftoken"]},
                    timeout=30,
                )
                if gone.status_code == 204:
                    cancelled.append(reserva)
        return response.status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(run, plan))
    assert set(outcomes) <= {201, 409}, [o for o in outcomes if o not in (201, 409)][:5]
    assert outcomes.count(201) >= 20 and outcomes.count(409) >= 20, (outcomes.count(201), outcomes.count(409))
    wait_replicas_caught_up()
    rooms = room_ids(codes)
    placeholders = ",".join(["%s"] * len(acknowledged))
    for name in DBS:
        overlaps = DBS[name].scalar(OVERLAPS.format(rooms=",".join(map(str, rooms))))
        assert overlaps == 0, f"{name} holds {overlaps} overlapping confirmed pairs"
        found = DBS[name].scalar(
            f"SELECT COUNT(*) FROM salas.reservas_reserva WHERE id IN ({placeholders})", acknowledged
        )
        assert found == len(acknowledged), (
            f"{name} holds {found} of {len(acknowledged)} acknowledged bookings"
        )
        still = DBS[name].scalar(
            f"SELECT COUNT(*) FROM salas.reservas_reserva WHERE estado = 'confirmada' AND id IN ({placeholders})",
            acknowledged,
        )
        assert still == len(acknowledged) - len(cancelled), name


def test_booker_sees_own_bookings_and_cancels_at_once_with_replicas_delayed(set_delay):
    owner, _ = signed_up_user()
    observer, _ = signed_up_user()
    codigo = unique_code("RYWB")
    assert create_room(owner, codigo, capacidad=4).status_code == 201
    # The room and the observer's own sign-up on every replica first: from here on
    # only the bookings are delayed, and the observer has nothing of its own to wait for.
    wait_replicas_caught_up()
    set_delay("db2", 3)
    set_delay("db3", 3)
    wait_until(lambda: DBS["db3"].status().get("SQL_Delay") == 3, what="delay on db3")
    start = future_hour(days=2)
    stale_seen = 0
    for attempt in range(8):
        when = start + timedelta(hours=attempt)
        created = book(owner, NGINX, codigo, when, 30)
        assert created.status_code == 201, created.text
        assert "salas_gtid" in created.cookies, "a booking must set the read-your-writes cookie"
        reserva = created.json()["id"]
        window = {"desde": start.isoformat(), "hasta": (start + timedelta(days=1)).isoformat()}
        for node, base in NODES.items():
            mias = owner.get(f"{base}/reserva/mias", timeout=10).json()["reservas"]
            assert reserva in [r["id"] for r in mias], f"{node} hid the booking from its booker"
            calendar = owner.get(f"{base}/sala/codigo/{codigo}/reservas", params=window, timeout=10)
            assert reserva in [r["id"] for r in calendar.json()["reservas"]], f"{node} calendar hid it"
        other = observer.get(f"{NODES['app3']}/sala/codigo/{codigo}/reservas", params=window, timeout=10)
        stale_seen += reserva not in [r["id"] for r in other.json()["reservas"]]
        gone = owner.delete(
            f"{NGINX}/reserva/{reserva}", headers={"X-CSRFToken": owner.cookies["csrftoken"]}, timeout=10
        )
        assert gone.status_code == 204
        for node, base in NODES.items():
            mias = owner.get(f"{base}/reserva/mias", timeout=10).json()["reservas"]
            assert reserva not in [r["id"] for r in mias], f"{node} still shows a cancelled booking"
    # The observer, with no cookie of the writes, was served the delayed replica.
    assert stale_seen >= 6, stale_seen
