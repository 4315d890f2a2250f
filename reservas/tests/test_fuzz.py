"""Property-based fuzzing of the bookings API: only 2xx/4xx, the error shape, nothing stored on a refusal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reservas.models import Reserva
from reservas.tests.factories import in_hours
from salas.models import Sala
from salas.tests.factories import SalaFactory
from salas.tests.test_fuzz import FUZZ, JSON_VALUES, NASTY_STRINGS

pytestmark = pytest.mark.django_db

DATES = (
    st.sampled_from(
        [
            "2026-12-01",
            "2027-02-30",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-14:00",
            "2027-01-01T10:00",
            "2027-01-01T10:00Z",
            "2027-01-01T25:00+00:00",
            "mañana",
        ]
    )
    | NASTY_STRINGS
    | st.text(max_size=30)
)
FIELDS = ["sala", "titulo", "inicio", "fin", "asistentes", "repeticion", "omitir_conflictos", "x"]


def _assert_answer(response) -> None:
    assert response.status_code in (200, 201, 400, 404, 409), (response.status_code, response.content[:300])
    if response.status_code >= 400:
        body = response.json()
        assert {"error", "fields"} <= set(body) and isinstance(body["fields"], dict)


@FUZZ
@given(
    changes=st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES | DATES, max_size=3),
    repeticion=st.none()
    | st.dictionaries(
        st.sampled_from(["frecuencia", "intervalo", "veces", "hasta", "x"]), JSON_VALUES | DATES
    ),
)
def test_booking_with_arbitrary_json_never_500s(user_api, changes, repeticion):
    if not Sala.objects.filter(codigo="FUZZ-R").exists():
        SalaFactory(codigo="FUZZ-R", capacidad=5)
    body = {
        "sala": "FUZZ-R",
        "titulo": "t",
        "inicio": in_hours(2).isoformat(),
        "fin": in_hours(3).isoformat(),
        "asistentes": 1,
        **({"repeticion": repeticion} if repeticion is not None else {}),
        **changes,
    }
    before = Reserva.objects.count()
    response = user_api.send("POST", "/reserva/create", body)
    _assert_answer(response)
    if response.status_code != 201:
        assert Reserva.objects.count() == before
    Reserva.objects.all().delete()


@FUZZ
@given(
    desde=DATES,
    hasta=DATES,
    extra=st.dictionaries(st.sampled_from(["page", "page_size", "min_capacidad"]), DATES),
)
def test_windows_and_free_rooms_with_arbitrary_queries_never_500(user_api, desde, hasta, extra):
    for path, query in (
        ("/reserva/mias", {"desde": desde, "hasta": hasta}),
        ("/sala/disponibles", {"inicio": desde, "fin": hasta, **extra}),
    ):
        _assert_answer(user_api.get(path, query))
