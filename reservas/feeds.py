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

import hashlib
import secrets
from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count, Max, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import http_date, quote_etag
from django.utils.translation import get_language
from django.views.decorators.http import require_GET
from icalendar import Calendar, Event

from accounts.models import User
from reservas.models import FeedSecret, Reserva
from reservas.selectors import OCUPADO, ROOM_ORDER, USER_ORDER, overlapping, reserva_shows_details
from salas.models import Sala
from salas.selectors import sala_get

# A feed shows a window: the recent past and the bookable future, never more
# events than MAX_EVENTS (a busy room's year holds more than that).
PAST_DAYS = 90
FUTURE_DAYS = 365
MAX_EVENTS = 2000
FEED_CACHE_SECONDS = 600
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
    bookings = Reserva.objects.filter(usuario=user)
    name = f"Mis reservas ({user.username})"
    return _feed(request, name, bookings, identity=("u", user.pk), order=USER_ORDER, viewer=user)


@require_GET
def sala_ics(request: HttpRequest, token: str, codigo: str) -> HttpResponse:
    sala = sala_get(codigo=codigo)
    viewer = _user_for(token, sala=sala)
    name = f"{sala.nombre} ({sala.codigo})"
    # The room's own edits (its name is every event's location, its privacy) change the feed too.
    identity = ("s", sala.pk, viewer.pk, sala.updated_at.timestamp())
    return _feed(
        request, name, Reserva.objects.filter(sala=sala), identity=identity, order=ROOM_ORDER, viewer=viewer
    )


def _feed(
    request: HttpRequest,
    name: str,
    queryset: QuerySet[Reserva],
    *,
    identity: tuple,
    order: tuple[str, ...],
    viewer: User,
) -> HttpResponse:
    """The window's first MAX_EVENTS events, answered 304 when the client's copy is current.

    The validator is one aggregate over exactly those rows, read in index order
    (count, sum of ids: a cancellation or a new booking changes the set; latest
    update); the rendered body is kept in Django's cache under it, as rendering
    is what a feed costs.
    """
    now = timezone.now()
    window = overlapping(queryset, now - timedelta(days=PAST_DAYS), now + timedelta(days=FUTURE_DAYS))
    # In the index's own order, so that reading stops after MAX_EVENTS rows.
    shown = window.order_by(*order)[:MAX_EVENTS]
    stamp = shown.aggregate(n=Count("id"), ids=Sum("id"), last=Max("updated_at"))
    last = stamp["last"]
    # What else the body depends on: who reads it (private bookings) and in which language.
    version = (
        f"{identity}:{stamp['n']}:{stamp['ids']}:{last.timestamp() if last else 0}:{name}:{get_language()}"
    )
    etag = quote_etag(hashlib.sha256(version.encode()).hexdigest()[:32])
    last_modified = int(last.timestamp()) if last else None
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        key = f"reservas:feed:{etag}"
        body = cache.get(key)
        if body is None:
            body = _calendar(name, list(shown.select_related("sala", "usuario")), viewer=viewer)
            cache.set(key, body, FEED_CACHE_SECONDS)
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    # Revalidated on each poll: a 304 costs one aggregate over the shown rows.
    response["Cache-Control"] = "private, no-cache"
    return response


def _calendar(name: str, reservas: list[Reserva], *, viewer: User) -> bytes:
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
    return calendar.to_ical()
