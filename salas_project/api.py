"""The JSON API described with django-ninja: GET /api/openapi.json (OpenAPI 3.1) and /api/docs.

Every route of the API is declared here with typed schemas (each app's schemas.py) for
its input and every answer, and the declared handler hands the request to the app's
view, so one function answers each route. Today the URLs still resolve to those views
through the apps' urls.py; routing them through `api.urls` instead is the remaining step
(docs/observability.md says what it takes). tests/test_openapi.py keeps this list and the
URLconf equal, and tests/cluster/test_openapi.py checks the running API against the schema.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Query

from accounts import views as accounts_views
from accounts.schemas import CsrfOut, LoginIn, MeOut, PasswordIn, RegisterIn, UserOut
from core.schemas import DetailOut, ErrorOut
from replication import views as replication_views
from reservas import api as reservas_api
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
from salas import api as salas_api
from salas.schemas import SalaIn, SalaListQuery, SalaOut, SalaPageOut, SalaPatchIn

DESCRIPTION = """JSON in and out. Every error is `{"error": "<message>", "fields": {"<field>": ["..."]}}`,
its messages in the language of `Accept-Language` (Spanish by default, or English).
Sign in with `POST /auth/login` (a session cookie); state-changing requests send the
`csrftoken` cookie's value (from `GET /auth/csrf`) in the `X-CSRFToken` header."""


class SalasAPI(NinjaAPI):
    def get_root_path(self, path_params: dict[str, Any]) -> str:
        # The routes sit at the site's root ("/sala/all"), not under a mount point of their own.
        return "/"


api = SalasAPI(
    title="salas",
    version="1",
    description=DESCRIPTION,
    openapi_url="/api/openapi.json",
    docs_url="/api/docs",
    urls_namespace="api",
)

# What any route may answer besides its success: bad input, not signed in, not allowed,
# no such thing, wrong method, a conflict with other rows, the lockout, no database.
ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 405, 409, 429, 503), ErrorOut)


# --- accounts ---------------------------------------------------------------------------
@api.get("/auth/csrf", response={200: CsrfOut, **ERRORS}, tags=["auth"], summary="Set the CSRF cookie")
def auth_csrf(request: HttpRequest) -> HttpResponse:
    return accounts_views.csrf_api(request)


@api.post("/auth/register", response={201: UserOut, **ERRORS}, tags=["auth"], summary="Sign up (and in)")
def auth_register(request: HttpRequest, payload: RegisterIn) -> HttpResponse:
    return accounts_views.register_api(request)


@api.post("/auth/login", response={200: UserOut, **ERRORS}, tags=["auth"], summary="Sign in")
def auth_login(request: HttpRequest, payload: LoginIn) -> HttpResponse:
    return accounts_views.login_api(request)


@api.post("/auth/logout", response={200: DetailOut, **ERRORS}, tags=["auth"], summary="Sign out")
def auth_logout(request: HttpRequest) -> HttpResponse:
    return accounts_views.logout_api(request)


@api.post(
    "/auth/password",
    response={200: DetailOut, **ERRORS},
    tags=["auth"],
    summary="Change the password (this session stays, the others end)",
)
def auth_password(request: HttpRequest, payload: PasswordIn) -> HttpResponse:
    return accounts_views.password_api(request)


@api.get("/auth/me", response={200: MeOut, **ERRORS}, tags=["auth"], summary="The signed-in user")
def auth_me(request: HttpRequest) -> HttpResponse:
    return accounts_views.me_api(request)


# --- rooms ------------------------------------------------------------------------------
@api.post("/sala/create", response={201: SalaOut, **ERRORS}, tags=["salas"], summary="Create a room")
def sala_create(request: HttpRequest, payload: SalaIn) -> HttpResponse:
    return salas_api.sala_create_api(request)


