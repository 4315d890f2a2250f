"""Writes on accounts. Every entry point (pages, JSON, commands) uses these."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils.translation import gettext as _

from accounts.models import User
from replication import primary_atomic, use_primary


def user_create(
    *, username: str, email: str, password: str, is_staff: bool = False, is_superuser: bool = False
) -> User:
    """Create a user, validated once here; a duplicate raises ValidationError(code="unique").

    Everything is checked before the password is hashed (the costly step), so a
    taken name or a bad form costs a sign-up flood no hash. The unique checks
    read the primary; the database's unique indexes decide the race between two
    simultaneous sign-ups.
    """
    user = User(
        username=(username or "").strip(),
        email=User.objects.normalize_email((email or "").strip()),
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    errors: dict[str, list[ValidationError]] = {}
    try:
        password_validation.validate_password(password or "", user)
    except ValidationError as exc:
        errors["password"] = exc.error_list
    with use_primary("sign-up"):
        try:
            user.full_clean(exclude=["password"])
        except ValidationError as exc:
            for field, field_errors in exc.error_dict.items():
                errors.setdefault(field, []).extend(field_errors)
    if errors:
        raise ValidationError(errors)
    user.set_password(password or "")
    try:
        with primary_atomic():
            user.save()
    except IntegrityError as exc:
        raise _duplicate_user_error(exc) from exc
    return user


def _duplicate_user_error(exc: IntegrityError) -> ValidationError:
    text = str(exc)
    if "email" in text:
        field, message = "email", _("Ya existe un usuario con ese correo electrónico.")
    else:
        field, message = "username", _("Ya existe un usuario con ese nombre.")
    return ValidationError({field: ValidationError(message, code="unique")})
