from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from accounts.tests.factories import UserFactory
from replication.consistency import COOKIE_NAME
from reservas.models import Reserva
from reservas.tests.factories import ReservaFactory, in_hours
from salas.tests.factories import SalaFactory
from tests.credentials import PASSWORD

pytestmark = pytest.mark.django_db

BOOKING_FIELDS = {
    "id",
    "sala",
    "usuario",
    "privada",
    "titulo",
    "inicio",
    "fin",
    "asistentes",
    "estado",
    "serie",
    "created_at",
}


def body(sala, start=2, end=3, **extra):
    return {
        "sala": sala.codigo,
        "titulo": "Reunión",
        "inicio": in_hours(start).isoformat(),
        "fin": in_hours(end).isoformat(),
        "asistentes": 2,
        **extra,
    }


def test_create_returns_201_with_the_booking_in_the_configured_offset(user_api, user):
    sala = SalaFactory(codigo="AZUL-1")
    start = in_hours(2).astimezone(timezone.get_fixed_timezone(120))  # any offset is accepted
    response = user_api.send("POST", "/reserva/create", {**body(sala), "inicio": start.isoformat()})
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == BOOKING_FIELDS
    assert data["sala"] == {"codigo": "AZUL-1", "nombre": sala.nombre}
    assert data["usuario"] == {"id": user.pk, "username": user.username}
    assert data["estado"] == "confirmada" and data["serie"] is None
    assert data["inicio"].endswith("-05:00")  # America/Guayaquil
    assert timezone.datetime.fromisoformat(data["inicio"]) == start


def test_a_booking_write_sets_the_read_your_writes_cookie(user_api):
    response = user_api.send("POST", "/reserva/create", body(SalaFactory()))
    assert response.status_code == 201
    assert response.cookies[COOKIE_NAME].value


