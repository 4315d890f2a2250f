"""The bookings JSON API (its Router; salas_project/api.py mounts it): thin handlers, same contract as the rooms'."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router

from accounts.http import AuthenticatedHttpRequest
from core.api import ERRORS, signed_in
from core.http import InvalidInput, json_error, json_response
from reservas import feeds, params, selectors, services
from reservas.models import Reserva
from reservas.recurrence import repeticion_from_data
from reservas.schemas import (
    CancelQuery,
    ConflictOut,
    DisponiblesQuery,
    FeedQuery,
    IcalOut,
    MiasQuery,
    ReservaIn,
    ReservaOut,
    ReservasOut,
    ReservasPageOut,
    SerieOut,
    WindowQuery,
)
from salas.schemas import SalaPageOut
from salas.selectors import sala_get

router = Router(auth=signed_in, tags=["reservas"])


@router.post(
    "/reserva/create",
    response={201: ReservaOut | SerieOut, **ERRORS, 409: ConflictOut},
    summary="Book a room (once, or a series with `repeticion`)",
)
def reserva_create(request: AuthenticatedHttpRequest, payload: ReservaIn) -> HttpResponse:
    repeticion = repeticion_from_data(payload.repeticion) if payload.repeticion is not None else None
    common: dict[str, Any] = {
        "usuario": request.user,
        "sala": sala_get(codigo=payload.sala),
        "titulo": payload.titulo,
        "inicio": payload.inicio,
        "fin": payload.fin,
        "asistentes": payload.asistentes,
        "privada": payload.privada,
    }
    try:
        if repeticion is None:
            reserva = services.reserva_create(**common)
            return json_response(selectors.reserva_to_dict(reserva, viewer=request.user), status=201)
        resultado = services.reserva_series_create(
            **common, repeticion=repeticion, omitir_conflictos=payload.omitir_conflictos
        )
    except services.ReservaConflicto as exc:
        return conflict_response(exc, serie=repeticion is not None)
    body = {
        "creadas": [selectors.reserva_to_dict(r, viewer=request.user) for r in resultado.creadas],
        "omitidas": [conflicto_to_dict(c) for c in resultado.omitidas],
    }
    return json_response(body, status=201)


@router.get("/reserva/mias", response={200: ReservasPageOut, **ERRORS}, summary="My bookings")
def reserva_mias(request: AuthenticatedHttpRequest, window: Query[MiasQuery]) -> HttpResponse:
    """The caller's bookings: from now on in time order, or with pasadas=1 the ended ones newest first.

    A page of page_size (default 100); `next` is the URL of the following page
    (null on the last), `next_cursor` the same position for building one.
    """
    after = params.parse_cursor({"cursor": window.cursor})
    if window.pasadas == "1":
        if window.desde or window.hasta:
            raise InvalidInput({"pasadas": [_("No se combina con «desde» ni «hasta».")]})
        page = selectors.reservas_pasadas_de_usuario(
            usuario=request.user, hasta=timezone.now(), after=after, limit=window.page_size
        )
    else:
        desde, hasta = params.window(window.model_dump(), default_days=None)
        page = selectors.reservas_de_usuario(
            usuario=request.user, desde=desde, hasta=hasta, after=after, limit=window.page_size
        )
    next_cursor = params.cursor_text(page.next) if page.next else None
    next_url = None
    if next_cursor:
        following = request.GET.copy()
        following["cursor"] = next_cursor
        next_url = f"{request.path}?{following.urlencode()}"
    body = {
        "reservas": [selectors.reserva_to_dict(r, viewer=request.user) for r in page.items],
        "next": next_url,
        "next_cursor": next_cursor,
    }
    return json_response(body)


@router.get("/reserva/ical", response={200: IcalOut, **ERRORS}, summary="My calendar feed's URL")
def reserva_ical(request: AuthenticatedHttpRequest, room: Query[FeedQuery]) -> HttpResponse:
    return _feed_url(request, room)


@router.post("/reserva/ical", response={200: IcalOut, **ERRORS}, summary="Renew my feed links")
def reserva_ical_rotate(request: AuthenticatedHttpRequest, room: Query[FeedQuery]) -> HttpResponse:
    feeds.feed_rotate(user=request.user)
    return _feed_url(request, room)


def _feed_url(request: AuthenticatedHttpRequest, room: FeedQuery) -> HttpResponse:
    """The feed URL: your bookings, or with ?sala=<code> that room's."""
    sala = sala_get(codigo=room.sala) if room.sala else None
    return json_response({"ical": feeds.feed_url(request, request.user, sala=sala)})


@router.get("/reserva/{int:pk}", response={200: ReservaOut, **ERRORS}, summary="A booking")
def reserva_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    reserva = selectors.reserva_get(pk=pk)
    return json_response(selectors.reserva_to_dict(reserva, viewer=request.user))


@router.delete(
    "/reserva/{int:pk}", response={204: None, **ERRORS}, summary="Cancel a booking (or its series)"
)
def reserva_cancel(request: AuthenticatedHttpRequest, pk: int, options: Query[CancelQuery]) -> HttpResponse:
    reserva = selectors.reserva_get(pk=pk)
    services.reserva_cancel(reserva=reserva, actor=request.user, serie=options.serie == "1")
    return HttpResponse(status=204)


@router.get("/sala/disponibles", response={200: SalaPageOut, **ERRORS}, summary="Free rooms")
def salas_disponibles(request: HttpRequest, filters: Query[DisponiblesQuery]) -> HttpResponse:
    params.search_window(filters.inicio, filters.fin)
    sala_page = selectors.salas_disponibles(
        inicio=filters.inicio,
        fin=filters.fin,
        min_capacidad=filters.min_capacidad,
        page=filters.page,
        page_size=filters.page_size,
    )
    body = {
        "salas": sala_page.items,
        "count": sala_page.count,
        "page": sala_page.page,
        "pages": sala_page.pages,
    }
    return json_response(body)


@router.get(
    "/sala/codigo/{codigo}/reservas", response={200: ReservasOut, **ERRORS}, summary="A room's bookings"
)
def sala_reservas(request: HttpRequest, codigo: str, window: Query[WindowQuery]) -> HttpResponse:
    desde, hasta = params.window(window.model_dump())
    sala = sala_get(codigo=codigo)
    reservas = selectors.reservas_de_sala_dicts(sala=sala, desde=desde, hasta=hasta, viewer=request.user)
    return json_response({"reservas": reservas})


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


def _unique(reservas: list[Reserva]) -> list[Reserva]:
    seen: dict[int, Reserva] = {}
    for reserva in reservas:
        seen.setdefault(reserva.pk, reserva)
    return sorted(seen.values(), key=lambda r: (r.inicio, r.pk))
