from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from reservas.models import Reserva
from reservas.recurrence import Repeticion
from reservas.services import (
    ReservaConflicto,
    reserva_cancel,
    reserva_create,
    reserva_series_create,
)
from reservas.tests.factories import ReservaFactory, in_hours
from salas.services import sala_delete, sala_update
from salas.tests.factories import SalaFactory

pytestmark = pytest.mark.django_db


def book(user, sala, start, end, **extra):
    data = {"titulo": "Reunión", "asistentes": 2, **extra}
    return reserva_create(usuario=user, sala=sala, inicio=start, fin=end, **data)


def series(user, sala, repeticion, **extra):
    data = {"titulo": "Serie", "inicio": in_hours(2), "fin": in_hours(3), "asistentes": 1, **extra}
    return reserva_series_create(usuario=user, sala=sala, repeticion=repeticion, **data)


def test_create_stores_a_confirmed_booking(user):
    sala = SalaFactory(capacidad=10)
    reserva = book(user, sala, in_hours(2), in_hours(3), titulo="  Equipo  ")
    stored = Reserva.objects.get(pk=reserva.pk)
    assert (stored.titulo, stored.estado, stored.usuario_id, stored.serie) == (
        "Equipo",
        "confirmada",
        user.pk,
        None,
    )


@pytest.mark.parametrize(
    ("field", "start", "end", "extra"),
    [
        ("fin", 3, 2, {}),
        ("fin", 2, 2, {}),
        ("fin", 2, 2.2, {}),  # 12 minutes < 15
        ("fin", 2, 15, {}),  # 13 hours > 12
        ("inicio", -2, -1, {}),
        ("inicio", 24 * 366, 24 * 366 + 1, {}),
        ("titulo", 2, 3, {"titulo": ""}),
        ("titulo", 2, 3, {"titulo": "x" * 101}),
        ("titulo", 2, 3, {"titulo": None}),
        ("asistentes", 2, 3, {"asistentes": 0}),
        ("asistentes", 2, 3, {"asistentes": 11}),
        ("asistentes", 2, 3, {"asistentes": True}),
        ("asistentes", 2, 3, {"asistentes": "3"}),
    ],
)
def test_create_rejects_each_broken_rule_naming_the_field(user, field, start, end, extra):
    sala = SalaFactory(capacidad=10)
    with pytest.raises(ValidationError) as excinfo:
        book(user, sala, in_hours(start), in_hours(end), **extra)
    assert field in excinfo.value.error_dict
    assert not Reserva.objects.exists()


def test_naive_datetimes_are_refused(user):
    sala = SalaFactory()
    with pytest.raises(ValidationError) as excinfo:
        book(user, sala, in_hours(2).replace(tzinfo=None), in_hours(3))
    assert "inicio" in excinfo.value.error_dict


def test_minimum_and_maximum_durations_are_inclusive(user, settings):
    sala = SalaFactory()
    book(user, sala, in_hours(2), in_hours(2) + timedelta(minutes=settings.RESERVA_MIN_MINUTES))
    book(user, sala, in_hours(5), in_hours(5) + timedelta(hours=settings.RESERVA_MAX_HOURS))
    assert Reserva.objects.count() == 2


@pytest.mark.parametrize(("start", "end"), [(2, 3), (1.5, 2.5), (2.5, 2.75), (1, 4), (2.75, 3.5)])
def test_an_overlapping_booking_is_a_conflict_listing_the_existing_one(user, other_user, start, end):
    sala = SalaFactory()
    existing = book(user, sala, in_hours(2), in_hours(3))
    with pytest.raises(ReservaConflicto) as excinfo:
        book(other_user, sala, in_hours(start), in_hours(end))
    assert [r.pk for r in excinfo.value.conflictos[0].reservas] == [existing.pk]
    assert Reserva.objects.count() == 1


def test_back_to_back_bookings_do_not_conflict(user, other_user):
    sala = SalaFactory()
    book(user, sala, in_hours(2), in_hours(3))
    book(other_user, sala, in_hours(3), in_hours(4))
    book(other_user, sala, in_hours(1), in_hours(2))
    assert Reserva.objects.count() == 3


def test_other_rooms_and_cancelled_bookings_do_not_conflict(user, other_user):
    sala, otra = SalaFactory(), SalaFactory()
    first = book(user, sala, in_hours(2), in_hours(3))
    book(other_user, otra, in_hours(2), in_hours(3))
    reserva_cancel(reserva=first, actor=user)
    book(other_user, sala, in_hours(2), in_hours(3))
    assert Reserva.objects.filter(estado="confirmada").count() == 2


def test_database_refuses_an_interval_that_ends_before_it_starts(user):
    sala = SalaFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Reserva.objects.bulk_create(
            [Reserva(sala=sala, usuario=user, titulo="x", inicio=in_hours(3), fin=in_hours(2), asistentes=1)]
        )


def test_a_series_is_all_or_nothing(user, other_user):
    sala = SalaFactory()
    blocker = book(other_user, sala, in_hours(24 * 14 + 2), in_hours(24 * 14 + 3))
    with pytest.raises(ReservaConflicto) as excinfo:
        series(user, sala, Repeticion(frecuencia="semanal", veces=4))
    assert [[r.pk for r in c.reservas] for c in excinfo.value.conflictos] == [[blocker.pk]]
    assert Reserva.objects.count() == 1


