"""Writes on accounts. Every entry point (pages, JSON, commands) uses these."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils.translation import gettext as _

from accounts.models import User, new_session_secret
from accounts.signals import password_changed
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


def user_password_change(*, user: User, old_password: str, new_password: str) -> None:
    """Change the password after checking the current one; ValidationError names the field."""
    if not user.check_password(old_password or ""):
        error = ValidationError(_("La contraseña actual no es correcta."), code="invalid")
        raise ValidationError({"old_password": error})
    try:
        password_validation.validate_password(new_password or "", user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.error_list}) from exc
    user_password_set(user=user, password=new_password)


def user_password_set(*, user: User, password: str) -> None:
    """Store an already validated password and rotate what the old one protected.

    Every other session ends with it (a session's auth hash derives from the
    password); the caller keeps its own with update_session_auth_hash.
    """
    user.set_password(password)
    with primary_atomic():
        user.save(update_fields=["password"])
        password_changed.send(sender=User, user=user)


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