def test_create_requires_sign_in_and_never_redirects(api):
    response = api.send("POST", "/reserva/create", body(SalaFactory()))
    assert response.status_code == 401 and response.json()["error"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"inicio": "mañana"}, "inicio"),
        ({"fin": 12}, "fin"),
        ({"titulo": None}, "titulo"),
        ({"asistentes": 99}, "asistentes"),
        ({"asistentes": "2"}, "asistentes"),
        ({"sala": 5}, "sala"),
        ({"otro": 1}, "otro"),
        ({"omitir_conflictos": "si"}, "omitir_conflictos"),
        ({"repeticion": {"frecuencia": "anual", "veces": 2}}, "repeticion"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(user_api, change, field):
    response = user_api.send("POST", "/reserva/create", {**body(SalaFactory(capacidad=10)), **change})
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not Reserva.objects.exists()


def test_unknown_room_is_404(user_api):
    response = user_api.send("POST", "/reserva/create", {**body(SalaFactory()), "sala": "NO-EXISTE"})
    assert response.status_code == 404


def test_an_overlap_is_409_with_the_conflicting_bookings(user_api, other_api):
    sala = SalaFactory()
    first = user_api.send("POST", "/reserva/create", body(sala)).json()
    response = other_api.send("POST", "/reserva/create", body(sala, 2.5, 4))
    assert response.status_code == 409
    data = response.json()
    assert set(data) >= {"error", "fields", "conflictos"} and "inicio" in data["fields"]
    assert data["conflictos"] == [{"id": first["id"], "inicio": first["inicio"], "fin": first["fin"]}]


def test_a_series_answers_creadas_and_omitidas(user_api, other_api):
    sala = SalaFactory()
    taken = other_api.send("POST", "/reserva/create", body(sala, 24 * 7 + 2, 24 * 7 + 3)).json()
    repeticion = {"frecuencia": "semanal", "veces": 3}
    refused = user_api.send("POST", "/reserva/create", body(sala, repeticion=repeticion))
    assert refused.status_code == 409
    assert [o["conflictos"][0]["id"] for o in refused.json()["ocurrencias"]] == [taken["id"]]
    response = user_api.send(
        "POST", "/reserva/create", body(sala, repeticion=repeticion, omitir_conflictos=True)
    )
    assert response.status_code == 201
    data = response.json()
    assert len(data["creadas"]) == 2 and len(data["omitidas"]) == 1
    assert data["omitidas"][0]["conflictos"][0]["id"] == taken["id"]
    assert data["omitidas"][0]["inicio"] == taken["inicio"]
    assert data["creadas"][0]["serie"] == data["creadas"][1]["serie"] is not None


def test_detail_and_cancel_permissions(user_api, other_api, staff_api, user):
    reserva = ReservaFactory(usuario=user)
    assert user_api.get(f"/reserva/{reserva.pk}").json()["id"] == reserva.pk
    assert other_api.get(f"/reserva/{reserva.pk}").status_code == 200  # any signed-in user may read
    assert other_api.delete(f"/reserva/{reserva.pk}").status_code == 403
    assert user_api.delete(f"/reserva/{reserva.pk}?serie=x").status_code == 400
    assert user_api.delete(f"/reserva/{reserva.pk}").status_code == 204
    assert Reserva.objects.get(pk=reserva.pk).estado == "cancelada"
    other = ReservaFactory(usuario=user, inicio=in_hours(40))
    assert staff_api.delete(f"/reserva/{other.pk}").status_code == 204
    assert user_api.get("/reserva/999999").status_code == 404


def test_anonymous_reads_are_401(api):
    reserva = ReservaFactory()
    for path in (f"/reserva/{reserva.pk}", "/reserva/mias", f"/sala/codigo/{reserva.sala.codigo}/reservas"):
        assert api.get(path).status_code == 401, path


def test_room_calendar_window(user_api, user):
    sala = SalaFactory()
    inside = ReservaFactory(sala=sala, inicio=in_hours(24), fin=in_hours(25))
    ReservaFactory(sala=sala, inicio=in_hours(24 * 20), fin=in_hours(24 * 20 + 1))
    ReservaFactory(sala=sala, inicio=in_hours(26), fin=in_hours(27), estado="cancelada")
    desde = timezone.localdate(in_hours(24)).isoformat()
    hasta = (timezone.localdate(in_hours(24)) + timedelta(days=1)).isoformat()
    response = user_api.get(f"/sala/codigo/{sala.codigo}/reservas", {"desde": desde, "hasta": hasta})
    assert [r["id"] for r in response.json()["reservas"]] == [inside.pk]
    too_long = (timezone.localdate(in_hours(24)) + timedelta(days=63)).isoformat()
    refused = user_api.get(f"/sala/codigo/{sala.codigo}/reservas", {"desde": desde, "hasta": too_long})
    assert refused.status_code == 400 and "hasta" in refused.json()["fields"]
    assert user_api.get(f"/sala/codigo/{sala.codigo}/reservas", {"desde": "ayer"}).status_code == 400
    assert user_api.get("/sala/codigo/NADA-1/reservas").status_code == 404


def test_mias_lists_only_my_upcoming_confirmed_bookings(user_api, user, other_user):
    mine = ReservaFactory(usuario=user)
    ReservaFactory(usuario=other_user)
    ReservaFactory(usuario=user, estado="cancelada", inicio=in_hours(50))
    past = timezone.now() - timedelta(days=1)
    ReservaFactory(usuario=user, inicio=past, fin=past + timedelta(hours=1))
    assert [r["id"] for r in user_api.get("/reserva/mias").json()["reservas"]] == [mine.pk]


def test_free_rooms(user_api):
    busy = SalaFactory(capacidad=10)
    free = SalaFactory(capacidad=10)
    small = SalaFactory(capacidad=2)
    ReservaFactory(sala=busy, inicio=in_hours(2), fin=in_hours(3))
    query = {"inicio": in_hours(2.5).isoformat(), "fin": in_hours(3.5).isoformat(), "min_capacidad": 5}
    data = user_api.get("/sala/disponibles", query).json()
    assert [s["codigo"] for s in data["salas"]] == [free.codigo]
    assert set(data) == {"salas", "count", "page", "pages"}
    after = {
        "inicio": in_hours(3).isoformat(),
        "fin": in_hours(4).isoformat(),
    }  # half-open: busy is free at 3
    codes = {s["codigo"] for s in user_api.get("/sala/disponibles", after).json()["salas"]}
    assert codes == {busy.codigo, free.codigo, small.codigo}
    assert user_api.get("/sala/disponibles", {"inicio": query["inicio"]}).status_code == 400
    bad = user_api.get("/sala/disponibles", {**query, "page_size": 0})
    assert bad.status_code == 400 and "page_size" in bad.json()["fields"]


def test_ical_feeds_and_rotation(user_api, api, user):
    sala = SalaFactory(codigo="FEED-1")
    reserva = ReservaFactory(usuario=user, sala=sala, titulo="Con ñ")
    ReservaFactory(usuario=user, sala=sala, estado="cancelada", inicio=in_hours(60))
    url = user_api.get("/auth/me").json()["ical"]
    assert url.startswith("http://testserver/ical/") and url.endswith("/mias.ics")
    path = url.removeprefix("http://testserver")
    response = api.get(path)  # no cookies, like a calendar application
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert [(str(e["uid"]), str(e["summary"])) for e in events] == [(f"reserva-{reserva.pk}@salas", "Con ñ")]
    assert events[0].decoded("dtstart") == reserva.inicio
    # One token per feed: the personal one opens no room's feed, a room's opens no other.
    assert api.get(path.replace("/mias.ics", "/sala/FEED-1.ics")).status_code == 404
    room_url = user_api.get("/reserva/ical", {"sala": "FEED-1"}).json()["ical"]
    room_path = room_url.removeprefix("http://testserver")
    assert room_path.endswith("/sala/FEED-1.ics") and room_path.split("/")[2] != path.split("/")[2]
    assert len(Calendar.from_ical(api.get(room_path).content).walk("VEVENT")) == 1
    SalaFactory(codigo="FEED-2")
    assert api.get(room_path.replace("FEED-1", "FEED-2")).status_code == 404
    assert api.get(room_path.replace("/sala/FEED-1.ics", "/mias.ics")).status_code == 404
    assert api.get(path.replace("/mias.ics", "/sala/NADA-1.ics")).status_code == 404
    assert user_api.post("/reservas/calendario/renovar/").status_code == 302
    assert api.get(path).status_code == 404
    assert api.get(room_path).status_code == 404
    new = user_api.get("/auth/me").json()["ical"].removeprefix("http://testserver")
    assert new != path and api.get(new).status_code == 200
    # On demand through the API, and with every password change.
    rotated = user_api.post("/reserva/ical").json()["ical"].removeprefix("http://testserver")
    assert api.get(new).status_code == 404 and api.get(rotated).status_code == 200
    password = {"old_password": PASSWORD, "new_password": "otra-Clave-9f3k"}
    assert user_api.send("POST", "/auth/password", password).status_code == 200
    assert api.get(rotated).status_code == 404
    for forged in (
        "/ical/x/mias.ics",
        f"/ical/{user.pk}-00/mias.ics",
        "/ical/99999999999999999999-a/mias.ics",
    ):
        assert api.get(forged).status_code == 404, forged


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/sala/disponibles", {"inicio": "0001-01-01T00:00:00+05:00", "fin": "0001-01-01T02:00:00+05:00"}),
        ("/sala/disponibles", {"inicio": "9999-12-31T23:00:00-05:00", "fin": "9999-12-31T23:30:00-05:00"}),
        ("/reserva/mias", {"desde": "0001-01-01", "hasta": "0001-01-02"}),
        ("/reserva/mias", {"desde": "2026-13-01"}),
        ("/reserva/mias", {"desde": "x" * 5000}),
    ],
)
def test_extreme_dates_are_a_400_not_a_500(user_api, path, query):
    response = user_api.get(path, query)
    assert response.status_code == 400, response.content
    assert response.json()["fields"]


