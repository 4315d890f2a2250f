"""Sign-up, sign-in and sign-out pages (their JSON twins: accounts/api.py), and the lockout answer."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.forms import LoginForm, PasswordChangeForm, RegisterForm, SetPasswordForm
from accounts.mail import MailUnavailable, mail_server_check
from accounts.services import user_create
from core.views import error_response

logger = logging.getLogger(__name__)


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


def lockout(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """Answer for a locked-out sign-in; the same whether the account exists or not."""
    message = _("Demasiados intentos fallidos. Espera unos minutos antes de volver a intentarlo.")
    return error_response(request, 429, message, retry_after=60)
