"""Writes on bookings. Pages, the JSON API and the admin all call these.

No double-booking, whatever the concurrency: every booking of a room runs one
transaction on the primary that locks the room's row (SELECT ... FOR UPDATE),
looks for an overlapping confirmed booking and inserts. The lock serialises
the bookings of one room on whichever node they arrive, and each one's
overlap check sees every booking committed before it (READ COMMITTED reads
the latest committed rows), so the answer never depends on a replica's lag.
MariaDB has no exclusion constraints; the room lock is what stands in for one.
Rooms lock the same row to be deleted or have their capacity lowered, so a
booking and those changes are serialised too (salas.services).

Inside the transaction the router sends every read to the primary.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from replication import primary_atomic
from reservas.metrics import count_bookings
from reservas.models import TITULO_MAX, Reserva
from reservas.params import week_start
from reservas.recurrence import Repeticion, Slot, expand
from reservas.selectors import overlapping
from salas.models import Sala

Confirmada = Reserva.Estado.CONFIRMADA


@dataclass
class Conflicto:
    """One requested occurrence and the confirmed bookings it collides with."""

    slot: Slot
    reservas: list[Reserva]


class ReservaConflicto(Exception):
    """The room is taken for (some of) the requested time: nothing was written."""

    def __init__(self, conflictos: list[Conflicto]):
        super().__init__(_("La sala ya está reservada en ese horario."))
        self.conflictos = conflictos


@dataclass
class SerieResultado:
    creadas: list[Reserva] = field(default_factory=list)
    omitidas: list[Conflicto] = field(default_factory=list)


def reserva_can_cancel(*, user: User, reserva: Reserva) -> bool:
    # Compared one by one, so that reserva.sala (a query) is read only for someone else's booking.
    return user.is_authenticated and (
        user.is_staff or reserva.usuario_id == user.pk or reserva.sala.owner_id == user.pk  # noqa: PLR1714
    )


def reserva_create(
    *,
    usuario: User,
    sala: Sala,
    titulo: str,
    inicio: datetime,
    fin: datetime,
    asistentes: int,
    privada: bool = False,
) -> Reserva:
    """Book the room for [inicio, fin); ReservaConflicto when a confirmed booking overlaps."""
    titulo = _validate(titulo=titulo, inicio=inicio, fin=fin, asistentes=asistentes, privada=privada)
    resultado = _book(
        usuario=usuario,
        sala=sala,
        titulo=titulo,
        slots=[(inicio, fin)],
        asistentes=asistentes,
        privada=privada,
        serie=None,
        omitir_conflictos=False,
    )
    return resultado.creadas[0]


def reserva_series_create(
    *,
    usuario: User,
    sala: Sala,
    titulo: str,
    inicio: datetime,
    fin: datetime,
    asistentes: int,
    repeticion: Repeticion,
    omitir_conflictos: bool = False,
    privada: bool = False,
) -> SerieResultado:
    """Book every occurrence of the rule: all or nothing, or only the free ones with omitir_conflictos."""
    titulo = _validate(titulo=titulo, inicio=inicio, fin=fin, asistentes=asistentes, privada=privada)
    slots = expand(inicio=inicio, fin=fin, repeticion=repeticion)
    if slots[-1][0] > _horizon():
        raise ValidationError(
            {
                "repeticion": ValidationError(
                    _("La última repetición pasa del límite de %(days)d días.")
                    % {"days": settings.RESERVA_HORIZON_DAYS},
                    code="invalid",
                )
            }
        )
    return _book(
        usuario=usuario,
        sala=sala,
        titulo=titulo,
        slots=slots,
        asistentes=asistentes,
        privada=privada,
        serie=uuid.uuid4(),
        omitir_conflictos=omitir_conflictos,
    )


def reserva_cancel(*, reserva: Reserva, actor: User, serie: bool = False) -> int:
    """Cancel the booking (with serie, also every later occurrence of its series); how many changed."""
    with primary_atomic():
        locked = Reserva.objects.select_for_update().select_related("sala").filter(pk=reserva.pk).first()
        if locked is None:
            raise Http404(reserva.pk)
        if not reserva_can_cancel(user=actor, reserva=locked):
            raise PermissionDenied
        targets = Reserva.objects.filter(pk=locked.pk)
        if serie and locked.serie is not None:
            targets = Reserva.objects.filter(serie=locked.serie, inicio__gte=locked.inicio)
        return targets.filter(estado=Confirmada).update(
            estado=Reserva.Estado.CANCELADA, updated_at=timezone.now()
        )


def _book(
    *,
    usuario: User,
    sala: Sala,
    titulo: str,
    slots: list[Slot],
    asistentes: int,
    privada: bool,
    serie: uuid.UUID | None,
    omitir_conflictos: bool,
) -> SerieResultado:
    with primary_atomic():
        # The lock that serialises every booking of this room (see the module docstring).
        locked = Sala.objects.select_for_update().filter(pk=sala.pk).first()
        if locked is None:
            raise Http404(sala.codigo)
        if asistentes > locked.capacidad:
            raise ValidationError(
                {
                    "asistentes": ValidationError(
                        _("La sala admite como máximo %(max)d asistentes.") % {"max": locked.capacidad},
                        code="max_value",
                    )
                }
            )
        # Reads only the neighbours on (sala, estado, inicio), however many bookings the room has.
        taken = list(
            overlapping(
                Reserva.objects.filter(sala=locked),
                min(start for start, _end in slots),
                max(end for _start, end in slots),
            )
            .order_by()
            .only("id", "inicio", "fin")
        )
        resultado = SerieResultado()
        free: list[Slot] = []
        for slot in slots:
            start, end = slot
            # Half-open intervals: one ending at 10:00 and one starting at 10:00 do not collide.
            clashes = [r for r in taken if r.inicio < end and r.fin > start]
            if clashes:
                resultado.omitidas.append(Conflicto(slot, clashes))
            else:
                free.append(slot)
        if resultado.omitidas and not omitir_conflictos:
            count_bookings(created=0, conflicts=len(resultado.omitidas))
            raise ReservaConflicto(resultado.omitidas)
        if not usuario.is_staff:
            _check_user_limits(usuario=usuario, slots=free)
        rows = [
            Reserva(
                sala=locked,
                usuario=usuario,
                titulo=titulo,
                inicio=start,
                fin=end,
                asistentes=asistentes,
                privada=privada,
                serie=serie,
            )
            for start, end in free
        ]
        if len(rows) == 1:
            rows[0].save()
        elif rows:
            Reserva.objects.bulk_create(rows)
        for row in rows:
            row.sala = locked
        resultado.creadas = rows
    count_bookings(created=len(rows), conflicts=len(resultado.omitidas))
    return resultado


def _check_user_limits(*, usuario: User, slots: list[Slot]) -> None:
    """Refuse (409, naming the limit) what would take the user past their booking quotas.

    Without a cap, a few series requests from one fresh account fill a room for a
    year. Called under the room lock; the user's row is locked too, so that two
    bookings of one user in different rooms cannot both pass the same count.
    """
    User.objects.select_for_update().filter(pk=usuario.pk).values_list("pk").first()
    booked = list(
        Reserva.objects.filter(usuario=usuario, estado=Confirmada, fin__gt=timezone.now()).values_list(
            "inicio", "fin"
        )
    )
    limit = settings.RESERVA_MAX_FUTURE_PER_USER
    if len(booked) + len(slots) > limit:
        raise _limit_error(
            _("Superarías el límite de %(n)d reservas futuras por persona; cancela alguna antes.")
            % {"n": limit}
        )
    hours: dict[tuple[int, int], float] = {}
    for start, end in [*booked, *slots]:
        hours[_week(start)] = hours.get(_week(start), 0.0) + (end - start).total_seconds() / 3600
    weekly = settings.RESERVA_MAX_HOURS_PER_WEEK
    for start, _end in slots:
        if hours[_week(start)] > weekly:
            raise _limit_error(
                _("Superarías el límite de %(n)d horas reservadas por semana (semana del %(lunes)s).")
                % {"n": weekly, "lunes": week_start(start).isoformat()}
            )


def _week(moment: datetime) -> tuple[int, int]:
    """The ISO (year, week) of the moment in local time: weeks run Monday to Sunday."""
    iso = timezone.localtime(moment).isocalendar()
    return iso.year, iso.week


def _limit_error(message: str) -> ValidationError:
    # "conflict": other rows (the user's own bookings) refuse it, so 409, not 400.
    return ValidationError({"__all__": ValidationError(message, code="conflict")})


def _validate(*, titulo: object, inicio: object, fin: object, asistentes: object, privada: object) -> str:
    errors: dict[str, list[ValidationError]] = {}

    def add(name: str, message: str, code: str = "invalid") -> None:
        errors.setdefault(name, []).append(ValidationError(message, code=code))

    if not isinstance(titulo, str) or not titulo.strip():
        add("titulo", _("Escribe un título."), "required")
    elif len(titulo.strip()) > TITULO_MAX:
        add("titulo", _("Como máximo %(max)d caracteres.") % {"max": TITULO_MAX}, "max_length")
    if isinstance(asistentes, bool) or not isinstance(asistentes, int):
        add("asistentes", _("Debe ser un número entero."))
    elif asistentes < 1:
        add("asistentes", _("Al menos 1 asistente."), "min_value")
    if not isinstance(privada, bool):
        add("privada", _("Debe ser true o false."))
    for name, value in (("inicio", inicio), ("fin", fin)):
        if not isinstance(value, datetime) or timezone.is_naive(value):
            add(name, _("Fecha y hora con zona horaria (ISO 8601)."))
    if isinstance(inicio, datetime) and isinstance(fin, datetime) and not errors.keys() & {"inicio", "fin"}:
        _validate_interval(inicio, fin, add)
    if errors:
        raise ValidationError(errors)
    return cast(str, titulo).strip()  # no error about it: a str


def _validate_interval(inicio: datetime, fin: datetime, add) -> None:
    if fin <= inicio:
        add("fin", _("El fin debe ser posterior al inicio."))
        return
    duration = fin - inicio
    if duration < timedelta(minutes=settings.RESERVA_MIN_MINUTES):
        add("fin", _("Una reserva dura al menos %(n)d minutos.") % {"n": settings.RESERVA_MIN_MINUTES}, "min")
    elif duration > timedelta(hours=settings.RESERVA_MAX_HOURS):
        add("fin", _("Una reserva dura como máximo %(n)d horas.") % {"n": settings.RESERVA_MAX_HOURS}, "max")
    if inicio < timezone.now():
        add("inicio", _("El inicio no puede estar en el pasado."), "past")
    elif inicio > _horizon():
        add(
            "inicio",
            _("Como máximo %(days)d días de antelación.") % {"days": settings.RESERVA_HORIZON_DAYS},
            "horizon",
        )


def _horizon() -> datetime:
    return timezone.now() + timedelta(days=settings.RESERVA_HORIZON_DAYS)
