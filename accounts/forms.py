from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.services import user_password_set


class RegisterForm(forms.Form):
    """Input shape only: validation of the values lives in accounts.services.user_create."""

    username = forms.CharField(label=_("Nombre de usuario"), max_length=150)
    email = forms.EmailField(label=_("Correo electrónico"), max_length=254)
    password1 = forms.CharField(
        label=_("Contraseña"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Repite la contraseña"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("Las contraseñas no coinciden."))
        return cleaned


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Usuario o correo electrónico"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    # RUF012: Django's form API, read only; django-stubs declares it an instance attribute.
    error_messages = {  # noqa: RUF012
        **AuthenticationForm.error_messages,
        "invalid_login": _("Usuario, correo o contraseña incorrectos."),
    }


class _StoresThroughServices:
    """Django's password forms, storing through accounts.services (which rotates the feeds)."""

    user: Any
    cleaned_data: dict[str, Any]

    def save(self, commit: bool = True) -> Any:
        user_password_set(user=self.user, password=self.cleaned_data["new_password1"])
        return self.user


class SetPasswordForm(_StoresThroughServices, auth_forms.SetPasswordForm):
    """A forgotten password's reset: the new one twice."""


class PasswordChangeForm(_StoresThroughServices, auth_forms.PasswordChangeForm):
    """The current password, then the new one twice."""
