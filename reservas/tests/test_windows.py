"""Every list is bounded: my bookings by pages, the free-room search by its window, feeds by theirs."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from reservas.feeds import PAST_DAYS
from reservas.tests.factories import ReservaFactory, in_hours
from salas.tests.factories import SalaFactory


def test_my_bookings_come_a_page_at_a_time_following_next(user_api, user):
    ids = [ReservaFactory(usuario=user, inicio=in_hours(24 + n), fin=in_hours(25 + n)).pk for n in range(5)]
    first = user_api.get("/reserva/mias", {"page_size": 2}).json()
    assert [r["id"] for r in first["reservas"]] == ids[:2]
    assert first["next"].startswith("/reserva/mias?") and first["next_cursor"] in first["next"]
    second = user_api.get(first["next"]).json()
    third = user_api.get(second["next"]).json()
    assert [r["id"] for r in second["reservas"] + third["reservas"]] == ids[2:]
    assert third["next"] is None and third["next_cursor"] is None


def test_same_start_bookings_are_neither_skipped_nor_repeated_across_pages(user_api, user):
    ids = [ReservaFactory(usuario=user, inicio=in_hours(30), fin=in_hours(31)).pk for _ in range(3)]
    seen, page = [], user_api.get("/reserva/mias", {"page_size": 1}).json()
    while True:
        seen += [r["id"] for r in page["reservas"]]
        if page["next"] is None:
            break
        page = user_api.get(page["next"]).json()
    assert seen == sorted(ids)


def test_past_bookings_on_request_newest_first(user_api, user):
    now = timezone.now()
    old = ReservaFactory(usuario=user, inicio=now - timedelta(days=9), fin=now - timedelta(days=9, hours=-1))
    recent = ReservaFactory(
        usuario=user, inicio=now - timedelta(days=2), fin=now - timedelta(days=2, hours=-1)
    )
    running = ReservaFactory(
        usuario=user, inicio=now - timedelta(minutes=30), fin=now + timedelta(minutes=30)
    )
    pasadas = user_api.get("/reserva/mias", {"pasadas": 1}).json()["reservas"]
    assert [r["id"] for r in pasadas] == [recent.pk, old.pk]
    assert [r["id"] for r in user_api.get("/reserva/mias").json()["reservas"]] == [running.pk]


def test_my_bookings_refuse_bad_paging_with_a_named_field(user_api):
    for query, field in (
        ({"pasadas": "2"}, "pasadas"),
        ({"cursor": "ayer"}, "cursor"),
        ({"cursor": "9" * 30 + "_1"}, "cursor"),
        ({"page_size": "501"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"pasadas": "1", "desde": "2026-01-01"}, "pasadas"),
    ):
        response = user_api.get("/reserva/mias", query)
        assert response.status_code == 400 and field in response.json()["fields"], query


def test_my_bookings_page_lists_past_ones_on_request(client, user):
    client.force_login(user)
    now = timezone.now()
    past = ReservaFactory(usuario=user, inicio=now - timedelta(days=3), fin=now - timedelta(days=3, hours=-1))
    assert f'data-reserva="{past.pk}"' not in client.get("/reservas/").content.decode()
    assert f'data-reserva="{past.pk}"' in client.get("/reservas/", {"pasadas": 1}).content.decode()
    assert client.get("/reservas/", {"cursor": "x"}).status_code == 400


def test_free_room_search_refuses_a_window_longer_than_a_day(user_api):
    SalaFactory()
    longest = {"inicio": in_hours(2).isoformat(), "fin": in_hours(26).isoformat()}
    assert user_api.get("/sala/disponibles", longest).status_code == 200
    too_long = {"inicio": in_hours(2).isoformat(), "fin": in_hours(26.5).isoformat()}
    response = user_api.get("/sala/disponibles", too_long)
    assert response.status_code == 400 and "fin" in response.json()["fields"]


def test_free_room_search_page_paginates(client, user):
    client.force_login(user)
    SalaFactory.create_batch(51)
    day = timezone.localdate() + timedelta(days=2)
    query = {"fecha": day.isoformat(), "hora_inicio": "10:00", "hora_fin": "11:00"}
    first = client.get("/reservas/buscar/", query).content.decode()
    assert first.count("#reservar") == 50 and "page=2" in first
    assert client.get("/reservas/buscar/", {**query, "page": 2}).content.decode().count("#reservar") == 1
    assert client.get("/reservas/buscar/", {**query, "page": "x"}).status_code == 400


def test_free_room_search_links_each_room_to_its_page_on_the_searched_window(client, user):
    client.force_login(user)
    sala = SalaFactory(codigo="SALA-7B")
    day = timezone.localdate() + timedelta(days=2)
    query = {"fecha": day.isoformat(), "hora_inicio": "09:30", "hora_fin": "11:00"}
    page = client.get("/reservas/buscar/", query).content.decode()
    link = (
        f"{reverse('salas:detail', args=[sala.codigo])}?semana={day}&amp;fecha={day}"
        "&amp;hora_inicio=09:30&amp;hora_fin=11:00#reservar"
    )
    assert f'href="{link}"' in page


def test_feed_shows_a_window_and_answers_304_until_it_changes(user_api, api, user):
    now = timezone.now()
    inside = ReservaFactory(
        usuario=user, inicio=now - timedelta(days=PAST_DAYS - 1), fin=now - timedelta(days=PAST_DAYS - 2)
    )
    ReservaFactory(
        usuario=user, inicio=now - timedelta(days=PAST_DAYS + 2), fin=now - timedelta(days=PAST_DAYS + 1)
    )
    upcoming = ReservaFactory(usuario=user)
    path = user_api.get("/auth/me").json()["ical"].removeprefix("http://testserver")
    first = api.get(path)
    uids = [str(e["uid"]) for e in Calendar.from_ical(first.content).walk("VEVENT")]
    assert uids == [f"reserva-{inside.pk}@salas", f"reserva-{upcoming.pk}@salas"]
    etag = first["ETag"]
    assert etag and first["Last-Modified"]
    again = api.get(path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    assert user_api.delete(f"/reserva/{upcoming.pk}").status_code == 204
    changed = api.get(path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert len(Calendar.from_ical(changed.content).walk("VEVENT")) == 1
