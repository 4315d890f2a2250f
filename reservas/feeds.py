"""Calendar feeds (iCalendar) that calendar applications subscribe to without cookies.

The URL carries `<user id>-<HMAC of the user id, the user's feed secret and the
feed>`: one token per feed (the user's own bookings, or one room's), so a URL
given away opens that feed alone; every user has feeds without anything being
written on a read, and rotating the secret (on demand, and with every password
change) makes every earlier URL a 404. Tokens are compared in constant time
and masked in the logs (nginx's log format, core.logging.MaskFeedTokens). Rotation is read like any
other row, from the node's replica: a calendar application sends no
read-your-writes cookie, so an old URL may keep working for as long as a
replica lags (at most REPLICA_MAX_LAG_SECONDS before reads leave it).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.http import require_GET
from icalendar import Calendar, Event

from accounts.models import User
from reservas.models import FeedSecret, Reserva
from reservas.selectors import OCUPADO, reserva_shows_details
from salas.models import Sala
from salas.selectors import sala_get

# A feed shows the recent past and the bookable future.
PAST_DAYS = 31
MAX_EVENTS = 2000
_SALT = "reservas.feeds.token"


def feed_token(user: User, secret: str | None = None, *, sala: Sala | None = None) -> str:
    """The token of the user's own feed, or of the room's feed as that user sees it."""
    if secret is None:
        secret = FeedSecret.objects.filter(usuario=user).values_list("secreto", flat=True).first() or ""
    # The personal feed keeps the message it always had, so its URLs survive this change.
    message = f"{user.pk}:{secret}" if sala is None else f"{user.pk}:{secret}:sala:{sala.pk}"
    digest = salted_hmac(_SALT, message, algorithm="sha256").hexdigest()[:40]
    return f"{user.pk}-{digest}"


def feed_url(request: HttpRequest, user: User, *, sala: Sala | None = None) -> str:
    if sala is None:
        path = reverse("reservas:ical-mias", args=[feed_token(user)])
    else:
        path = reverse("reservas:ical-sala", args=[feed_token(user, sala=sala), sala.codigo])
    return request.build_absolute_uri(path)


def feed_rotate(*, user: User) -> str:
    """A new secret for all the user's feeds; the old URLs stop working. Returns the new token."""
    secret = secrets.token_hex(16)
    FeedSecret.objects.update_or_create(usuario=user, defaults={"secreto": secret})
    return feed_token(user, secret)


def rotate_on_password_change(sender: object, *, user: User, **kwargs: object) -> None:
    """accounts.signals.password_changed: whoever had the old password may have copied the URLs."""
    feed_rotate(user=user)


def _user_for(token: str, *, sala: Sala | None = None) -> User:
    user_id, _, _digest = token.partition("-")
    if not user_id.isdigit() or len(user_id) > 18:
        raise Http404
    user = User.objects.filter(pk=int(user_id), is_active=True).first()
    if user is None or not constant_time_compare(feed_token(user, sala=sala), token):
        raise Http404
    return user


@require_GET
def mias_ics(request: HttpRequest, token: str) -> HttpResponse:
    user = _user_for(token)
    reservas = _upcoming(Reserva.objects.filter(usuario=user))
    return _calendar(f"Mis reservas ({user.username})", reservas, viewer=user)


@require_GET
def sala_ics(request: HttpRequest, token: str, codigo: str) -> HttpResponse:
    sala = sala_get(codigo=codigo)
    viewer = _user_for(token, sala=sala)
    reservas = _upcoming(Reserva.objects.filter(sala=sala))
    return _calendar(f"{sala.nombre} ({sala.codigo})", reservas, viewer=viewer)


def _upcoming(queryset) -> list[Reserva]:
    since = timezone.now() - timedelta(days=PAST_DAYS)
    queryset = queryset.filter(estado=Reserva.Estado.CONFIRMADA, fin__gt=since)
    return list(queryset.select_related("sala", "usuario").order_by("inicio", "id")[:MAX_EVENTS])


def _calendar(name: str, reservas: list[Reserva], *, viewer: User) -> HttpResponse:
    calendar = Calendar()
    calendar.add("prodid", "-//salas//reservas//ES")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for reserva in reservas:
        event = Event()
        # Stable across edits and feeds: a calendar app updates the event in place.
        event.add("uid", f"reserva-{reserva.pk}@salas")
        event.add("dtstamp", reserva.updated_at)
        event.add("dtstart", reserva.inicio)
        event.add("dtend", reserva.fin)
        event.add("location", f"{reserva.sala.nombre} ({reserva.sala.codigo})")
        if reserva_shows_details(viewer=viewer, reserva=reserva):
            event.add("summary", reserva.titulo)
            event.add(
                "description", f"Reservada por {reserva.usuario.username}, {reserva.asistentes} asistentes"
            )
        else:
            event.add("summary", str(OCUPADO))
            event.add("class", "PRIVATE")
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=60"
    return response
