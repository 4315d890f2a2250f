"""The rooms JSON API, on the original app's paths."""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

import orjson
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext as _

from core.http import (
    ApiError,
    AuthenticatedHttpRequest,
    api_view,
    conditional_response,
    content_etag,
    json_response,
    parse_json_object,
)
from replication import StateCache
from salas import selectors, services

CREATE_FIELDS = ("nombre", "codigo", "capacidad")
# Bounds for numeric query parameters: past these no page or filter can match,
# and the numbers must still fit the database's and the JSON encoder's integers.
MAX_PAGE = 1_000_000

# The hottest read: a page (its ETag, its body) is reused for as long as the database
# it was read from has applied nothing new.
_pages: StateCache[tuple[str, bytes]] = StateCache("sala-list")
_details: StateCache[tuple[str, bytes]] = StateCache("sala-detail")


@api_view(["POST"])
def sala_create_api(request: AuthenticatedHttpRequest) -> HttpResponse:
    data = parse_json_object(request)
    missing = {name: [_("Este campo es obligatorio.")] for name in CREATE_FIELDS if data.get(name) is None}
    unknown = {name: [_("Campo desconocido.")] for name in data if name not in CREATE_FIELDS}
    if missing or unknown:
        raise ApiError(400, _("Datos no válidos."), {**missing, **unknown})
    sala = services.sala_create(owner=request.user, **{name: data[name] for name in CREATE_FIELDS})
    return json_response(selectors.sala_to_dict(sala), status=201)


@api_view(["GET"])
def sala_list_api(request: HttpRequest) -> HttpResponse:
    etag, body = sala_list_page(sala_list_params(request.GET))
    return conditional_response(request, etag, body)


@dataclass(frozen=True)
class ListParams:
    """The list's filter and page, as the query string asked for them."""

    q: str
    min_capacidad: int | None
    page: int
    page_size: int


def sala_list_params(query: QueryDict) -> ListParams:
    """The list's filter and page from a query string, or an ApiError(400) saying what is wrong."""
    page = _int_param(query, "page", default=1, minimum=1, maximum=MAX_PAGE)
    page_size = _int_param(
        query, "page_size", default=selectors.DEFAULT_PAGE_SIZE, minimum=1, maximum=selectors.MAX_PAGE_SIZE
    )
    min_capacidad = _int_param(query, "min_capacidad", default=None, minimum=0, maximum=MAX_PAGE)
    q = query.get("q", "").strip()
    if len(q) > 100:
        raise ApiError(400, _("Datos no válidos."), {"q": [_("Como máximo 100 caracteres.")]})
    return ListParams(q, min_capacidad, page, page_size)


def sala_list_page(params: ListParams) -> tuple[str, bytes]:
    """The list's ETag and JSON body, reused while the database this request reads is unchanged."""

    def render() -> tuple[str, bytes]:
        sala_page = selectors.sala_page(
            q=params.q, min_capacidad=params.min_capacidad, page=params.page, page_size=params.page_size
        )
        body = orjson.dumps(
            {
                "salas": sala_page.items,
                "count": sala_page.count,
                "page": sala_page.page,
                "pages": sala_page.pages,
            }
        )
        return content_etag(body), body

    return _pages.get_or_compute(params, render)


def sala_detail_page(codigo: str) -> tuple[str, bytes]:
    """A room's ETag and JSON body (the same for every reader), reused while the database is unchanged.

    An unknown code raises Http404 each time (nothing is cached for it).
    """

    def render() -> tuple[str, bytes]:
        body = orjson.dumps(selectors.sala_to_dict(selectors.sala_get(codigo=codigo)))
        return content_etag(body), body

    # Codes compare case-insensitively: one entry for every spelling that differs only in case.
    return _details.get_or_compute(codigo.lower(), render)


def sala_list_cache_clear() -> None:
    """Forget every cached page (tests; a person after RESET MASTER)."""
    _pages.clear()


@api_view(["GET", "PATCH", "DELETE"])
def sala_detail_api(request: AuthenticatedHttpRequest, codigo: str) -> HttpResponse:
    if request.method == "GET":
        etag, body = sala_detail_page(codigo)
        return conditional_response(request, etag, body)
    sala = selectors.sala_get(codigo=codigo)
    if request.method == "DELETE":
        services.sala_delete(sala=sala, actor=request.user)
        return HttpResponse(status=204)
    data = parse_json_object(request)
    if not data:
        raise ApiError(400, _("Nada que cambiar."), {"__all__": [_("Envía al menos un campo.")]})
    unknown = {name: [_("Campo no editable.")] for name in data if name not in services.EDITABLE_FIELDS}
    if unknown:
        # Re-assigning a room's owner is an admin task, not an API one.
        raise ApiError(400, _("Datos no válidos."), unknown)
    sala = services.sala_update(sala=sala, actor=request.user, data=data)
    return json_response(selectors.sala_to_dict(sala))


@overload
def _int_param(query: QueryDict, name: str, *, default: int, minimum: int, maximum: int) -> int: ...
@overload
def _int_param(query: QueryDict, name: str, *, default: None, minimum: int, maximum: int) -> int | None: ...
def _int_param(query: QueryDict, name: str, *, default: int | None, minimum: int, maximum: int) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, _("Datos no válidos."), {name: [_("Debe ser un número entero.")]}) from None
    if value < minimum:
        raise ApiError(
            400, _("Datos no válidos."), {name: [_("Debe ser al menos %(min)d.") % {"min": minimum}]}
        )
    if value > maximum:
        raise ApiError(400, _("Datos no válidos."), {name: [_("Como máximo %(max)d.") % {"max": maximum}]})
    return value
