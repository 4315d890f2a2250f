"""Dates and times from query strings and JSON bodies, as the API and the pages accept them.

ISO 8601 with any offset; a datetime without one, and a bare date (its
midnight), are read in the configured zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from reservas.selectors import Cursor

MAX_WINDOW_DAYS = 62
MIN_YEAR, MAX_YEAR = 1970, 2999
# The free-room search looks at one booking's worth of time at most: a window
# longer than any booking may last answers no booking question, and reading the
# window's bookings is what the search costs.
MAX_SEARCH_HOURS = 24
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 100, 500  # GET /reserva/mias (reservas/schemas.py)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def parse_datetime(name: str, value: Any, *, dates: bool = False) -> datetime:
    """An aware datetime from ISO 8601 text, or a ValidationError naming the field."""
    if isinstance(value, str) and len(value) <= 40:
        text = value.strip()
        try:
            parsed = (
                datetime.combine(date.fromisoformat(text), time.min)
                if dates and len(text) == 10
                else datetime.fromisoformat(text)
            )
        except ValueError:
            pass
        else:
            # Far years would overflow the conversion to UTC (or to the local zone).
            if MIN_YEAR <= parsed.year <= MAX_YEAR:
                return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed
    message = (
        _("Fecha u hora ISO 8601 (AAAA-MM-DD o AAAA-MM-DDTHH:MM±HH:MM).")
        if dates
        else _("Fecha y hora ISO 8601, p. ej. 2026-12-01T10:00-05:00.")
    )
    raise ValidationError({name: ValidationError(message, code="invalid")})


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def week_start(moment: datetime | None = None) -> date:
    """The Monday of the local week holding `moment` (now by default)."""
    return monday_of(timezone.localdate(moment) if moment else timezone.localdate())


def monday_of(day: date) -> date:
    """The Monday of the week holding `day`."""
    return day - timedelta(days=day.weekday())


def window(query: Any, *, default_days: int | None = 7) -> tuple[datetime, datetime | None]:
    """[desde, hasta) from a query string: the current week by default, at most 62 days."""
    raw_desde, raw_hasta = query.get("desde"), query.get("hasta")
    if raw_desde:
        desde = parse_datetime("desde", raw_desde, dates=True)
    elif default_days is None:
        desde = timezone.now()
    else:
        desde = local_midnight(week_start())
    if raw_hasta:
        hasta: datetime | None = parse_datetime("hasta", raw_hasta, dates=True)
    elif default_days is None:
        hasta = None
    else:
        hasta = local_midnight(timezone.localdate(desde) + timedelta(days=default_days))
    if hasta is not None:
        if hasta <= desde:
            raise ValidationError(
                {"hasta": ValidationError(_("Debe ser posterior a «desde»."), code="invalid")}
            )
        if hasta - desde > timedelta(days=MAX_WINDOW_DAYS):
            raise ValidationError(
                {
                    "hasta": ValidationError(
                        _("Como máximo %(n)d días entre «desde» y «hasta».") % {"n": MAX_WINDOW_DAYS},
                        code="invalid",
                    )
                }
            )
    return desde, hasta


def search_window(inicio: datetime, fin: datetime) -> None:
    """A ValidationError unless [inicio, fin) is a window the free-room search answers."""
    if fin <= inicio:
        raise ValidationError(
            {"fin": ValidationError(_("El fin debe ser posterior al inicio."), code="invalid")}
        )
    if fin - inicio > timedelta(hours=MAX_SEARCH_HOURS):
        raise ValidationError(
            {
                "fin": ValidationError(
                    _("Como máximo %(n)d horas entre «inicio» y «fin».") % {"n": MAX_SEARCH_HOURS},
                    code="invalid",
                )
            }
        )


def cursor_text(cursor: Cursor) -> str:
    """Where the next page starts, as opaque text for a query string."""
    return f"{(cursor.inicio - _EPOCH) // _MICROSECOND}_{cursor.id}"


def parse_cursor(query: Any) -> Cursor | None:
    raw = query.get("cursor") or ""
    if not raw:
        return None
    micros, _sep, pk = raw.partition("_")
    if micros.isdigit() and pk.isdigit() and len(micros) <= 17 and len(pk) <= 18:
        moment = _EPOCH + int(micros) * _MICROSECOND
        if MIN_YEAR <= moment.year <= MAX_YEAR:
            return Cursor(moment, int(pk))
    raise ValidationError({"cursor": ValidationError(_("Cursor no válido."), code="invalid")})
