"""Reads on bookings. The router decides which database answers; these never do."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from replication import StateCache
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


@dataclass(frozen=True)
class Cursor:
    """Where a page of a user's bookings ended: the last booking's start and id."""

    inicio: datetime
    id: int


@dataclass(frozen=True)
class ReservaPage:
    # Bookings, or with `fields` given their values (dicts holding at least id and inicio).
    items: list[Any]
    next: Cursor | None


def reservas_de_usuario(
    *,
    usuario: User,
    desde: datetime,
    hasta: datetime | None = None,
    after: Cursor | None = None,
    limit: int = MAX_LISTED,
    fields: tuple[str, ...] = (),
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
    return _page(queryset.order_by(*USER_ORDER), limit, fields)


def reservas_pasadas_de_usuario(
    *,
    usuario: User,
    hasta: datetime,
    after: Cursor | None = None,
    limit: int = MAX_LISTED,
    fields: tuple[str, ...] = (),
) -> ReservaPage:
    """The user's confirmed bookings that ended by `hasta`, newest first, `limit` at a time."""
    # inicio < hasta bounds the index range; fin <= hasta drops the few still running.
    queryset = Reserva.objects.filter(usuario=usuario, estado=Confirmada, inicio__lt=hasta, fin__lte=hasta)
    if after is not None:
        queryset = queryset.filter(inicio__lte=after.inicio).filter(
            Q(inicio__lt=after.inicio) | Q(id__lt=after.id)
        )
    return _page(queryset.order_by("-inicio", "-id"), limit, fields)


# How many rooms hold at least n people, per database state: an index range over
# every such room (6,777 of 10,000 for n = 10), the one part of the search that
# grows with the rooms rather than with the window.
_room_counts: StateCache[int] = StateCache("reservas-room-count")


def salas_disponibles(
    *, inicio: datetime, fin: datetime, min_capacidad: int | None, page: int, page_size: int
) -> SalaPage:
    """The rooms with no confirmed booking overlapping [inicio, fin), in the room list's shape.

    The busy rooms are read once, from reservas_window_probe alone (a range of
    inicio, see LONGEST_BOOKING); then only rooms: the count is the rooms of that
    capacity (cached while the database is unchanged) less the busy ones among
    them (found by primary key), and the page skips the busy ones.
    """
    busy = set(overlapping(Reserva.objects.all(), inicio, fin).order_by().values_list("sala_id", flat=True))
    rooms = sala_queryset(min_capacidad=min_capacidad)
    total = _room_counts.get_or_compute(min_capacidad, rooms.count)
    busy_here = rooms.filter(pk__in=busy).count() if busy else 0
    return sala_page_of(rooms.exclude(pk__in=busy), page=page, page_size=page_size, count=total - busy_here)


def sala_future_bookings(*, sala_id: int) -> tuple[int, int]:
    """How many confirmed bookings of the room have not ended yet, and their largest attendance."""
    future = overlapping(Reserva.objects.filter(sala_id=sala_id), timezone.now(), None)
    counts = future.aggregate(n=Count("id"), most=Max("asistentes"))
    return counts["n"], counts["most"] or 0


# What a room's window shows of each booking (JSON and calendar), read as plain
# values: a busy week is ~340 bookings, and a model instance per row (with its
# room and booker) cost most of the request.
_ROOM_WINDOW_FIELDS = (
    "id",
    "usuario_id",
    "usuario__username",
    "titulo",
    "inicio",
    "fin",
    "asistentes",
    "estado",
    "privada",
    "serie",
    "created_at",
)


def _room_window_rows(sala: Sala, desde: datetime, hasta: datetime | None) -> list[dict[str, Any]]:
    queryset = overlapping(Reserva.objects.filter(sala=sala), desde, hasta).order_by(*ROOM_ORDER)
    return list(queryset.values(*_ROOM_WINDOW_FIELDS)[:MAX_LISTED])


