"""{% sala_semana sala %}: a room's week of bookings, its booking form and feed, on the room's page.

The room's page belongs to salas, which never imports reservas: its template
loads this tag, and the booking view re-renders the same page with its form and
conflicts in the context (`reserva_form`, `conflictos`), which the tag shows.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import template

from reservas import feeds, params, selectors
from reservas.forms import ReservaForm
from salas.models import Sala

register = template.Library()


@register.inclusion_tag("reservas/semana.html", takes_context=True)
def sala_semana(context: template.Context, sala: Sala) -> dict[str, Any]:
    request = context["request"]
    monday = _week_param(request.GET.get("semana"))
    reservas = selectors.reservas_de_sala(
        sala=sala, desde=params.local_midnight(monday), hasta=params.local_midnight(monday + timedelta(7))
    )
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        start, end = params.local_midnight(day), params.local_midnight(day + timedelta(days=1))
        days.append({"date": day, "reservas": [r for r in reservas if r.inicio < end and r.fin > start]})
    form = context.get("reserva_form")
    if form is None:
        initial = {
            key: request.GET[key] for key in ("fecha", "hora_inicio", "hora_fin") if request.GET.get(key)
        }
        form = ReservaForm(initial={"asistentes": 1, **initial})
    return {
        "sala": sala,
        # Bookings shown as "Ocupado", without title or booker, to this viewer.
        "ocultas": {
            r.pk for r in reservas if not selectors.reserva_shows_details(viewer=request.user, reserva=r)
        },
        "days": days,
        "semana": monday,
        "semana_anterior": monday - timedelta(days=7),
        "semana_siguiente": monday + timedelta(days=7),
        "reserva_form": form,
        "conflictos": context.get("conflictos") or [],
        "feed_url": feeds.feed_url(request, request.user, sala=sala),
    }


def _week_param(raw: str | None) -> date:
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        day = None
    if day is None or not params.MIN_YEAR <= day.year <= params.MAX_YEAR:
        return params.week_start()
    return day - timedelta(days=day.weekday())
