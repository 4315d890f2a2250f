from datetime import timedelta

import pytest
from django.utils import timezone

from reservas.models import Reserva
from reservas.tests.factories import ReservaFactory, in_hours
from salas.models import Sala
from salas.tests.factories import SalaFactory

pytestmark = pytest.mark.django_db


def form_data(start, end, **extra):
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    return {
        "titulo": "Reunión",
        "fecha": local_start.date().isoformat(),
        "hora_inicio": local_start.strftime("%H:%M"),
        "hora_fin": local_end.strftime("%H:%M"),
        "asistentes": 3,
        **extra,
    }


@pytest.fixture
def day_slot():
    # 10:00-11:00 local, three days ahead: never crosses midnight.
    day = timezone.localdate() + timedelta(days=3)
    start = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()).replace(hour=10))
    return start, start + timedelta(hours=1)


def test_room_page_shows_the_week_and_the_form(client, user):
    sala = SalaFactory()
    ReservaFactory(sala=sala, titulo="Visible", inicio=in_hours(1), fin=in_hours(2))
    client.force_login(user)
    page = client.get(f"/salas/{sala.codigo}/").content.decode()
    assert 'id="reserva-form"' in page and 'id="semana-siguiente"' in page
    assert "<script" not in page
    next_week = client.get(f"/salas/{sala.codigo}/", {"semana": "2099-01-01"}).content.decode()
    assert "Visible" not in next_week and 'id="calendario"' in next_week


def test_room_page_shows_one_day_on_request(client, user, day_slot):
    sala = SalaFactory()
    start, end = day_slot
    ReservaFactory(sala=sala, titulo="Ese día", inicio=start, fin=end)
    ReservaFactory(
        sala=sala, titulo="Al día siguiente", inicio=start + timedelta(days=1), fin=end + timedelta(days=1)
    )
    client.force_login(user)
    day = timezone.localtime(start).date()
    week = client.get(f"/salas/{sala.codigo}/").content.decode()
    # Each day of the week links to its own view.
    assert f'href="?dia={day.isoformat()}"' in week
    page = client.get(f"/salas/{sala.codigo}/", {"dia": day.isoformat()}).content.decode()
    assert "Ese día" in page and "Al día siguiente" not in page and 'id="semana-siguiente"' not in page
    following = (day + timedelta(days=1)).isoformat()
    monday = day - timedelta(days=day.weekday())
    assert f'id="dia-siguiente" href="?dia={following}"' in page
    assert f'id="ver-semana" href="?semana={monday.isoformat()}"' in page
    # The booking form starts on the day shown.
    assert f'value="{day.isoformat()}"' in page
    # A day that is no date shows the week, as a wrong ?semana= does.
    assert 'id="semana-siguiente"' in client.get(f"/salas/{sala.codigo}/", {"dia": "ayer"}).content.decode()


def test_book_from_the_room_page_then_see_and_cancel_it(client, user, day_slot):
    sala = SalaFactory(capacidad=5)
    client.force_login(user)
    response = client.post(f"/reservas/nueva/{sala.codigo}/", form_data(*day_slot))
    assert response.status_code == 302
    reserva = Reserva.objects.get()
    assert (reserva.inicio, reserva.fin) == day_slot
    mias = client.get("/reservas/").content.decode()
    assert f'data-reserva="{reserva.pk}"' in mias and "Reunión" in mias
    assert client.post(f"/reservas/{reserva.pk}/cancelar/").status_code == 302
    assert Reserva.objects.get().estado == "cancelada"
    assert f'data-reserva="{reserva.pk}"' not in client.get("/reservas/").content.decode()


def test_form_errors_and_conflicts_are_shown_in_the_form(client, user, other_user, day_slot):
    sala = SalaFactory(capacidad=5)
    ReservaFactory(sala=sala, usuario=other_user, inicio=day_slot[0], fin=day_slot[1])
    client.force_login(user)
    too_many = client.post(f"/reservas/nueva/{sala.codigo}/", form_data(*day_slot, asistentes=9))
    assert too_many.status_code == 400 and "como máximo 5 asistentes" in too_many.content.decode()
    clash = client.post(f"/reservas/nueva/{sala.codigo}/", form_data(*day_slot))
    assert clash.status_code == 409
    html = clash.content.decode()
    assert 'id="conflictos"' in html and timezone.localtime(day_slot[0]).strftime("%H:%M") in html
    reversed_times = form_data(day_slot[1], day_slot[0])
    assert client.post(f"/reservas/nueva/{sala.codigo}/", reversed_times).status_code == 400
    assert Reserva.objects.count() == 1


