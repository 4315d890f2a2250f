"""Recurring bookings: a rule from the API or a form, expanded into occurrences.

Occurrences are expanded with dateutil's rrule in the configured local time,
then made aware there: a weekly 10:00 booking stays at 10:00 on the wall clock
across a daylight-saving change (its UTC time moves by the hour instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import islice
from typing import Any, Literal

from dateutil.rrule import DAILY, WEEKLY, rrule
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

MAX_OCCURRENCES = 52
# rrule() takes its frequency as one of the constants YEARLY (0) .. SECONDLY (6).
FRECUENCIAS: dict[str, Literal[0, 1, 2, 3, 4, 5, 6]] = {"diaria": DAILY, "semanal": WEEKLY}
_FIELDS = {"frecuencia", "intervalo", "veces", "hasta"}

Slot = tuple[datetime, datetime]


@dataclass(frozen=True)
class Repeticion:
    frecuencia: str
    intervalo: int = 1
    veces: int | None = None
    hasta: date | None = None


def repeticion_from_data(data: Any) -> Repeticion:
    """A Repeticion from its JSON shape, or a ValidationError naming `repeticion`."""

    def invalid(message: str) -> ValidationError:
        return ValidationError({"repeticion": ValidationError(message, code="invalid")})

    if not isinstance(data, dict):
        raise invalid(_("Debe ser un objeto con frecuencia, intervalo y veces u hasta."))
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise invalid(_("Campos desconocidos: %(names)s.") % {"names": ", ".join(unknown)})
    frecuencia = data.get("frecuencia")
    if not isinstance(frecuencia, str) or frecuencia not in FRECUENCIAS:
        raise invalid(_("La frecuencia debe ser «diaria» o «semanal»."))
    intervalo = data.get("intervalo", 1)
    if not _is_int(intervalo) or not 1 <= intervalo <= 52:
        raise invalid(_("El intervalo debe ser un entero entre 1 y 52."))
    veces, hasta = data.get("veces"), data.get("hasta")
    if (veces is None) == (hasta is None):
        raise invalid(_("Indica «veces» o «hasta» (uno de los dos)."))
    if veces is not None and (not _is_int(veces) or not 1 <= veces <= MAX_OCCURRENCES):
        raise invalid(_("«veces» debe ser un entero entre 1 y %(max)d.") % {"max": MAX_OCCURRENCES})
    if hasta is not None:
        try:
            hasta = date.fromisoformat(hasta) if isinstance(hasta, str) else None
        except ValueError:
            hasta = None
        if hasta is None:
            raise invalid(_("«hasta» debe ser una fecha AAAA-MM-DD."))
    return Repeticion(frecuencia=frecuencia, intervalo=intervalo, veces=veces, hasta=hasta)


def expand(*, inicio: datetime, fin: datetime, repeticion: Repeticion) -> list[Slot]:
    """Every occurrence [inicio, fin) of the rule, the first at inicio; at most MAX_OCCURRENCES."""
    zone = timezone.get_current_timezone()
    local_start = timezone.localtime(inicio, zone).replace(tzinfo=None)
    local_duration = timezone.localtime(fin, zone).replace(tzinfo=None) - local_start
    until = datetime.combine(repeticion.hasta, time.max) if repeticion.hasta else None
    frequency = FRECUENCIAS[repeticion.frecuencia]
    if until is None:
        rule = rrule(frequency, dtstart=local_start, interval=repeticion.intervalo, count=repeticion.veces)
    else:
        rule = rrule(frequency, dtstart=local_start, interval=repeticion.intervalo, until=until)
    # One more than allowed tells a too-long "hasta" apart from an exact fit.
    starts = list(islice(rule, MAX_OCCURRENCES + 1))
    if not starts:
        raise ValidationError(
            {"repeticion": ValidationError(_("«hasta» es anterior al inicio."), code="invalid")}
        )
    if len(starts) > MAX_OCCURRENCES:
        raise ValidationError(
            {
                "repeticion": ValidationError(
                    _("Como máximo %(max)d repeticiones.") % {"max": MAX_OCCURRENCES}, code="invalid"
                )
            }
        )
    return [(_aware(start, zone), _aware(start + local_duration, zone)) for start in starts]


def _aware(local: datetime, zone: Any) -> datetime:
    # zoneinfo resolves a wall time skipped by a DST change forwards and a
    # repeated one to its first occurrence (fold=0), as a calendar app would.
    return local.replace(tzinfo=zone)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
