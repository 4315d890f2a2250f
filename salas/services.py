"""Writes on rooms. Pages, the JSON API, the admin and commands all call these.

Each write runs in a transaction on the primary, so the validation's own reads
(the unique check, the row being edited) see the primary, not a lagging
replica; the database constraints settle whatever races past them.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from replication import primary_atomic, primary_connection
from salas.models import Sala, capacidad_from_text
from salas.signals import sala_capacity_changing, sala_deleting

EDITABLE_FIELDS = ("nombre", "codigo", "capacidad", "privada")


def sala_can_manage(*, user: User, sala: Sala) -> bool:
    return user.is_authenticated and (user.is_staff or sala.owner_id == user.pk)


def sala_create(*, owner: User, nombre: str, codigo: str, capacidad: int) -> Sala:
    sala = Sala(owner=owner, nombre=nombre, codigo=codigo, capacidad=capacidad)
    _normalise(sala)
    return _save(sala)


def sala_create_if_owner_unchanged(*, owner: User, nombre: str, codigo: str, capacidad: int) -> Sala | None:
    """Create the room only while the owner's row still reads as `owner` was read; else None.

    `owner` may have been read some time ago (a node remembers the user a
    session names): one statement checks that the account is still active, with
    the same password (what the session was signed for) and username (what the
    answer shows), and inserts the room, so nothing is written for an account
    that has changed since. Same rules and errors as sala_create.
    """
    sala = Sala(owner=owner, nombre=nombre, codigo=codigo, capacidad=capacidad)
    _normalise(sala)
    sala.full_clean(exclude=["owner"], validate_unique=False, validate_constraints=False)
    connection = primary_connection()
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    quote = connection.ops.quote_name
    # As in _save: a savepoint only inside a caller's transaction.
    nested = connection.in_atomic_block
    try:
        with primary_atomic() if nested else nullcontext(), connection.cursor() as cursor:
            # S608: the only names put in are the models' tables, quoted; every value is a parameter.
            cursor.execute(
                f"INSERT INTO {quote(Sala._meta.db_table)} "  # noqa: S608
                "(nombre, codigo, capacidad, owner_id, created_at, updated_at) "
                f"SELECT %s, %s, %s, id, %s, %s FROM {quote(User._meta.db_table)} "
                # Compared byte for byte: the columns' collation would take a
                # username renamed only in case or accents for the same one.
                "WHERE id = %s AND is_active AND CAST(password AS BINARY) = CAST(%s AS BINARY) "
                "AND CAST(username AS BINARY) = CAST(%s AS BINARY)",
                [
                    sala.nombre,
                    sala.codigo,
                    sala.capacidad,
                    stamp,
                    stamp,
                    owner.pk,
                    owner.password,
                    owner.username,
                ],
            )
            if cursor.rowcount != 1:
                return None
            sala.pk = cursor.lastrowid
    except IntegrityError as exc:
        raise _integrity_error(exc) from exc
    sala.created_at = sala.updated_at = now
    return sala


def sala_update(*, sala: Sala, actor: User, data: dict[str, Any]) -> Sala:
    """Change the given fields of a room; only its owner or staff may, and only staff re-assign it."""
    editable = {*EDITABLE_FIELDS, "owner"} if actor.is_staff else set(EDITABLE_FIELDS)
    unknown = set(data) - editable
    if unknown:
        raise ValidationError(
            {name: ValidationError(_("Campo no editable."), code="not_editable") for name in sorted(unknown)}
        )
    if "privada" in data and not isinstance(data["privada"], bool):
        raise ValidationError({"privada": ValidationError(_("Debe ser true o false."), code="invalid")})
    if "owner" in data and not isinstance(data["owner"], User):
        raise ValidationError({"owner": ValidationError(_("Propietario no válido."), code="invalid")})
    with primary_atomic():
        locked = Sala.objects.select_for_update().select_related("owner").filter(pk=sala.pk).first()
        if locked is None:
            # Deleted since the caller read it (possibly from a lagging replica).
            raise Http404(sala.codigo)
        if not sala_can_manage(user=actor, sala=locked):
            raise PermissionDenied
        for name, value in data.items():
            setattr(locked, name, value)
        _normalise(locked)
        if "capacidad" in data:
            # The row is locked: what a receiver counts (reservas: bookings) cannot change meanwhile.
            sala_capacity_changing.send(sender=Sala, sala=locked)
        return _save(locked)


def sala_delete(*, sala: Sala, actor: User) -> None:
    with primary_atomic():
        locked = Sala.objects.select_for_update().filter(pk=sala.pk).first()
        if locked is None:
            return
        if not sala_can_manage(user=actor, sala=locked):
            raise PermissionDenied
        # Apps holding rows of this room may refuse (reservas: future bookings).
        sala_deleting.send(sender=Sala, sala=locked)
        locked.delete()


def _normalise(sala: Sala) -> None:
    errors: dict[str, list[ValidationError]] = {}
    if isinstance(sala.nombre, str):
        sala.nombre = sala.nombre.strip()
    else:
        errors["nombre"] = [ValidationError(_("Debe ser un texto."), code="invalid")]
    if isinstance(sala.codigo, str):
        sala.codigo = sala.codigo.strip()
    else:
        errors["codigo"] = [ValidationError(_("Debe ser un texto."), code="invalid")]
    # bool is an int in Python; a capacity of `true` is a client bug, not 1.
    sala.capacidad = capacidad_from_text(sala.capacidad)
    if isinstance(sala.capacidad, bool) or not isinstance(sala.capacidad, int):
        errors["capacidad"] = [ValidationError(_("Debe ser un número entero."), code="invalid")]
    if errors:
        raise ValidationError(errors)


def _save(sala: Sala) -> Sala:
    # Field rules are checked here; uniqueness, the capacity range and the owner
    # reference are left to the database's own constraints, which decide races
    # anyway: asking first would cost three more queries per write on the
    # primary and still be wrong under concurrency. Their errors map below.
    sala.full_clean(exclude=["owner"], validate_unique=False, validate_constraints=False)
    try:
        # Alone, the INSERT is its own transaction (autocommit): no BEGIN/COMMIT
        # round trips to the primary. Inside a caller's transaction (an update,
        # a test), a savepoint keeps that transaction usable after a conflict.
        nested = primary_connection().in_atomic_block
        with primary_atomic() if nested else nullcontext():
            sala.save()
    except IntegrityError as exc:
        raise _integrity_error(exc) from exc
    return sala


def _integrity_error(exc: IntegrityError) -> ValidationError:
    if "salas_sala_codigo_unique" in str(exc) or exc.args[0] == 1062:
        return ValidationError(
            {"codigo": ValidationError(_("Ya existe una sala con ese código."), code="unique")}
        )
    return ValidationError(_("Los datos no cumplen las restricciones de la sala."))