@dataclass(frozen=True)
class RoomWindow:
    """A room's bookings in a window as every viewer allowed to see them sees them.

    `reservas` are reserva_to_dict()'s shape; `private` holds (index, booker id) of
    each private one, the only entries that differ between viewers.
    """

    reservas: list[dict[str, Any]]
    private: list[tuple[int, int]]


# A room's window is the same for every reader: filed under the state of the
# database it was read from (so never older than it, and holding the reader's
# own writes), each viewer's redactions applied afterwards.
_room_windows: StateCache[RoomWindow] = StateCache("reservas-room-window")


def reservas_de_sala_dicts(
    *, sala: Sala, desde: datetime, hasta: datetime | None, viewer: User | AnonymousUser | None
) -> list[dict[str, Any]]:
    """The room's confirmed bookings overlapping [desde, hasta), in time order, as reserva_to_dict()
    shapes each for `viewer` (at most MAX_LISTED)."""
    key = (
        sala.pk,
        sala.codigo,
        sala.nombre,
        sala.privada,
        desde,
        hasta,
        timezone.get_current_timezone_name(),
    )
    window = _room_windows.get_or_compute(key, lambda: _room_window(sala, desde, hasta))
    hidden = [i for i, booker in window.private if not _sees_private(viewer, booker, sala)]
    if not hidden:
        return window.reservas
    shown = list(window.reservas)
    for i in hidden:
        shown[i] = _redacted(shown[i])
    return shown


def _room_window(sala: Sala, desde: datetime, hasta: datetime | None) -> RoomWindow:
    reservas: list[dict[str, Any]] = []
    private: list[tuple[int, int]] = []
    room = {"codigo": sala.codigo, "nombre": sala.nombre}  # one dict shared by every booking
    for row in _room_window_rows(sala, desde, hasta):
        shaped = _shaped(row, sala, room)
        if shaped["privada"]:
            private.append((len(reservas), row["usuario_id"]))
        reservas.append(shaped)
    return RoomWindow(reservas, private)


class Slot(NamedTuple):
    """A booking as a room's calendar shows it: its local hours ("09:00–09:30") and who booked it."""

    id: int
    horas: str
    titulo: str
    usuario: str


class Dia(NamedTuple):
    fecha: date
    slots: list[Slot]


@dataclass(frozen=True)
class Semana:
    """A room's week from a Monday, day by day, and (slot id, booker id) of its private bookings."""

    dias: list[Dia]
    privadas: list[tuple[int, int]]


_WEEK_FIELDS = ("id", "usuario_id", "usuario__username", "titulo", "inicio", "fin", "privada")
_weeks: StateCache[Semana] = StateCache("reservas-room-week")


def sala_semana(*, sala: Sala, monday: date) -> Semana:
    """The room's week from `monday` (local time): a booking across midnight is on both days.

    Laid out once per database state and zone, the same for every reader
    (sala_semana_ocultas() says which slots a viewer sees as "Ocupado").
    """
    key = (sala.pk, sala.privada, monday, timezone.get_current_timezone_name())
    return _weeks.get_or_compute(key, lambda: _week_layout(sala, monday))


def _week_layout(sala: Sala, monday: date) -> Semana:
    days = [monday + timedelta(days=d) for d in range(8)]
    # Compared in UTC, as the rows come: an aware comparison across zones costs ~10x.
    midnights = [timezone.make_aware(datetime.combine(day, time.min)).astimezone(UTC) for day in days]
    dias = [Dia(day, []) for day in days[:7]]
    privadas = []
    window = overlapping(Reserva.objects.filter(sala=sala), midnights[0], midnights[7]).order_by(*ROOM_ORDER)
    for row in window.values_list(*_WEEK_FIELDS)[:MAX_LISTED]:
        pk, booker, username, titulo, inicio, fin, privada = row
        slot = Slot(
            pk, f"{timezone.localtime(inicio):%H:%M}–{timezone.localtime(fin):%H:%M}", titulo, username
        )
        if privada or sala.privada:
            privadas.append((pk, booker))
        # The days it overlaps: from the one holding its start to the one before its end.
        first, last = bisect_right(midnights, inicio) - 1, bisect_left(midnights, fin) - 1
        for dia in dias[max(first, 0) : min(last, 6) + 1]:
            dia.slots.append(slot)
    return Semana(dias, privadas)


