from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from salas.models import Sala

TITULO_MAX = 100
# No booking lasts longer (a check constraint says so; RESERVA_MAX_HOURS may only
# be lower). Every overlap query leans on it: a booking that overlaps [a, b)
# started after a - LONGEST_BOOKING, so an index on inicio finds it by reading
# only that range instead of every booking that ended before a.
LONGEST_BOOKING = timedelta(hours=24)


class Reserva(models.Model):
    """A room booked for the half-open interval [inicio, fin).

    MariaDB has no exclusion constraint, so "no two confirmed bookings of a room
    overlap" is kept by reservas.services (room row locked on the primary);
    the checks below are what the database itself can refuse.
    """

    class Estado(models.TextChoices):
        CONFIRMADA = "confirmada", _("confirmada")
        CANCELADA = "cancelada", _("cancelada")

    sala = models.ForeignKey(Sala, verbose_name=_("sala"), on_delete=models.CASCADE, related_name="reservas")
    usuario = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("usuario"),
        on_delete=models.CASCADE,
        related_name="reservas",
    )
    titulo = models.CharField(_("título"), max_length=TITULO_MAX)
    inicio = models.DateTimeField(_("inicio"))
    fin = models.DateTimeField(_("fin"))
    asistentes = models.PositiveIntegerField(_("asistentes"))
    estado = models.CharField(_("estado"), max_length=10, choices=Estado.choices, default=Estado.CONFIRMADA)
    # Private: others see "Ocupado", without title or booker (reservas.selectors). A database
    # default too, so that code from before the column inserts rows during a deploy.
    privada = models.BooleanField(_("privada"), default=False, db_default=False)
    # Shared by the occurrences of one recurring booking; null for a single one.
    serie = models.UUIDField(_("serie"), null=True, blank=True)
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)
    updated_at = models.DateTimeField(_("actualizada"), auto_now=True)

    class Meta:
        verbose_name = _("reserva")
        verbose_name_plural = _("reservas")
        ordering = ["inicio", "id"]
        indexes = [
            # The overlap check and a room's calendar: one room, a time range
            # (fin in the index: the check under the room lock reads no row).
            models.Index(fields=["sala", "estado", "inicio", "fin"], name="reservas_sala_overlap"),
            # "My bookings" from now on (or back from now), in time order.
            models.Index(fields=["usuario", "estado", "inicio"], name="reservas_usuario_estado_inicio"),
            # Free-room search: the bookings of every room overlapping a window,
            # read from the index alone (fin and sala are in it).
            models.Index(fields=["estado", "inicio", "fin", "sala"], name="reservas_window_probe"),
            models.Index(fields=["serie", "inicio"], name="reservas_serie_inicio"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fin__gt=models.F("inicio")), name="reservas_fin_after_inicio"
            ),
            models.CheckConstraint(condition=models.Q(asistentes__gte=1), name="reservas_asistentes_min"),
            models.CheckConstraint(
                condition=models.Q(fin__lte=models.F("inicio") + LONGEST_BOOKING),
                name="reservas_duracion_max",
            ),
            models.CheckConstraint(
                condition=models.Q(estado__in=["confirmada", "cancelada"]), name="reservas_estado_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.titulo} ({self.sala_id}, {self.inicio:%Y-%m-%d %H:%M})"


class FeedSecret(models.Model):
    """What a user's calendar-feed token is derived from; rotating it revokes the old URLs.

    A user with no row has the initial secret "": feed URLs exist for everyone
    without a write on a read request.
    """

    usuario = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("usuario"), on_delete=models.CASCADE, related_name="+"
    )
    secreto = models.CharField(_("secreto"), max_length=64)
    updated_at = models.DateTimeField(_("actualizado"), auto_now=True)

    class Meta:
        verbose_name = _("secreto de calendario")
        verbose_name_plural = _("secretos de calendario")

    def __str__(self) -> str:
        return str(self.usuario_id)
