from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from reservas.recurrence import MAX_OCCURRENCES, Repeticion, expand, repeticion_from_data
from reservas.services import reserva_series_create
from salas.tests.factories import SalaFactory

MADRID = ZoneInfo("Europe/Madrid")


@pytest.fixture
def madrid(settings):
    settings.TIME_ZONE = "Europe/Madrid"
    with timezone.override(MADRID):
        yield


def test_weekly_booking_keeps_its_local_time_across_the_spring_change(madrid):
    # Spring forward in Madrid on 2027-03-28: 10:00 is UTC+1 before, UTC+2 after.
    start = datetime(2027, 3, 21, 10, 0, tzinfo=MADRID)
    slots = expand(inicio=start, fin=start + timedelta(hours=1), repeticion=Repeticion("semanal", veces=2))
    assert [timezone.localtime(s).strftime("%H:%M") for s, _ in slots] == ["10:00", "10:00"]
    assert [s.astimezone(ZoneInfo("UTC")).hour for s, _ in slots] == [9, 8]
    assert all(end - s == timedelta(hours=1) for s, end in slots)


def test_daily_booking_keeps_its_local_time_across_the_autumn_change(madrid):
    start = datetime(2027, 10, 30, 9, 30, tzinfo=MADRID)
    slots = expand(inicio=start, fin=start + timedelta(hours=2), repeticion=Repeticion("diaria", veces=2))
    assert [s.astimezone(ZoneInfo("UTC")).strftime("%H:%M") for s, _ in slots] == ["07:30", "08:30"]


def test_interval_and_until_date(madrid):
    start = datetime(2027, 1, 4, 8, 0, tzinfo=MADRID)
    repeticion = Repeticion("semanal", intervalo=2, hasta=date(2027, 2, 1))
    slots = expand(inicio=start, fin=start + timedelta(hours=1), repeticion=repeticion)
    assert [s.date() for s, _ in slots] == [date(2027, 1, 4), date(2027, 1, 18), date(2027, 2, 1)]


def test_more_than_52_occurrences_are_refused():
    start = timezone.now()
    with pytest.raises(ValidationError) as excinfo:
        expand(
            inicio=start,
            fin=start + timedelta(hours=1),
            repeticion=Repeticion("diaria", hasta=(start + timedelta(days=MAX_OCCURRENCES + 5)).date()),
        )
    assert "repeticion" in excinfo.value.error_dict


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"frecuencia": "mensual", "veces": 2},
        {"frecuencia": [], "veces": 2},
        {"frecuencia": "diaria"},
        {"frecuencia": "diaria", "veces": 2, "hasta": "2027-01-01"},
        {"frecuencia": "diaria", "veces": 0},
        {"frecuencia": "diaria", "veces": 53},
        {"frecuencia": "diaria", "veces": True},
        {"frecuencia": "diaria", "intervalo": 0, "veces": 2},
        {"frecuencia": "diaria", "hasta": "mañana"},
        {"frecuencia": "diaria", "hasta": 20270101},
        {"frecuencia": "diaria", "veces": 2, "otro": 1},
    ],
)
def test_a_malformed_rule_is_a_400_on_repeticion(data):
    with pytest.raises(ValidationError) as excinfo:
        repeticion_from_data(data)
    assert list(excinfo.value.error_dict) == ["repeticion"]


@pytest.mark.django_db
def test_a_booked_weekly_series_stays_at_ten_local_through_a_dst_change(madrid, user):
    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    start = timezone.make_aware(datetime.combine(monday, datetime.min.time()).replace(hour=10))
    # 30 weeks always contain one of Madrid's changes (March and October are 7 months apart).
    resultado = reserva_series_create(
        usuario=user,
        sala=SalaFactory(),
        titulo="Semanal",
        inicio=start,
        fin=start + timedelta(hours=1),
        asistentes=1,
        repeticion=Repeticion("semanal", veces=30),
    )
    stored = type(resultado.creadas[0]).objects.order_by("inicio")
    assert {timezone.localtime(r.inicio).strftime("%a %H:%M") for r in stored} == {"Mon 10:00"}
    assert len({timezone.localtime(r.inicio).utcoffset() for r in stored}) == 2