def sala_semana_ocultas(*, sala: Sala, semana: Semana, viewer: User | AnonymousUser | None) -> set[int]:
    """The ids of the week's slots `viewer` sees as "Ocupado", without title or booker."""
    return {slot_id for slot_id, booker in semana.privadas if not _sees_private(viewer, booker, sala)}


def reserva_is_private(reserva: Reserva) -> bool:
    return reserva.privada or reserva.sala.privada


def reserva_shows_details(*, viewer: User | AnonymousUser | None, reserva: Reserva) -> bool:
    """Whether the viewer sees a booking's title and booker: always, unless it is private;
    then only its booker, the room's owner (who approves its use) and staff do."""
    if not reserva_is_private(reserva):
        return True
    return _sees_private(viewer, reserva.usuario_id, reserva.sala)


def _sees_private(viewer: User | AnonymousUser | None, booker_id: int, sala: Sala) -> bool:
    if viewer is None or not viewer.is_authenticated:
        return False
    return viewer.is_staff or viewer.pk in {booker_id, sala.owner_id}


def reserva_to_dict(reserva: Reserva, *, viewer: User | AnonymousUser | None) -> dict[str, Any]:
    """The booking as `viewer` may see it: a private one of someone else's is "Ocupado", no booker."""
    row = {name: getattr(reserva, name) for name in _ROOM_WINDOW_FIELDS if "__" not in name}
    shaped = _shaped({**row, "usuario__username": reserva.usuario.username}, reserva.sala)
    return shaped if reserva_shows_details(viewer=viewer, reserva=reserva) else _redacted(shaped)


def _shaped(row: dict[str, Any], sala: Sala, room: dict[str, str] | None = None) -> dict[str, Any]:
    """A booking's row (_ROOM_WINDOW_FIELDS) as the API shows it to whoever may see its details."""
    localtime = timezone.localtime
    return {
        "id": row["id"],
        "sala": room or {"codigo": sala.codigo, "nombre": sala.nombre},
        "usuario": {"id": row["usuario_id"], "username": row["usuario__username"]},
        "titulo": row["titulo"],
        "inicio": localtime(row["inicio"]),
        "fin": localtime(row["fin"]),
        "asistentes": row["asistentes"],
        "estado": row["estado"],
        "privada": row["privada"] or sala.privada,
        "serie": str(row["serie"]) if row["serie"] else None,
        "created_at": localtime(row["created_at"]),
    }


def _redacted(shaped: dict[str, Any]) -> dict[str, Any]:
    # A series id would link the private bookings of one person.
    return {**shaped, "usuario": None, "titulo": str(OCUPADO), "serie": None}


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


def _page(queryset: QuerySet[Reserva], limit: int, fields: tuple[str, ...]) -> ReservaPage:
    rows: list[Any]
    # One row more than asked says whether there is a next page, without a count.
    if fields:
        # A page that shows a few columns reads only those: no booking, room and booker
        # instances per row (the booker's whole account row with them).
        rows = list(queryset.values("id", "inicio", *fields)[: limit + 1])
    else:
        rows = list(queryset.select_related("sala", "usuario")[: limit + 1])
    items = rows[:limit]
    if len(rows) <= limit:
        return ReservaPage(items, None)
    last = items[-1]
    return ReservaPage(items, Cursor(last["inicio"], last["id"]) if fields else Cursor(last.inicio, last.pk))