def test_extreme_ids_and_bodies_are_answered_without_a_500(user_api):
    assert user_api.get("/reserva/99999999999999999999999").status_code == 404
    sala = SalaFactory(capacidad=10)
    for change in ({"asistentes": 10**30}, {"inicio": "0001-01-01T00:00:00+14:00"}, {"titulo": ["x"]}):
        assert user_api.send("POST", "/reserva/create", {**body(sala), **change}).status_code == 400, change
    assert user_api.send("POST", "/reserva/create", [1]).status_code == 400
    assert user_api.post("/reserva/create", "no json", content_type="application/json").status_code == 400


def test_a_booking_costs_a_bounded_number_of_queries(user_api, django_assert_max_num_queries):
    sala = SalaFactory()
    # Session user, room, lock, overlap check, the user's lock and bookings (quotas), insert,
    # GTID position (+ savepoint bookkeeping).
    with django_assert_max_num_queries(11):
        assert user_api.send("POST", "/reserva/create", body(sala)).status_code == 201


def test_private_bookings_show_others_only_ocupado(user, other_user, staff_user, api):
    sala = SalaFactory(owner=other_user, codigo="PRIV-1")
    reserva = ReservaFactory(usuario=user, sala=sala, titulo="Entrevista", privada=True)
    for viewer, shown in ((user, True), (other_user, True), (staff_user, True), (UserFactory(), False)):
        api.force_login(viewer)
        data = api.get(f"/reserva/{reserva.pk}").json()
        assert (data["titulo"] == "Entrevista") is shown and (data["usuario"] is not None) is shown
        assert data["privada"] is True
    sala.privada, reserva.privada = True, False
    sala.save()
    reserva.save()
    assert api.get(f"/reserva/{reserva.pk}").json()["titulo"] == "Ocupado"
    public = ReservaFactory(sala=SalaFactory(), titulo="Abierta")
    assert api.get(f"/reserva/{public.pk}").json()["titulo"] == "Abierta"


def test_privada_must_be_a_boolean(user_api):
    sala = SalaFactory(capacidad=10)
    response = user_api.send("POST", "/reserva/create", {**body(sala), "privada": "yes"})
    assert response.status_code == 400 and "privada" in response.json()["fields"]
