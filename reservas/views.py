"""Booking pages: the room's week calendar and form, "Mis reservas", "Buscar sala libre"."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import RFC3986_SUBDELIMS, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from core.http import is_conflict
from core.views import error_response
from reservas import feeds, params, selectors, services
from reservas.forms import BuscarForm, ReservaForm
from salas.selectors import sala_get
from salas.services import sala_can_manage

FREE_PAGE_SIZE = 50
MIAS_PAGE_SIZE = 50
# What "Mis reservas" shows of each booking (besides id and inicio).
MIAS_FIELDS = ("fin", "titulo", "asistentes", "serie", "sala__codigo", "sala__nombre")
MAX_PAGE = 1_000_000


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
    # The room's page again, with this form's errors (its calendar: templatetags/reservas_calendar.py).
    context = {
        "sala": sala,
        "can_manage": sala_can_manage(user=request.user, sala=sala),
        "reserva_form": form,
        "conflictos": conflictos,
    }
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
            usuario=request.user, hasta=now, after=after, limit=MIAS_PAGE_SIZE, fields=MIAS_FIELDS
        )
    else:
        page = selectors.reservas_de_usuario(
            usuario=request.user, desde=now, after=after, limit=MIAS_PAGE_SIZE, fields=MIAS_FIELDS
        )
    sala_url, cancel_url = _url_of("salas:detail"), _url_of("reservas:cancel", marker=987654321)
    rows = [
        {**row, "sala_url": sala_url(row["sala__codigo"]), "cancel_url": cancel_url(row["id"])}
        for row in page.items
    ]
    context = {
        "reservas": rows,
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
    rows = []
    if found is not None and found.items:
        # Every row's "Reservar" link opens the room's page on the searched day and hours:
        # the same query for each row, built once (per row in the template it was 4 date
        # filters and a {% url %}: three quarters of the page's CPU).
        data = form.cleaned_data
        day = data["fecha"].isoformat()
        booking_query = urlencode(
            {
                "semana": day,
                "fecha": day,
                "hora_inicio": data["hora_inicio"].strftime("%H:%M"),
                "hora_fin": data["hora_fin"].strftime("%H:%M"),
            },
            safe=":",
        )
        sala_url = _url_of("salas:detail")
        rows = [
            {**sala, "reservar_url": f"{sala_url(sala['codigo'])}?{booking_query}#reservar"}
            for sala in found.items
        ]
    context = {"form": form, "found": found, "rows": rows, "querystring": querystring.urlencode()}
    return render(request, "reservas/buscar.html", context, status=status)


def _url_of(name: str, marker: str | int = "codigo-marker") -> Callable[[str | int], str]:
    """reverse(name, args=[value]) for each row of a page at the cost of one reverse (~50 µs each).

    The URL is reversed once around a marker; each value is quoted as reverse() quotes it.
    """
    prefix, _marker, suffix = reverse(name, args=[marker]).partition(str(marker))
    return lambda value: f"{prefix}{quote(str(value), safe=RFC3986_SUBDELIMS + '/~:@')}{suffix}"


def _add_errors(form: ReservaForm, exc: ValidationError) -> None:
    fields = {"inicio": "hora_inicio", "fin": "hora_fin", "repeticion": "veces"}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            name = fields.get(field, field)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)
