"""Sign-up, sign-in and sign-out: pages and their JSON twins."""

from __future__ import annotations

import logging
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from accounts.forms import LoginForm, PasswordChangeForm, RegisterForm, SetPasswordForm
from accounts.http import AuthenticatedHttpRequest
from accounts.mail import MailUnavailable, mail_server_check
from accounts.models import User
from accounts.services import user_create, user_password_change
from accounts.signals import me_fields
from core.http import (
    InvalidInput,
    api_view,
    json_error,
    json_response,
    parse_json_object,
)
from core.views import error_response

logger = logging.getLogger(__name__)


def user_to_dict(user: User) -> dict:
    return {"id": user.pk, "username": user.username, "email": user.email}


# --- Pages ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def register_page(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("salas:dashboard")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_create(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                form.add_error("password1" if field == "password" else field, errors)
        else:
            login(request, user, backend="accounts.backends.UsernameOrEmailBackend")
            messages.success(request, _("Cuenta creada. ¡Bienvenido, %(name)s!") % {"name": user.username})
            return redirect("salas:dashboard")
    return render(request, "accounts/register.html", {"form": form}, status=400 if form.errors else 200)


class LoginPageView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutPageView(auth_views.LogoutView):
    http_method_names = ("post", "options")


class PasswordChangePageView(auth_views.PasswordChangeView):
    """Change the password; this session stays, every other one ends."""

    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("salas:dashboard")

    def form_valid(self, form: auth_forms.PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Contraseña cambiada. Las demás sesiones se han cerrado."))
        return response


class PasswordResetPageView(auth_views.PasswordResetView):
    """Mail a one-time link; the page says the same whether the address has an account or not."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    @property
    def extra_email_context(self) -> dict[str, str]:  # type: ignore[override]
        # The link's host from the settings when set, never from a Host header alone.
        return {"domain": settings.SITE_DOMAIN} if settings.SITE_DOMAIN else {}

    def form_valid(self, form: auth_forms.PasswordResetForm) -> HttpResponse:
        # Django logs and swallows a failed send, so the page would say "sent" with no
        # mail. The server is asked first, before any account is looked up: a 503 then
        # says nothing about whether the address has an account.
        try:
            mail_server_check()
        except MailUnavailable as exc:
            logger.warning("password reset: no mail server: %s", exc)
            return error_response(
                self.request, 503, _("No se pueden enviar correos ahora mismo; inténtalo más tarde.")
            )
        return super().form_valid(form)


class PasswordResetDonePageView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmPageView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompletePageView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


# --- JSON ---------------------------------------------------------------------------


@api_view(["GET"], login_required=False)
@ensure_csrf_cookie
def csrf_api(request: HttpRequest) -> HttpResponse:
    """Hand a JSON client the CSRF cookie it must echo in X-CSRFToken."""
    from django.middleware.csrf import get_token

    return json_response({"csrfToken": get_token(request)})


@api_view(["POST"], login_required=False)
def register_api(request: HttpRequest) -> HttpResponse:
    data = parse_json_object(request)
    fields = _required_strings(data, ("username", "email", "password"))
    user = user_create(username=fields["username"], email=fields["email"], password=fields["password"])
    login(request, user, backend="accounts.backends.UsernameOrEmailBackend")
    return json_response(user_to_dict(user), status=201)


@api_view(["POST"], login_required=False)
def login_api(request: HttpRequest) -> HttpResponse:
    data = parse_json_object(request)
    identifier = data.get("username") if data.get("username") is not None else data.get("email")
    body = {"username": identifier, "password": data.get("password")}
    fields = _required_strings(body, ("username", "password"))
    if len(fields["username"]) > 254:
        raise InvalidInput({"username": [_("Como máximo 254 caracteres.")]})
    user = authenticate(request, username=fields["username"], password=fields["password"])
    if user is None:
        return json_error(401, _("Usuario, correo o contraseña incorrectos."))
    login(request, user)
    return json_response(user_to_dict(user))


@api_view(["POST"], login_required=False)
def logout_api(request: HttpRequest) -> HttpResponse:
    logout(request)
    return json_response({"detail": _("Sesión cerrada.")})


@api_view(["POST"])
def password_api(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Change the password: `old_password`, `new_password`. This session stays, the others end."""
    data = parse_json_object(request)
    fields = _required_strings(data, ("old_password", "new_password"))
    user_password_change(
        user=request.user, old_password=fields["old_password"], new_password=fields["new_password"]
    )
    update_session_auth_hash(request, request.user)
    return json_response({"detail": _("Contraseña cambiada.")})


@api_view(["GET"])
def me_api(request: AuthenticatedHttpRequest) -> HttpResponse:
    body = user_to_dict(request.user)
    # Fields other apps add (reservas: the calendar feed's URL, so that an API client can find it).
    for _receiver, fields in me_fields.send(sender=User, request=request, user=request.user):
        # django-stubs types a receiver's answer as str | None; these are dicts (accounts/signals.py).
        body |= cast("dict[str, Any]", fields)
    return json_response(body)


def _required_strings(data: dict, names: tuple[str, ...]) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    for name in names:
        value = data.get(name)
        if value is None or value == "":
            errors[name] = [_("Este campo es obligatorio.")]
        elif not isinstance(value, str):
            errors[name] = [_("Debe ser un texto.")]
    if errors:
        raise InvalidInput(errors)
    return {name: data[name] for name in names}


def lockout(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """Answer for a locked-out sign-in; the same whether the account exists or not."""
    message = _("Demasiados intentos fallidos. Espera unos minutos antes de volver a intentarlo.")
    return error_response(request, 429, message, retry_after=60)
