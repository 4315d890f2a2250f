import re
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

CODIGO_PATTERN = r"^[A-Za-z0-9-]{3,20}$"
CAPACIDAD_MIN = 1
CAPACIDAD_MAX = 10_000
_ASCII_DIGITS = re.compile(r"[0-9]+")


def capacidad_from_text(value: Any) -> Any:
    """A capacity sent as text of ASCII digits ("12", " 012 ") as its int; any other value unchanged.

    Clients (HTML forms, and JSON clients since the first version) may send the number
    as a string. Past 18 digits the number is out of range anyway: int() of thousands
    of digits would cost time (and fail past 4300).
    """
    if not isinstance(value, str):
        return value
    digits = value.strip()
    if not _ASCII_DIGITS.fullmatch(digits):
        return value
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else 10**18


class Sala(models.Model):
    nombre = models.CharField(_("nombre"), max_length=100)
    # The case-insensitive collation makes the unique index treat "A-1" and
    # "a-1" as the same code, decided by the database even under racing writes.
    codigo = models.CharField(
        _("código de acceso"),
        max_length=20,
        db_collation="utf8mb4_unicode_ci",
        validators=[
            RegexValidator(
                CODIGO_PATTERN,
                _("Entre 3 y 20 caracteres: letras, dígitos y guiones."),
                code="invalid_codigo",
            )
        ],
        error_messages={"unique": _("Ya existe una sala con ese código.")},
    )
    capacidad = models.PositiveIntegerField(
        _("capacidad"),
        validators=[MinValueValidator(CAPACIDAD_MIN), MaxValueValidator(CAPACIDAD_MAX)],
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("propietario"),
        on_delete=models.CASCADE,
        related_name="salas",
    )
    # Private: every booking of the room is shown to others as "Ocupado" (reservas.selectors).
    # A database default too, so that code from before the column inserts rows during a deploy.
    privada = models.BooleanField(
        _("privada"),
        default=False,
        db_default=False,
        help_text=_("Los demás ven sus reservas como «Ocupado»."),
    )
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)
    updated_at = models.DateTimeField(_("actualizada"), auto_now=True)

    class Meta:
        verbose_name = _("sala")
        verbose_name_plural = _("salas")
        # Newest first by primary key: ids grow with creation time, and the
        # clustered index serves "ORDER BY id DESC LIMIT n" without a sort (with
        # -created_at MariaDB scanned and sorted the whole table behind the join).
        ordering = ["-id"]
        indexes = [
            # Counting the rooms of at least a capacity (free-room search, the
            # list's filter) from the index, without reading the rows.
            models.Index(fields=["capacidad"], name="salas_sala_capacidad"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["codigo"], name="salas_sala_codigo_unique"),
            models.CheckConstraint(
                condition=models.Q(capacidad__gte=CAPACIDAD_MIN, capacidad__lte=CAPACIDAD_MAX),
                name="salas_sala_capacidad_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nombre} ({self.codigo})"
