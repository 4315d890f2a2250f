"""Booking pages: the room's week calendar and form, "Mis reservas", "Buscar sala libre"."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.http import AuthenticatedHttpRequest, is_conflict
from core.views import error_response
from reservas import feeds, params, selectors, services
from reservas.forms import BuscarForm, ReservaForm
from salas.models import Sala
from salas.selectors import sala_get
from salas.services import sala_can_manage

FREE_PAGE_SIZE = 50
MIAS_PAGE_SIZE = 50
MAX_PAGE = 1_000_000


def sala_page_context(
    request: AuthenticatedHttpRequest,
    sala: Sala,
    *,
    form: ReservaForm | None = None,
    conflictos: list | None = None,
) -> dict[str, Any]:
    """What the room's page shows: the room, its week of bookings and the booking form."""
    monday = _week_param(request.GET.get("semana"))
    desde = params.local_midnight(monday)
    reservas = selectors.reservas_de_sala(
        sala=sala, desde=desde, hasta=params.local_midnight(monday + timedelta(7))
    )
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        start, end = params.local_midnight(day), params.local_midnight(day + timedelta(days=1))
        days.append({"date": day, "reservas": [r for r in reservas if r.inicio < end and r.fin > start]})
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
        "can_manage": sala_can_manage(user=request.user, sala=sala),
        "days": days,
        "semana": monday,
        "semana_anterior": monday - timedelta(days=7),
        "semana_siguiente": monday + timedelta(days=7),
        "reserva_form": form,
        "conflictos": conflictos or [],
        "feed_url": feeds.feed_url(request, request.user, sala=sala),
    }


@login_required
@require_POST
def reserva_create_page(request: AuthenticatedHttpRequest, codigo: str) -> HttpResponse:
    sala = sala_get(codigo=codigo)
    form = ReservaForm(request.POST)
    conflictos: list = []
    status = 400
    if form.is_valid():
        common = {
            "usuario": request.user,
            "sala": sala,
            "titulo": form.cleaned_data["titulo"],
            "inicio": form.inicio(),
            "fin": form.fin(),
            "asistentes": form.cleaned_data["asistentes"],
            "privada": form.cleaned_data["privada"],
        }
        try:
            repeticion = form.repeticion()
            if repeticion is None:
                created = [services.reserva_create(**common)]
            else:
                created = services.reserva_series_create(**common, repeticion=repeticion).creadas
        except services.ReservaConflicto as exc:
            conflictos = exc.conflictos
            form.add_error(None, _("La sala ya está reservada en ese horario."))
            status = 409
        except ValidationError as exc:
            _add_errors(form, exc)
            status = 409 if is_conflict(exc) else 400
        else:
            messages.success(
                request,
                _("Reserva «%(titulo)s» confirmada (%(n)d).")
                % {"titulo": created[0].titulo, "n": len(created)},
            )
            semana = params.week_start(created[0].inicio)
            return redirect(f"{reverse('salas:detail', args=[sala.codigo])}?semana={semana.isoformat()}")
    context = sala_page_context(request, sala, form=form, conflictos=conflictos)
    return render(request, "salas/sala_detail.html", context, status=status)


@login_required
def mis_reservas(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upcoming bookings (or, with ?pasadas=1, ended ones newest first), a page at a time."""
    pasadas = request.GET.get("pasadas") == "1"
    try:
        after = params.parse_cursor(request.GET)
    except ValidationError as exc:
        return error_response(request, 400, " ".join(exc.messages))
    now = timezone.now()
    if pasadas:
        page = selectors.reservas_pasadas_de_usuario(
            usuario=request.user, hasta=now, after=after, limit=MIAS_PAGE_SIZE
        )
    else:
        page = selectors.reservas_de_usuario(
            usuario=request.user, desde=now, after=after, limit=MIAS_PAGE_SIZE
        )
    context = {
        "reservas": page.items,
        "pasadas": pasadas,
        "next_cursor": params.cursor_text(page.next) if page.next else None,
        "feed_url": feeds.feed_url(request, request.user),
    }
    return render(request, "reservas/mis_reservas.html", context)


@login_required
@require_POST
def reserva_cancel_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    reserva = selectors.reserva_get(pk=pk)
    count = services.reserva_cancel(
        reserva=reserva, actor=request.user, serie=request.POST.get("serie") == "1"
    )
    messages.success(request, _("Reservas canceladas: %(n)d.") % {"n": count})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("reservas:mias")
    return redirect(target)


@login_required
@require_POST
def feed_rotate_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    feeds.feed_rotate(user=request.user)
    messages.success(request, _("Enlace de calendario renovado: el anterior ya no funciona."))
    return redirect("reservas:mias")


@login_required
@require_http_methods(["GET"])
def buscar(request: HttpRequest) -> HttpResponse:
    form = BuscarForm(request.GET or None)
    found = None
    raw_page = request.GET.get("page") or "1"
    if not raw_page.isdigit() or not 1 <= int(raw_page) <= MAX_PAGE:
        return error_response(request, 400, _("Página no válida."))
    if form.is_valid():
        found = selectors.salas_disponibles(
            inicio=form.inicio(),
            fin=form.fin(),
            min_capacidad=form.cleaned_data.get("min_capacidad"),
            page=int(raw_page),
            page_size=FREE_PAGE_SIZE,
        )
    status = 400 if form.errors else 200
    querystring = request.GET.copy()
    querystring.pop("page", None)
    context = {"form": form, "found": found, "querystring": querystring.urlencode()}
    return render(request, "reservas/buscar.html", context, status=status)


def _week_param(raw: str | None) -> date:
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        day = None
    if day is None or not params.MIN_YEAR <= day.year <= params.MAX_YEAR:
        return params.week_start()
    return day - timedelta(days=day.weekday())


def _add_errors(form: ReservaForm, exc: ValidationError) -> None:
    fields = {"inicio": "hora_inicio", "fin": "hora_fin", "repeticion": "veces"}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            name = fields.get(field, field)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)
