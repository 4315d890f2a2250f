"""{% sala_semana sala %}: a room's week (or, with ?dia=, one day) of bookings, its booking form
and feed, on the room's page.

The room's page belongs to salas, which never imports reservas: its template
loads this tag, and the booking view re-renders the same page with its form and
conflicts in the context (`reserva_form`, `conflictos`), which the tag shows.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language

from replication import StateCache
from reservas import feeds, params, selectors
from reservas.forms import ReservaForm
from salas.models import Sala

register = template.Library()


@register.inclusion_tag("reservas/semana.html", takes_context=True)
def sala_semana(context: template.Context, sala: Sala) -> dict[str, Any]:
    request = context["request"]
    # ?dia= shows one day (a busy room's week is ~340 bookings); its week is the one laid out.
    dia = _date_param(request.GET.get("dia"))
    monday = params.monday_of(dia) if dia else _week_param(request.GET.get("semana"))
    semana = selectors.sala_semana(sala=sala, monday=monday)
    ocultas = selectors.sala_semana_ocultas(sala=sala, semana=semana, viewer=request.user)
    form = context.get("reserva_form")
    if form is None:
        initial = {
            key: request.GET[key] for key in ("fecha", "hora_inicio", "hora_fin") if request.GET.get(key)
        }
        if dia and "fecha" not in initial:
            initial["fecha"] = dia.isoformat()
        form = ReservaForm(initial={"asistentes": 1, **initial})
    return {
        "sala": sala,
        "calendario": _calendar(sala, monday, semana, ocultas, dia),
        "reserva_form": form,
        "conflictos": context.get("conflictos") or [],
        "feed_url": feeds.feed_url(request, request.user, sala=sala),
    }


# The week's section as HTML: the same for every viewer who sees the same bookings as
# "Ocupado", in one language. ~340 bookings cost ~20 ms of template rendering.
_calendars: StateCache[str] = StateCache("reservas-room-calendar")


def _calendar(sala: Sala, monday: date, semana: selectors.Semana, ocultas: set[int], dia: date | None) -> str:
    key = (sala.pk, monday, dia, get_language(), timezone.get_current_timezone_name(), tuple(sorted(ocultas)))
    context = {
        "days": [semana.dias[dia.weekday()]] if dia else semana.dias,
        # Bookings shown as "Ocupado", without title or booker, to this viewer.
        "ocultas": ocultas,
        "semana": monday,
        "semana_anterior": monday - timedelta(days=7),
        "semana_siguiente": monday + timedelta(days=7),
        "dia": dia,
        "dia_anterior": dia and dia - timedelta(days=1),
        "dia_siguiente": dia and dia + timedelta(days=1),
    }
    return _calendars.get_or_compute(
        key, lambda: render_to_string("reservas/semana_calendario.html", context)
    )


def _date_param(raw: str | None) -> date | None:
    """The day `raw` names (YYYY-MM-DD) within the years a booking may fall in, else None."""
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    if day is None or not params.MIN_YEAR <= day.year <= params.MAX_YEAR:
        return None
    return day


def _week_param(raw: str | None) -> date:
    day = _date_param(raw)
    return params.monday_of(day) if day else params.week_start()
