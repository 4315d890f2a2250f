"""The bookings counter GET /metrics shows (reservas/metrics.py); moved from core's tests, which import no app."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from reservas import services
from reservas.tests.factories import ReservaFactory, in_hours
from salas.tests.factories import SalaFactory

pytestmark = pytest.mark.django_db


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_bookings_created_and_refused_as_conflicts_are_counted(user):
    sala = SalaFactory()
    start = in_hours(30)
    created, conflicts = (
        value("salas_bookings_total", result="created"),
        value("salas_bookings_total", result="conflict"),
    )
    ReservaFactory(sala=sala, inicio=start, fin=start + timedelta(hours=1))
    services.reserva_create(
        usuario=user,
        sala=sala,
        titulo="a",
        inicio=start + timedelta(hours=1),
        fin=start + timedelta(hours=2),
        asistentes=1,
    )
    with pytest.raises(services.ReservaConflicto):
        services.reserva_create(
            usuario=user, sala=sala, titulo="b", inicio=start, fin=start + timedelta(minutes=30), asistentes=1
        )
    assert value("salas_bookings_total", result="created") == created + 1
    assert value("salas_bookings_total", result="conflict") == conflicts + 1