def test_someone_else_cannot_cancel_from_the_page(client, other_user):
    reserva = ReservaFactory()
    client.force_login(other_user)
    assert client.post(f"/reservas/{reserva.pk}/cancelar/").status_code == 403
    assert Reserva.objects.get().estado == "confirmada"


def test_search_free_rooms_page(client, user, day_slot):
    busy, free = SalaFactory(capacidad=8), SalaFactory(capacidad=8)
    ReservaFactory(sala=busy, inicio=day_slot[0], fin=day_slot[1])
    client.force_login(user)
    query = form_data(*day_slot)
    query.pop("titulo"), query.pop("asistentes")
    html = client.get("/reservas/buscar/", {**query, "min_capacidad": 4}).content.decode()
    assert free.codigo in html and busy.codigo not in html
    assert client.get("/reservas/buscar/", {**query, "hora_fin": "09:00"}).status_code == 400


def test_room_page_delete_and_shrink_answer_409_while_bookings_are_ahead(client, user):
    sala = SalaFactory(owner=user, capacidad=10)
    ReservaFactory(sala=sala, asistentes=6)
    client.force_login(user)
    deleted = client.post(f"/salas/{sala.codigo}/eliminar/")
    assert deleted.status_code == 409 and "1 reserva futura" in deleted.content.decode()
    shrunk = client.post(
        f"/salas/{sala.codigo}/editar/", {"nombre": sala.nombre, "codigo": sala.codigo, "capacidad": 5}
    )
    assert shrunk.status_code == 409
    assert Sala.objects.get(pk=sala.pk).capacidad == 10


def test_api_delete_and_shrink_answer_409(user_api, user):
    sala = SalaFactory(owner=user, capacidad=10)
    ReservaFactory(sala=sala, asistentes=6)
    deleted = user_api.delete(f"/sala/codigo/{sala.codigo}")
    assert deleted.status_code == 409 and "1 reserva futura" in deleted.json()["error"]
    shrunk = user_api.send("PATCH", f"/sala/codigo/{sala.codigo}", {"capacidad": 5})
    assert shrunk.status_code == 409 and "capacidad" in shrunk.json()["fields"]


def test_admin_lists_bookings_and_refuses_a_room_delete_with_409(client, staff_user):
    sala = SalaFactory(capacidad=10)
    reserva = ReservaFactory(sala=sala, titulo="Buscable")
    client.force_login(staff_user)
    listing = client.get("/admin/reservas/reserva/", {"q": "Buscable", "estado__exact": "confirmada"})
    assert listing.status_code == 200 and "Buscable" in listing.content.decode()
    detail = client.get(f"/admin/reservas/reserva/{reserva.pk}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    deleted = client.post(f"/admin/salas/sala/{sala.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 409
    action = client.post("/admin/reservas/reserva/", {"action": "cancelar", "_selected_action": [reserva.pk]})
    assert action.status_code == 302 and Reserva.objects.get().estado == "cancelada"
    assert client.post(f"/admin/salas/sala/{sala.pk}/delete/", {"post": "yes"}).status_code == 302


@pytest.mark.parametrize("semana", ["0001-01-01", "9999-12-31", "nada"])
def test_far_or_bad_weeks_show_the_current_one(client, user, settings, semana):
    settings.TIME_ZONE = "Europe/Madrid"  # east of UTC: year 1 would underflow in UTC
    sala = SalaFactory()
    client.force_login(user)
    response = client.get(f"/salas/{sala.codigo}/", {"semana": semana})
    assert response.status_code == 200 and 'id="calendario"' in response.content.decode()


def test_far_dates_in_the_search_are_form_errors(client, user, settings):
    settings.TIME_ZONE = "Europe/Madrid"
    client.force_login(user)
    response = client.get(
        "/reservas/buscar/", {"fecha": "0001-01-01", "hora_inicio": "00:10", "hora_fin": "01:00"}
    )
    assert response.status_code == 400 and "Fecha fuera de rango." in response.content.decode()
