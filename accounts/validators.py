"""The username rule, one validator for every way in (forms, JSON, admin, createsuperuser)."""

from django.core import validators
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _


@deconstructible
class UsernameValidator(validators.RegexValidator):
    # Django's default also allows "@"; here "@" marks an email (accounts.identifiers).
    regex = r"^[\w.+-]+\Z"
    message = _(
        "Introduce un nombre de usuario válido: solo letras, dígitos y los caracteres ./+/-/_ (sin @)."
    )
    flags = 0


validate_username = UsernameValidator()
