"""Reads on bookings. The router decides which database answers; these never do."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Max, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from reservas.models import Reserva
from salas.models import Sala
from salas.selectors import SalaPage, sala_page_of, sala_queryset

Confirmada = Reserva.Estado.CONFIRMADA
# What others see of a private booking (its room's, or its own flag) instead of its title.
OCUPADO = _("Ocupado")
# A calendar window never holds more; past it a client asks for a shorter one.
MAX_LISTED = 2000


def reserva_get(*, pk: int) -> Reserva:
    reserva = Reserva.objects.select_related("sala", "usuario").filter(pk=pk).first()
    if reserva is None:
        raise Http404(pk)
    return reserva


def reservas_de_sala(*, sala: Sala, desde: datetime, hasta: datetime | None) -> list[Reserva]:
    """The room's confirmed bookings overlapping [desde, hasta), in time order."""
    return _listed(_overlapping(Reserva.objects.filter(sala=sala), desde, hasta))


def reservas_de_usuario(*, usuario: User, desde: datetime, hasta: datetime | None = None) -> list[Reserva]:
    """The user's confirmed bookings overlapping [desde, hasta), in time order."""
    return _listed(_overlapping(Reserva.objects.filter(usuario=usuario), desde, hasta))


def salas_disponibles(
    *, inicio: datetime, fin: datetime, min_capacidad: int | None, page: int, page_size: int
) -> SalaPage:
    """The rooms with no confirmed booking overlapping [inicio, fin), in the room list's shape."""
    busy = _overlapping(Reserva.objects.all(), inicio, fin).values("sala_id")
    return sala_page_of(
        sala_queryset(min_capacidad=min_capacidad).exclude(pk__in=busy), page=page, page_size=page_size
    )


def sala_future_bookings(*, sala_id: int) -> tuple[int, int]:
    """How many confirmed bookings of the room have not ended yet, and their largest attendance."""
    future = Reserva.objects.filter(sala_id=sala_id, estado=Confirmada, fin__gt=timezone.now())
    counts = future.aggregate(n=Count("id"), most=Max("asistentes"))
    return counts["n"], counts["most"] or 0


def reserva_is_private(reserva: Reserva) -> bool:
    return reserva.privada or reserva.sala.privada


def reserva_shows_details(*, viewer: User | AnonymousUser | None, reserva: Reserva) -> bool:
    """Whether the viewer sees a booking's title and booker: always, unless it is private;
    then only its booker, the room's owner (who approves its use) and staff do."""
    if not reserva_is_private(reserva):
        return True
    if viewer is None or not viewer.is_authenticated:
        return False
    return viewer.is_staff or viewer.pk in {reserva.usuario_id, reserva.sala.owner_id}


def reserva_to_dict(reserva: Reserva, *, viewer: User | AnonymousUser | None) -> dict[str, Any]:
    """The booking as `viewer` may see it: a private one of someone else's is "Ocupado", no booker."""
    shown = reserva_shows_details(viewer=viewer, reserva=reserva)
    return {
        "id": reserva.pk,
        "sala": {"codigo": reserva.sala.codigo, "nombre": reserva.sala.nombre},
        "usuario": {"id": reserva.usuario_id, "username": reserva.usuario.username} if shown else None,
        "titulo": reserva.titulo if shown else str(OCUPADO),
        "inicio": timezone.localtime(reserva.inicio),
        "fin": timezone.localtime(reserva.fin),
        "asistentes": reserva.asistentes,
        "estado": reserva.estado,
        "privada": reserva_is_private(reserva),
        # A series id would link the private bookings of one person.
        "serie": str(reserva.serie) if reserva.serie and shown else None,
        "created_at": timezone.localtime(reserva.created_at),
    }


def slot_to_dict(reserva: Reserva) -> dict[str, Any]:
    return {
        "id": reserva.pk,
        "inicio": timezone.localtime(reserva.inicio),
        "fin": timezone.localtime(reserva.fin),
    }


def _overlapping(queryset: QuerySet[Reserva], desde: datetime, hasta: datetime | None) -> QuerySet[Reserva]:
    queryset = queryset.filter(estado=Confirmada, fin__gt=desde)
    return queryset.filter(inicio__lt=hasta) if hasta is not None else queryset


def _listed(queryset: QuerySet[Reserva]) -> list[Reserva]:
    return list(queryset.select_related("sala", "usuario").order_by("inicio", "id")[:MAX_LISTED])
