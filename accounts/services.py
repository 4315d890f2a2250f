"""Writes on accounts. Every entry point (pages, JSON, commands) uses these."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils.translation import gettext as _

from accounts.models import User, new_session_secret
from replication import primary_atomic


def user_create(
    *, username: str, email: str, password: str, is_staff: bool = False, is_superuser: bool = False
) -> User:
    """Create a user, validated once here; a duplicate raises ValidationError(code="unique").

    The unique checks run on the primary inside the transaction, and the
    database's unique indexes decide the race between two simultaneous sign-ups.
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
    user.set_password(password or "")
    try:
        with primary_atomic():
            try:
                user.full_clean()
            except ValidationError as exc:
                for field, field_errors in exc.error_dict.items():
                    errors.setdefault(field, []).extend(field_errors)
            if errors:
                raise ValidationError(errors)
            user.save()
    except IntegrityError as exc:
        raise _duplicate_user_error(exc) from exc
    return user


def user_sessions_end(*, user: User) -> None:
    """End every session `user` has signed in with, on every node.

    Sessions are signed cookies, so there is no row to delete: a new session
    secret changes the user's session hash, and each node refuses the older
    cookies once its remembered verdict on them expires
    (SESSION_USER_CACHE_SECONDS, accounts.sessions). Every device of the user is
    signed out, not only the one that asked: a cookie names no single session
    the server could tell apart.
    """
    user.session_secret = new_session_secret()
    with primary_atomic():
        User.objects.filter(pk=user.pk).update(session_secret=user.session_secret)


def _duplicate_user_error(exc: IntegrityError) -> ValidationError:
    text = str(exc)
    if "email" in text:
        field, message = "email", _("Ya existe un usuario con ese correo electrónico.")
    else:
        field, message = "username", _("Ya existe un usuario con ese nombre.")
    return ValidationError({field: ValidationError(message, code="unique")})
