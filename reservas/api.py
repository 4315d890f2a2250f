"""The bookings JSON API: same conventions as the rooms API (core.http)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.http import AuthenticatedHttpRequest
from core.http import InvalidInput, api_view, json_error, json_response, parse_json_object
from reservas import feeds, params, selectors, services
from reservas.models import Reserva
from reservas.recurrence import repeticion_from_data
from salas.api import sala_list_params
from salas.selectors import sala_get

CREATE_FIELDS = ("sala", "titulo", "inicio", "fin", "asistentes")
OPTIONAL_FIELDS = ("repeticion", "omitir_conflictos", "privada")


@api_view(["POST"])
def reserva_create_api(request: HttpRequest) -> HttpResponse:
    data = parse_json_object(request)
    missing = {name: [_("Este campo es obligatorio.")] for name in CREATE_FIELDS if data.get(name) is None}
    unknown = {
        name: [_("Campo desconocido.")] for name in data if name not in (*CREATE_FIELDS, *OPTIONAL_FIELDS)
    }
    if missing or unknown:
        raise InvalidInput({**missing, **unknown})
    if not isinstance(data["sala"], str):
        raise InvalidInput({"sala": [_("El código de la sala, como texto.")]})
    omitir = data.get("omitir_conflictos", False)
    if not isinstance(omitir, bool):
        raise InvalidInput({"omitir_conflictos": [_("Debe ser true o false.")]})
    inicio, fin = _times(data)
    sala = sala_get(codigo=data["sala"])
    common = {
        "usuario": request.user,
        "sala": sala,
        "titulo": data["titulo"],
        "inicio": inicio,
        "fin": fin,
        "asistentes": data["asistentes"],
        "privada": data.get("privada", False),
    }
    try:
        if data.get("repeticion") is None:
            reserva = services.reserva_create(**common)
            return json_response(selectors.reserva_to_dict(reserva, viewer=request.user), status=201)
        resultado = services.reserva_series_create(
            **common, repeticion=repeticion_from_data(data["repeticion"]), omitir_conflictos=omitir
        )
    except services.ReservaConflicto as exc:
        return conflict_response(exc, serie=data.get("repeticion") is not None)
    body = {
        "creadas": [selectors.reserva_to_dict(r, viewer=request.user) for r in resultado.creadas],
        "omitidas": [conflicto_to_dict(c) for c in resultado.omitidas],
    }
    return json_response(body, status=201)


@api_view(["GET", "DELETE"])
def reserva_detail_api(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    reserva = selectors.reserva_get(pk=pk)
    if request.method == "GET":
        return json_response(selectors.reserva_to_dict(reserva, viewer=request.user))
    serie = request.GET.get("serie", "0")
    if serie not in {"0", "1"}:
        raise InvalidInput({"serie": [_("Debe ser 0 o 1.")]})
    services.reserva_cancel(reserva=reserva, actor=request.user, serie=serie == "1")
    return HttpResponse(status=204)


@api_view(["GET"])
def reserva_mias_api(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The caller's bookings: from now on in time order, or with pasadas=1 the ended ones newest first.

    A page of page_size (default 100); `next` is the URL of the following page
    (null on the last), `next_cursor` the same position for building one.
    """
    query = request.GET
    pasadas = query.get("pasadas", "0")
    if pasadas not in {"0", "1"}:
        raise InvalidInput({"pasadas": [_("Debe ser 0 o 1.")]})
    limit, after = params.page_size(query), params.parse_cursor(query)
    if pasadas == "1":
        if query.get("desde") or query.get("hasta"):
            raise InvalidInput({"pasadas": [_("No se combina con «desde» ni «hasta».")]})
        page = selectors.reservas_pasadas_de_usuario(
            usuario=request.user, hasta=timezone.now(), after=after, limit=limit
        )
    else:
        desde, hasta = params.window(query, default_days=None)
        page = selectors.reservas_de_usuario(
            usuario=request.user, desde=desde, hasta=hasta, after=after, limit=limit
        )
    next_cursor = params.cursor_text(page.next) if page.next else None
    next_url = None
    if next_cursor:
        following = query.copy()
        following["cursor"] = next_cursor
        next_url = f"{request.path}?{following.urlencode()}"
    body = {
        "reservas": [selectors.reserva_to_dict(r, viewer=request.user) for r in page.items],
        "next": next_url,
        "next_cursor": next_cursor,
    }
    return json_response(body)


