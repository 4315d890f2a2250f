import secrets
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_username

# A case-insensitive collation makes the unique index itself compare
# "Ana@x.com" and "ana@x.com" as equal, on MariaDB and MySQL alike (MariaDB has
# no functional indexes, so UniqueConstraint(Lower("email")) would be skipped).
CASE_INSENSITIVE_COLLATION = "utf8mb4_unicode_ci"
SESSION_HASH_SALT = "accounts.User.get_session_auth_hash"


def new_session_secret() -> str:
    return secrets.token_hex(16)


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

    # Part of every session's auth hash: replacing it (accounts.services.user_sessions_end,
    # on logout) refuses every session signed before, on every node, as a new password does.
    # Signed-cookie sessions have no server-side row to delete.
    session_secret = models.CharField(max_length=32, default=new_session_secret, editable=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.username

    def get_session_auth_hash(self) -> str:
        return self._session_hash(secret=None)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret=fallback_secret)

    def _session_hash(self, *, secret: str | bytes | None) -> str:
        # Django's hash (of the password hash) with the session secret beside it.
        value = f"{self.password}\n{self.session_secret}"
        return salted_hmac(SESSION_HASH_SALT, value, secret=secret, algorithm="sha256").hexdigest()
