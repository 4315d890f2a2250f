"""The hot queries at volume: EXPLAIN (MariaDB's ANALYZE) against a loaded table.

seed_volume loads SCALE_BOOKINGS bookings once for the module (committed, like
a real table, and removed at the end). Each hot read is run the way the app
runs it, its SQL captured and analysed: the booking table is read through an
index range (never a full scan), the rows examined stay bounded whatever the
table holds, and no sort or temporary table is built over bookings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from replication import use_primary
from reservas import feeds, selectors, services, volume
from reservas.models import Reserva
from salas.models import Sala

SCALE_ROOMS, SCALE_BOOKINGS = 1_000, 100_000
# Rows a hot query may examine in the booking table: a page, a window's
# neighbours; a hundredth of the table, far below a scan.
MAX_ROWS_EXAMINED = 1_000


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock():
        out = StringIO()
        call_command("seed_volume", rooms=SCALE_ROOMS, bookings=SCALE_BOOKINGS, users=200, stdout=out)
        with use_primary("test"):
            data = {
                "log": out.getvalue(),
                "heavy": User.objects.get(username=volume.HEAVY_USER),
                "busy": Sala.objects.get(codigo=volume.BUSY_CODE),
                "total": Reserva.objects.count(),
            }
        try:
            yield data
        finally:
            call_command("seed_volume", remove=True, stdout=StringIO())
            with use_primary("test"):
                assert not Sala.objects.filter(codigo__startswith="SEED-").exists()
                assert not User.objects.filter(email__endswith=f"@{volume.SEED_DOMAIN}").exists()


def test_the_load_reports_progress_and_reaches_the_volume(loaded):
    assert loaded["total"] >= SCALE_BOOKINGS * 0.99
    assert "replicas caught up" in loaded["log"] and "bookings:" in loaded["log"]


def test_loading_twice_is_refused(loaded):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--remove"):
        call_command("seed_volume", rooms=2, bookings=0, stdout=StringIO())


@pytest.mark.django_db
def test_free_room_search_reads_only_the_windows_bookings(loaded):
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1, hours=2)
    plans = _analysed(
        lambda: selectors.salas_disponibles(
            inicio=start, fin=start + timedelta(hours=2), min_capacidad=10, page=1, page_size=50
        )
    )
    # One read of bookings (the busy rooms), then rooms only: count and page.
    assert [p.reads_bookings for p in plans].count(True) == 1
    _assert_bounded(plans)


@pytest.mark.django_db
def test_my_bookings_start_at_now_both_ways(loaded):
    heavy, now = loaded["heavy"], timezone.now()
    first = selectors.reservas_de_usuario(usuario=heavy, desde=now, limit=100)
    assert len(first.items) == 100 and first.next is not None
    _assert_bounded(_analysed(lambda: selectors.reservas_de_usuario(usuario=heavy, desde=now, limit=100)))
    _assert_bounded(
        _analysed(
            lambda: selectors.reservas_de_usuario(usuario=heavy, desde=now, after=first.next, limit=100)
        )
    )
    _assert_bounded(
        _analysed(lambda: selectors.reservas_pasadas_de_usuario(usuario=heavy, hasta=now, limit=100))
    )


@pytest.mark.django_db
def test_a_busy_rooms_week_and_future_bookings_are_ranges(loaded):
    busy, monday = loaded["busy"], timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    week = _analysed(
        lambda: selectors.reservas_de_sala_dicts(
            sala=busy, desde=monday, hasta=monday + timedelta(days=7), viewer=None
        )
    )
    _assert_bounded(week)
    # The room page's calendar reads the same range (its local week).
    _assert_bounded(_analysed(lambda: selectors.sala_semana(sala=busy, monday=monday.date())))
    # The room-delete guard counts the future: bounded by the booking horizon, not by history.
    _assert_bounded(_analysed(lambda: selectors.sala_future_bookings(sala_id=busy.pk)), limit=10_000)


@pytest.mark.django_db
def test_a_booking_conflict_reads_only_the_neighbours(loaded):
    busy = loaded["busy"]
    taken = Reserva.objects.filter(sala=busy, inicio__gt=timezone.now() + timedelta(days=3)).order_by(
        "inicio"
    )[0]
    plans = _analysed(
        lambda: services.reserva_create(
            usuario=loaded["heavy"],
            sala=busy,
            titulo="choque",
            inicio=taken.inicio,
            fin=taken.fin,
            asistentes=1,
        ),
        expect=services.ReservaConflicto,
    )
    assert [p.reads_bookings for p in plans].count(True) == 1
    # The neighbours: the room's bookings that start within LONGEST_BOOKING before
    # (the busy room has one per half hour, 48 a day), from the index alone.
    _assert_bounded(plans, limit=60)
    probe = next(p for p in plans if p.reads_bookings)
    assert all(t.get("using_index") for t in probe.tables if t["table_name"] == "reservas_reserva"), probe


@pytest.mark.django_db
def test_feeds_read_a_window_and_revalidate_cheaply(loaded):
    heavy, busy = loaded["heavy"], loaded["busy"]
    client = Client()
    mine, room = feeds.feed_token(heavy), feeds.feed_token(heavy, sala=busy)
    for path in (f"/ical/{mine}/mias.ics", f"/ical/{room}/sala/{busy.codigo}.ics"):
        plans = _analysed(lambda path=path: client.get(path))
        _assert_bounded(plans, limit=feeds.MAX_EVENTS + 100)
        etag = client.get(path)["ETag"]
        revalidation = _analysed(lambda path=path, etag=etag: client.get(path, HTTP_IF_NONE_MATCH=etag))
        assert [p.reads_bookings for p in revalidation].count(True) == 1
        _assert_bounded(revalidation, limit=feeds.MAX_EVENTS + 100)


class _Plan:
    def __init__(self, sql: str, plan: dict[str, Any]):
        self.sql, self.plan = sql, plan
        self.tables = list(_walk_tables(plan))
        self.reads_bookings = any(t["table_name"] == "reservas_reserva" for t in self.tables)

    def __repr__(self) -> str:
        return f"{self.sql}\n{json.dumps(self.plan, indent=1)}"


def _analysed(run, expect: type[Exception] | None = None) -> list[_Plan]:
    """Run `run`, then ANALYZE FORMAT=JSON each SELECT it sent (the rows it really examines)."""
    # In unit tests the router reads the primary (the replica alias only mirrors it).
    with CaptureQueriesContext(connections["default"]) as captured:
        if expect is None:
            run()
        else:
            with pytest.raises(expect):
                run()
    queries = captured.captured_queries
    plans = []
    for query in queries:
        sql = query["sql"]
        if sql.lstrip().upper().startswith("SELECT"):
            with connections["default"].cursor() as cursor:
                cursor.execute("ANALYZE FORMAT=JSON " + sql)
                plans.append(_Plan(sql, json.loads(cursor.fetchone()[0])))
    return plans


def _assert_bounded(plans: list[_Plan], limit: int = MAX_ROWS_EXAMINED) -> None:
    assert plans, "no query captured"
    for plan in plans:
        text = json.dumps(plan.plan)
        for table in plan.tables:
            if table["table_name"] != "reservas_reserva":
                continue
            assert table["access_type"] in {"range", "ref", "eq_ref", "const"}, plan
            examined = (table.get("r_rows") or 0) * (table.get("r_loops") or 0)
            assert examined <= limit, f"{examined:.0f} rows examined\n{plan}"
        for sorting in _walk(plan.plan, "filesort") + _walk(plan.plan, "temporary_table"):
            assert "reservas_reserva" not in json.dumps(sorting), f"sort over bookings\n{plan}"
        assert '"access_type": "ALL", "possible_keys": null' not in text or not plan.reads_bookings


def _walk_tables(node: Any) -> Iterator[dict[str, Any]]:
    for found in _walk(node, "table"):
        if isinstance(found, dict) and "table_name" in found:
            yield found


def _walk(node: Any, key: str) -> list[Any]:
    found = []
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key:
                found.append(value)
            found += _walk(value, key)
    elif isinstance(node, list):
        for item in node:
            found += _walk(item, key)
    return found