@api_view(["GET"])
def sala_reservas_api(request: HttpRequest, codigo: str) -> HttpResponse:
    desde, hasta = params.window(request.GET)
    sala = sala_get(codigo=codigo)
    reservas = selectors.reservas_de_sala_dicts(sala=sala, desde=desde, hasta=hasta, viewer=request.user)
    return json_response({"reservas": reservas})


@api_view(["GET"])
def salas_disponibles_api(request: HttpRequest) -> HttpResponse:
    missing = {
        name: [_("Este campo es obligatorio.")] for name in ("inicio", "fin") if not request.GET.get(name)
    }
    if missing:
        raise InvalidInput(missing)
    inicio = params.parse_datetime("inicio", request.GET["inicio"])
    fin = params.parse_datetime("fin", request.GET["fin"])
    params.search_window(inicio, fin)
    listing = sala_list_params(request.GET)
    sala_page = selectors.salas_disponibles(
        inicio=inicio,
        fin=fin,
        min_capacidad=listing.min_capacidad,
        page=listing.page,
        page_size=listing.page_size,
    )
    body = {
        "salas": sala_page.items,
        "count": sala_page.count,
        "page": sala_page.page,
        "pages": sala_page.pages,
    }
    return json_response(body)


@api_view(["GET", "POST"])
def ical_url_api(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The feed URL: your bookings, or with ?sala=<code> that room's. POST rotates them all first."""
    if request.method == "POST":
        feeds.feed_rotate(user=request.user)
    codigo = request.GET.get("sala")
    sala = sala_get(codigo=codigo) if codigo else None
    return json_response({"ical": feeds.feed_url(request, request.user, sala=sala)})


def conflict_response(exc: services.ReservaConflicto, *, serie: bool) -> HttpResponse:
    """409 naming `inicio`, the colliding bookings and, for a series, each occurrence's collisions."""
    clashes = [slot for conflicto in exc.conflictos for slot in conflicto.reservas]
    extra: dict[str, Any] = {"conflictos": [selectors.slot_to_dict(r) for r in _unique(clashes)]}
    if serie:
        extra["ocurrencias"] = [conflicto_to_dict(c) for c in exc.conflictos]
    fields = {"inicio": [_("La sala ya está reservada en ese horario.")]}
    return json_error(409, str(exc), fields, **extra)


def conflicto_to_dict(conflicto: services.Conflicto) -> dict[str, Any]:
    start, end = conflicto.slot
    return {
        "inicio": timezone.localtime(start),
        "fin": timezone.localtime(end),
        "conflictos": [selectors.slot_to_dict(r) for r in conflicto.reservas],
    }


def _times(data: dict[str, Any]) -> tuple[Any, Any]:
    errors: dict[str, list[str]] = {}
    values = []
    for name in ("inicio", "fin"):
        try:
            values.append(params.parse_datetime(name, data[name]))
        except ValidationError as exc:
            errors.update(
                {field: [m for e in es for m in e.messages] for field, es in exc.error_dict.items()}
            )
    if errors:
        raise InvalidInput(errors)
    return values[0], values[1]


def _unique(reservas: list[Reserva]) -> list[Reserva]:
    seen: dict[int, Reserva] = {}
    for reserva in reservas:
        seen.setdefault(reserva.pk, reserva)
    return sorted(seen.values(), key=lambda r: (r.inicio, r.pk))
