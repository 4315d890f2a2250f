from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_username

# A case-insensitive collation makes the unique index itself compare
# "Ana@x.com" and "ana@x.com" as equal, on MariaDB and MySQL alike (MariaDB has
# no functional indexes, so UniqueConstraint(Lower("email")) would be skipped).
CASE_INSENSITIVE_COLLATION = "utf8mb4_unicode_ci"


class User(AbstractUser):
    username_validator = validate_username

    email = models.EmailField(
        _("correo electrónico"),
        unique=True,
        db_collation=CASE_INSENSITIVE_COLLATION,
        error_messages={"unique": _("Ya existe un usuario con ese correo electrónico.")},
    )
    username = models.CharField(
        _("nombre de usuario"),
        max_length=150,
        unique=True,
        db_collation=CASE_INSENSITIVE_COLLATION,
        help_text=_("150 caracteres como máximo: letras, dígitos y ./+/-/_ (sin @)."),
        validators=[validate_username],
        error_messages={"unique": _("Ya existe un usuario con ese nombre.")},
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.username