@api.get("/sala/all", response={200: SalaPageOut, **ERRORS}, tags=["salas"], summary="List rooms")
def sala_list(request: HttpRequest, filters: Query[SalaListQuery]) -> HttpResponse:
    return salas_api.sala_list_api(request)


@api.get("/sala/codigo/{codigo}", response={200: SalaOut, **ERRORS}, tags=["salas"], summary="A room")
def sala_detail(request: HttpRequest, codigo: str) -> HttpResponse:
    return salas_api.sala_detail_api(request, codigo=codigo)


@api.patch("/sala/codigo/{codigo}", response={200: SalaOut, **ERRORS}, tags=["salas"], summary="Edit a room")
def sala_update(request: HttpRequest, codigo: str, payload: SalaPatchIn) -> HttpResponse:
    return salas_api.sala_detail_api(request, codigo=codigo)


@api.delete("/sala/codigo/{codigo}", response={204: None, **ERRORS}, tags=["salas"], summary="Delete a room")
def sala_delete(request: HttpRequest, codigo: str) -> HttpResponse:
    return salas_api.sala_detail_api(request, codigo=codigo)


# --- bookings ---------------------------------------------------------------------------
@api.post(
    "/reserva/create",
    response={201: ReservaOut | SerieOut, **ERRORS, 409: ConflictOut},
    tags=["reservas"],
    summary="Book a room (once, or a series with `repeticion`)",
)
def reserva_create(request: HttpRequest, payload: ReservaIn) -> HttpResponse:
    return reservas_api.reserva_create_api(request)


@api.get("/reserva/mias", response={200: ReservasPageOut, **ERRORS}, tags=["reservas"], summary="My bookings")
def reserva_mias(request: HttpRequest, window: Query[MiasQuery]) -> HttpResponse:
    return reservas_api.reserva_mias_api(request)


@api.get(
    "/reserva/ical", response={200: IcalOut, **ERRORS}, tags=["reservas"], summary="My calendar feed's URL"
)
def reserva_ical(request: HttpRequest, room: Query[FeedQuery]) -> HttpResponse:
    return reservas_api.ical_url_api(request)


@api.post(
    "/reserva/ical", response={200: IcalOut, **ERRORS}, tags=["reservas"], summary="Renew my feed links"
)
def reserva_ical_rotate(request: HttpRequest, room: Query[FeedQuery]) -> HttpResponse:
    return reservas_api.ical_url_api(request)


@api.get("/reserva/{int:pk}", response={200: ReservaOut, **ERRORS}, tags=["reservas"], summary="A booking")
def reserva_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return reservas_api.reserva_detail_api(request, pk=pk)


@api.delete(
    "/reserva/{int:pk}",
    response={204: None, **ERRORS},
    tags=["reservas"],
    summary="Cancel a booking (or its series)",
)
def reserva_cancel(request: HttpRequest, pk: int, options: Query[CancelQuery]) -> HttpResponse:
    return reservas_api.reserva_detail_api(request, pk=pk)


@api.get("/sala/disponibles", response={200: SalaPageOut, **ERRORS}, tags=["reservas"], summary="Free rooms")
def salas_disponibles(request: HttpRequest, filters: Query[DisponiblesQuery]) -> HttpResponse:
    return reservas_api.salas_disponibles_api(request)


@api.get(
    "/sala/codigo/{codigo}/reservas",
    response={200: ReservasOut, **ERRORS},
    tags=["reservas"],
    summary="A room's bookings",
)
def sala_reservas(request: HttpRequest, codigo: str, window: Query[WindowQuery]) -> HttpResponse:
    return reservas_api.sala_reservas_api(request, codigo=codigo)


# --- status -----------------------------------------------------------------------------
@api.get(
    "/api/status",
    response={**ERRORS, 200: dict[str, Any], 503: dict[str, Any]},
    tags=["status"],
    summary="This node's health",
)
def status(request: HttpRequest) -> HttpResponse:
    return replication_views.status(request)
