"""The rooms JSON API (its Router; salas_project/api.py mounts it): thin handlers over services and selectors.

ninja parses and validates the input (salas/schemas.py, errors as core/api.py says);
the services validate what the model decides (code pattern, capacity range, uniqueness).
"""

from __future__ import annotations

import orjson
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router

from accounts.http import AuthenticatedHttpRequest
from core.api import CONDITIONAL_GET, ERRORS, NOT_MODIFIED, signed_in
from core.http import ApiError, conditional_response, content_etag, json_response
from core.params import PureQuery
from replication import StateCache
from salas import selectors, services
from salas.schemas import SalaIn, SalaListQuery, SalaOut, SalaPageOut, SalaPatchIn

router = Router(auth=signed_in, tags=["salas"])

# The hottest read: a page (its ETag, its body) is reused for as long as the database
# it was read from has applied nothing new.
_pages: StateCache[tuple[str, bytes]] = StateCache("sala-list")
_details: StateCache[tuple[str, bytes]] = StateCache("sala-detail")


@router.post("/sala/create", response={201: SalaOut, **ERRORS}, summary="Create a room")
def sala_create(request: AuthenticatedHttpRequest, payload: SalaIn) -> HttpResponse:
    sala = services.sala_create(owner=request.user, **payload.model_dump())
    return json_response(selectors.sala_to_dict(sala), status=201)


@router.get(
    "/sala/all",
    response={200: SalaPageOut, **NOT_MODIFIED, **ERRORS},
    openapi_extra=CONDITIONAL_GET,
    summary="List rooms",
)
def sala_list(request: HttpRequest, filters: PureQuery[SalaListQuery]) -> HttpResponse:
    etag, body = sala_list_page(filters)
    return conditional_response(request, etag, body)


def sala_list_page(filters: SalaListQuery) -> tuple[str, bytes]:
    """The list's ETag and JSON body, reused while the database this request reads is unchanged."""
    q = (filters.q or "").strip()

    def render() -> tuple[str, bytes]:
        sala_page = selectors.sala_page(
            q=q, min_capacidad=filters.min_capacidad, page=filters.page, page_size=filters.page_size
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

    return _pages.get_or_compute((q, filters.min_capacidad, filters.page, filters.page_size), render)


def sala_list_cache_clear() -> None:
    """Forget every cached page (tests; a person after RESET MASTER)."""
    _pages.clear()


@router.get(
    "/sala/codigo/{codigo}",
    response={200: SalaOut, **NOT_MODIFIED, **ERRORS},
    openapi_extra=CONDITIONAL_GET,
    summary="A room",
)
def sala_detail(request: HttpRequest, codigo: str) -> HttpResponse:
    etag, body = sala_detail_page(codigo)
    return conditional_response(request, etag, body)


def sala_detail_page(codigo: str) -> tuple[str, bytes]:
    """A room's ETag and JSON body (the same for every reader), reused while the database is unchanged.

    An unknown code raises Http404 each time (nothing is cached for it).
    """

    def render() -> tuple[str, bytes]:
        body = orjson.dumps(selectors.sala_to_dict(selectors.sala_get(codigo=codigo)))
        return content_etag(body), body

    # Codes compare case-insensitively: one entry for every spelling that differs only in case.
    return _details.get_or_compute(codigo.lower(), render)


@router.patch("/sala/codigo/{codigo}", response={200: SalaOut, **ERRORS}, summary="Edit a room")
def sala_update(request: AuthenticatedHttpRequest, codigo: str, payload: SalaPatchIn) -> HttpResponse:
    data = payload.model_dump(exclude_unset=True)
    if not data:
        raise ApiError(400, _("Nada que cambiar."), {"__all__": [_("Envía al menos un campo.")]})
    sala = services.sala_update(sala=selectors.sala_get(codigo=codigo), actor=request.user, data=data)
    return json_response(selectors.sala_to_dict(sala))


@router.delete("/sala/codigo/{codigo}", response={204: None, **ERRORS}, summary="Delete a room")
def sala_delete(request: AuthenticatedHttpRequest, codigo: str) -> HttpResponse:
    services.sala_delete(sala=selectors.sala_get(codigo=codigo), actor=request.user)
    return HttpResponse(status=204)
