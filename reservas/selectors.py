"""Reads on bookings. The router decides which database answers; these never do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from reservas.models import LONGEST_BOOKING, Reserva
from salas.models import Sala
from salas.selectors import SalaPage, sala_page_of, sala_queryset

Confirmada = Reserva.Estado.CONFIRMADA
# What others see of a private booking (its room's, or its own flag) instead of its title.
OCUPADO = _("Ocupado")
# A calendar window never holds more; past it a client asks for a shorter one.
MAX_LISTED = 2000
# A room's bookings in time order: the order of reservas_sala_overlap, so read
# without a sort (a room's confirmed bookings never overlap: inicio decides).
ROOM_ORDER = ("inicio", "fin", "id")
# A user's: the order of (usuario, estado, inicio[, id]).
USER_ORDER = ("inicio", "id")


def reserva_get(*, pk: int) -> Reserva:
    reserva = Reserva.objects.select_related("sala", "usuario").filter(pk=pk).first()
    if reserva is None:
        raise Http404(pk)
    return reserva


def reservas_de_sala(*, sala: Sala, desde: datetime, hasta: datetime | None) -> list[Reserva]:
    """The room's confirmed bookings overlapping [desde, hasta), in time order."""
    return _listed(overlapping(Reserva.objects.filter(sala=sala), desde, hasta))


@dataclass(frozen=True)
class Cursor:
    """Where a page of a user's bookings ended: the last booking's start and id."""

    inicio: datetime
    id: int


@dataclass(frozen=True)
class ReservaPage:
    items: list[Reserva]
    next: Cursor | None


def reservas_de_usuario(
    *,
    usuario: User,
    desde: datetime,
    hasta: datetime | None = None,
    after: Cursor | None = None,
    limit: int = MAX_LISTED,
) -> ReservaPage:
    """The user's confirmed bookings overlapping [desde, hasta), in time order, `limit` at a time.

    Keyset pagination on (usuario, estado, inicio[, id]): each page starts
    reading the index where the last one stopped, so page 500 costs what page 1 does.
    """
    queryset = overlapping(Reserva.objects.filter(usuario=usuario), desde, hasta)
    if after is not None:
        queryset = queryset.filter(inicio__gte=after.inicio).filter(
            Q(inicio__gt=after.inicio) | Q(id__gt=after.id)
        )
    return _page(queryset.order_by(*USER_ORDER), limit)


def reservas_pasadas_de_usuario(
    *, usuario: User, hasta: datetime, after: Cursor | None = None, limit: int = MAX_LISTED
) -> ReservaPage:
    """The user's confirmed bookings that ended by `hasta`, newest first, `limit` at a time."""
    # inicio < hasta bounds the index range; fin <= hasta drops the few still running.
    queryset = Reserva.objects.filter(usuario=usuario, estado=Confirmada, inicio__lt=hasta, fin__lte=hasta)
    if after is not None:
        queryset = queryset.filter(inicio__lte=after.inicio).filter(
            Q(inicio__lt=after.inicio) | Q(id__lt=after.id)
        )
    return _page(queryset.order_by("-inicio", "-id"), limit)


def salas_disponibles(
    *, inicio: datetime, fin: datetime, min_capacidad: int | None, page: int, page_size: int
) -> SalaPage:
    """The rooms with no confirmed booking overlapping [inicio, fin), in the room list's shape.

    The busy rooms are read once, from reservas_window_probe alone (a range of
    inicio, see LONGEST_BOOKING); the count and the page then read only rooms.
    """
    busy = set(overlapping(Reserva.objects.all(), inicio, fin).order_by().values_list("sala_id", flat=True))
    return sala_page_of(
        sala_queryset(min_capacidad=min_capacidad).exclude(pk__in=busy), page=page, page_size=page_size
    )


def sala_future_bookings(*, sala_id: int) -> tuple[int, int]:
    """How many confirmed bookings of the room have not ended yet, and their largest attendance."""
    future = overlapping(Reserva.objects.filter(sala_id=sala_id), timezone.now(), None)
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


def overlapping(queryset: QuerySet[Reserva], desde: datetime, hasta: datetime | None) -> QuerySet[Reserva]:
    """The confirmed bookings of `queryset` overlapping the half-open [desde, hasta).

    No booking lasts longer than LONGEST_BOOKING (a check constraint), so one
    that ends after `desde` started after desde - LONGEST_BOOKING: that bound
    turns "fin > desde" - every booking ever made, read to keep a few - into a
    short range of inicio on the (..., estado, inicio) indexes.
    """
    queryset = queryset.filter(estado=Confirmada, inicio__gt=desde - LONGEST_BOOKING, fin__gt=desde)
    return queryset.filter(inicio__lt=hasta) if hasta is not None else queryset


def _listed(queryset: QuerySet[Reserva]) -> list[Reserva]:
    return list(queryset.select_related("sala", "usuario").order_by(*ROOM_ORDER)[:MAX_LISTED])


def _page(queryset: QuerySet[Reserva], limit: int) -> ReservaPage:
    # One row more than asked says whether there is a next page, without a count.
    rows = list(queryset.select_related("sala", "usuario")[: limit + 1])
    items = rows[:limit]
    last = items[-1] if len(rows) > limit else None
    return ReservaPage(items, Cursor(last.inicio, last.pk) if last else None)
