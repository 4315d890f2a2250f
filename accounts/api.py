"""The accounts JSON API (its Router; salas_project/api.py mounts it): sign-up, sign-in, sign-out, password."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import gettext as _
from ninja import Router

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from accounts.schemas import CsrfOut, LoginIn, MeOut, PasswordIn, RegisterIn, UserOut
from accounts.services import user_create, user_password_change
from accounts.signals import me_fields
from core.api import ERRORS, anyone, signed_in
from core.http import InvalidInput, json_error, json_response
from core.schemas import DetailOut

router = Router(auth=signed_in, tags=["auth"])


def user_to_dict(user: User) -> dict:
    return {"id": user.pk, "username": user.username, "email": user.email}


@router.get("/auth/csrf", auth=None, response={200: CsrfOut, **ERRORS}, summary="Set the CSRF cookie")
def auth_csrf(request: HttpRequest) -> HttpResponse:
    """Hand a JSON client the CSRF cookie it must echo in X-CSRFToken."""
    # get_token() also has CsrfViewMiddleware set (or renew) the cookie on this response.
    return json_response({"csrfToken": get_token(request)})


@router.post("/auth/register", auth=anyone, response={201: UserOut, **ERRORS}, summary="Sign up (and in)")
def auth_register(request: HttpRequest, payload: RegisterIn) -> HttpResponse:
    user = user_create(username=payload.username, email=payload.email, password=payload.password)
    login(request, user, backend="accounts.backends.UsernameOrEmailBackend")
    return json_response(user_to_dict(user), status=201)


@router.post("/auth/login", auth=anyone, response={200: UserOut, **ERRORS}, summary="Sign in")
def auth_login(request: HttpRequest, payload: LoginIn) -> HttpResponse:
    identifier = payload.username if payload.username is not None else payload.email
    if not identifier:
        raise InvalidInput({"username": [_("Este campo es obligatorio.")]})
    user = authenticate(request, username=identifier, password=payload.password)
    if user is None:
        return json_error(401, _("Usuario, correo o contraseña incorrectos."))
    login(request, user)
    return json_response(user_to_dict(user))


@router.post("/auth/logout", auth=anyone, response={200: DetailOut, **ERRORS}, summary="Sign out")
def auth_logout(request: HttpRequest) -> HttpResponse:
    logout(request)
    return json_response({"detail": _("Sesión cerrada.")})


@router.post(
    "/auth/password",
    response={200: DetailOut, **ERRORS},
    summary="Change the password (this session stays, the others end)",
)
def auth_password(request: AuthenticatedHttpRequest, payload: PasswordIn) -> HttpResponse:
    user_password_change(
        user=request.user, old_password=payload.old_password, new_password=payload.new_password
    )
    update_session_auth_hash(request, request.user)
    return json_response({"detail": _("Contraseña cambiada.")})


@router.get("/auth/me", response={200: MeOut, **ERRORS}, summary="The signed-in user")
def auth_me(request: AuthenticatedHttpRequest) -> HttpResponse:
    body = user_to_dict(request.user)
    # Fields other apps add (reservas: the calendar feed's URL, so that an API client can find it).
    for _receiver, fields in me_fields.send(sender=User, request=request, user=request.user):
        # django-stubs types a receiver's answer as str | None; these are dicts (accounts/signals.py).
        body |= cast("dict[str, Any]", fields)
    return json_response(body)