def test_a_series_may_skip_the_taken_occurrences(user, other_user):
    sala = SalaFactory()
    book(other_user, sala, in_hours(24 + 2), in_hours(24 + 3))
    resultado = series(user, sala, Repeticion(frecuencia="diaria", veces=3), omitir_conflictos=True)
    assert len(resultado.creadas) == 2 and len(resultado.omitidas) == 1
    assert resultado.omitidas[0].slot[0] == in_hours(24 + 2)
    assert len({r.serie for r in resultado.creadas}) == 1 and resultado.creadas[0].serie is not None
    assert Reserva.objects.filter(serie=resultado.creadas[0].serie).count() == 2


def test_a_series_past_the_horizon_is_refused(user, settings):
    settings.RESERVA_HORIZON_DAYS = 10
    with pytest.raises(ValidationError) as excinfo:
        series(user, SalaFactory(), Repeticion(frecuencia="semanal", veces=3))
    assert "repeticion" in excinfo.value.error_dict


def test_cancel_is_for_the_booker_the_room_owner_and_staff(user, other_user, staff_user):
    sala = SalaFactory(owner=other_user)
    for hour, actor in enumerate((user, other_user, staff_user), start=2):
        reserva = ReservaFactory(sala=sala, usuario=user, inicio=in_hours(hour))
        assert reserva_cancel(reserva=reserva, actor=actor) == 1
    reserva = ReservaFactory(sala=sala, usuario=user, inicio=in_hours(50))
    intruder = SalaFactory().owner
    with pytest.raises(PermissionDenied):
        reserva_cancel(reserva=reserva, actor=intruder)
    assert Reserva.objects.get(pk=reserva.pk).estado == "confirmada"


def test_cancel_this_and_later_occurrences_of_a_series(user):
    resultado = series(user, SalaFactory(), Repeticion(frecuencia="semanal", veces=4))
    third = resultado.creadas[2]
    assert reserva_cancel(reserva=resultado.creadas[1], actor=user, serie=True) == 3
    estados = list(Reserva.objects.order_by("inicio").values_list("estado", flat=True))
    assert estados == ["confirmada", "cancelada", "cancelada", "cancelada"]
    assert reserva_cancel(reserva=third, actor=user) == 0  # already cancelled: nothing to do


def test_a_room_with_future_bookings_cannot_be_deleted(user):
    sala = SalaFactory(owner=user)
    ReservaFactory(sala=sala)
    ReservaFactory(sala=sala, inicio=in_hours(30))
    with pytest.raises(ValidationError) as excinfo:
        sala_delete(sala=sala, actor=user)
    assert excinfo.value.code == "conflict" and "2 reservas futuras" in excinfo.value.messages[0]
    assert type(sala).objects.filter(pk=sala.pk).exists()


def test_a_room_with_only_past_or_cancelled_bookings_can_be_deleted(user):
    sala = SalaFactory(owner=user)
    past = timezone.now() - timedelta(days=2)
    ReservaFactory(sala=sala, inicio=past, fin=past + timedelta(hours=1))
    ReservaFactory(sala=sala, estado="cancelada")
    sala_delete(sala=sala, actor=user)
    assert not Reserva.objects.exists()


def test_capacity_cannot_drop_below_a_future_booking(user):
    sala = SalaFactory(owner=user, capacidad=20)
    ReservaFactory(sala=sala, asistentes=8)
    with pytest.raises(ValidationError) as excinfo:
        sala_update(sala=sala, actor=user, data={"capacidad": 7})
    assert excinfo.value.error_dict["capacidad"][0].code == "conflict"
    assert sala_update(sala=sala, actor=user, data={"capacidad": 8}).capacidad == 8


def test_quota_of_future_bookings_is_a_conflict_naming_the_limit(user, settings):
    settings.RESERVA_MAX_FUTURE_PER_USER = 3
    sala = SalaFactory(capacidad=10)
    series(user, sala, Repeticion(frecuencia="diaria", intervalo=1, veces=3))
    with pytest.raises(ValidationError) as caught:
        book(user, sala, in_hours(5), in_hours(6))
    assert caught.value.error_dict["__all__"][0].code == "conflict"
    assert "3 reservas futuras" in caught.value.messages[0]
    assert Reserva.objects.filter(usuario=user).count() == 3


def test_quota_of_hours_a_week_counts_the_new_series_too(user, settings):
    settings.RESERVA_MAX_HOURS_PER_WEEK = 10
    sala = SalaFactory(capacidad=10)
    start = in_hours(24 * 8)
    with pytest.raises(ValidationError) as caught:
        series(
            user,
            sala,
            Repeticion(frecuencia="diaria", intervalo=1, veces=7),
            inicio=start,
            fin=start + timedelta(hours=3),
        )
    assert "10 horas reservadas por semana" in caught.value.messages[0]
    assert not Reserva.objects.filter(usuario=user).exists()


def test_staff_have_no_quota(staff_user, settings):
    settings.RESERVA_MAX_FUTURE_PER_USER = 1
    sala = SalaFactory(capacidad=10)
    book(staff_user, sala, in_hours(2), in_hours(3))
    book(staff_user, sala, in_hours(4), in_hours(5))
    assert Reserva.objects.filter(usuario=staff_user).count() == 2
