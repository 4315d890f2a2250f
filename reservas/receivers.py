"""What reservas adds to the apps below it, through their hooks (connected in ReservasConfig.ready()).

salas (salas/signals.py): a room with future bookings keeps them, no delete and
no capacity below its largest booking. The hooks run with the room's row locked,
and bookings lock the same row, so none can arrive between the count and the
room's write. accounts (accounts/signals.py): GET /api/me names the user's
calendar feed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from reservas.feeds import feed_url
from reservas.selectors import sala_future_bookings
from salas.models import Sala


def refuse_delete_with_future_bookings(sender: type[Sala], *, sala: Sala, **kwargs: Any) -> None:
    future, _most = sala_future_bookings(sala_id=sala.pk)
    if future:
        raise ValidationError(
            ngettext(
                "La sala tiene %(n)d reserva futura: cancélala antes de eliminarla.",
                "La sala tiene %(n)d reservas futuras: cancélalas antes de eliminarla.",
                future,
            )
            % {"n": future},
            code="conflict",
        )


def refuse_capacity_below_bookings(sender: type[Sala], *, sala: Sala, **kwargs: Any) -> None:
    if not isinstance(sala.capacidad, int):
        return
    _future, most = sala_future_bookings(sala_id=sala.pk)
    if most > sala.capacidad:
        raise ValidationError(
            {
                "capacidad": ValidationError(
                    _("Hay reservas futuras de %(n)d asistentes: la capacidad no puede ser menor.")
                    % {"n": most},
                    code="conflict",
                )
            }
        )


def me_feed_url(sender: type[User], *, request: HttpRequest, user: User, **kwargs: Any) -> dict[str, str]:
    return {"ical": feed_url(request, user)}
