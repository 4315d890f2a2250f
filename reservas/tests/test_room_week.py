"""A room's week (its page's calendar and GET /sala/codigo/<c>/reservas): laid out once, cached per database state,
redacted per viewer."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from reservas import selectors
from reservas.tests.factories import ReservaFactory
from salas.tests.factories import SalaFactory

MONDAY = date(2099, 1, 5)


def at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.mark.django_db
def test_a_week_is_laid_out_by_local_day_and_a_night_booking_is_on_both():
    sala = SalaFactory()
    morning = ReservaFactory(sala=sala, inicio=at(MONDAY, 10), fin=at(MONDAY, 11))
    night = ReservaFactory(sala=sala, inicio=at(MONDAY, 23), fin=at(MONDAY + timedelta(days=1), 1))
    ReservaFactory(
        sala=sala, inicio=at(MONDAY + timedelta(days=7), 10), fin=at(MONDAY + timedelta(days=7), 11)
    )
    semana = selectors.sala_semana(sala=sala, monday=MONDAY)
    assert [dia.fecha for dia in semana.dias] == [MONDAY + timedelta(days=d) for d in range(7)]
    assert [s.id for s in semana.dias[0].slots] == [morning.pk, night.pk]
    assert [(s.id, s.horas) for s in semana.dias[1].slots] == [(night.pk, "23:00–01:00")]
    assert all(not dia.slots for dia in semana.dias[2:])
    assert semana.privadas == []


# Outside a test transaction: the week is cached under the committed state, as on a node.
@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_a_cached_week_still_hides_a_private_booking_from_each_viewer_who_may_not_see_it():
    owner, booker, stranger = UserFactory(), UserFactory(), UserFactory()
    sala = SalaFactory(owner=owner)
    ReservaFactory(
        sala=sala, usuario=booker, titulo="Entrevista", privada=True, inicio=at(MONDAY, 9), fin=at(MONDAY, 10)
    )
    ReservaFactory(sala=sala, titulo="Abierta", inicio=at(MONDAY, 11), fin=at(MONDAY, 12))
    # Signed in first: a sign-in is a write, and a write is a new state (a new cache entry).
    clients = {}
    for name, who in (("booker", booker), ("owner", owner), ("stranger", stranger)):
        clients[name] = Client()
        clients[name].force_login(who)
    week = f"/sala/codigo/{sala.codigo}/reservas?desde={MONDAY}&hasta={MONDAY + timedelta(days=7)}"
    page = f"/salas/{sala.codigo}/?semana={MONDAY}"

    def titles(name: str, language: str = "es") -> tuple[list[str], str]:
        client = clients[name]
        data = client.get(week, HTTP_ACCEPT_LANGUAGE=language).json()["reservas"]
        return [r["titulo"] for r in data], client.get(page, HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert titles("booker")[0] == ["Entrevista", "Abierta"]
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        seen, html = titles("stranger")
    # The stranger's week came from the booker's reading of it, with its own redaction.
    assert not [
        q for q in (*primary.captured_queries, *replica.captured_queries) if "reservas_reserva" in q["sql"]
    ]
    assert seen == ["Ocupado", "Abierta"]
    assert "Entrevista" not in html and booker.username not in html and "Ocupado" in html
    seen, html = titles("stranger", "en")
    assert (
        seen == ["Busy", "Abierta"] and "Entrevista" not in html and "Busy" in html and "Ocupado" not in html
    )
    seen, html = titles("owner")
    assert seen == ["Entrevista", "Abierta"] and "Entrevista" in html and booker.username in html
