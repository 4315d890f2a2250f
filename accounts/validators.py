"""The username rule, one validator for every way in (forms, JSON, admin, createsuperuser)."""

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _


@deconstructible
class UsernameValidator(UnicodeUsernameValidator):
    # Django's own username validator without "@": here "@" marks an email (accounts.identifiers).
    regex = r"^[\w.+-]+\Z"
    message = _(
        "Introduce un nombre de usuario válido: solo letras, dígitos y los caracteres ./+/-/_ (sin @)."
    )
    flags = 0


validate_username = UsernameValidator()
