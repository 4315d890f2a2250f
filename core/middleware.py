"""Cross-cutting HTTP behaviour: node identity, security headers, request timing, outages."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import middleware as messages_middleware
from django.contrib.messages.storage import default_storage
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware import locale
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject, empty
from django.utils.translation import gettext as _
from prometheus_client import Histogram

from core.http import wants_json
from core.metric_buffer import BufferedHistogram
from core.views import error_response

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Client-chosen methods would make labels without bound: the rest count as "other".
TIMED_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REQUEST_SECONDS = BufferedHistogram(
    Histogram(
        "salas_request_duration_seconds",
        "Time this node spent on a request, from its first middleware to its response (nginx and "
        "the network not included), by method.",
        ["method"],
        buckets=LATENCY_BUCKETS,
    ),
    LATENCY_BUCKETS,
)


class NodeHeaderMiddleware:
    """Name the answering node on every response, set the page CSP, and time the request.

    X-Node lets a balance check or a person with devtools see which of the
    three nodes answered, from the response itself. The time goes to GET
    /metrics (salas_request_duration_seconds): this middleware is the outermost.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.node = settings.NODE_NAME

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in TIMED_METHODS else "other"
        REQUEST_SECONDS.observe(time.perf_counter() - started, method or "other")
        response["X-Node"] = self.node
        if response.get("Content-Type", "").startswith("text/html"):
            response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


class LocaleMiddleware(locale.LocaleMiddleware):
    """Django's LocaleMiddleware, without its URL-prefix work where the URLconf has no i18n_patterns().

    Django's looks for a language code at the start of every request's path, twice
    (the "sala" of /sala/all is tried as a language, and being none, never
    remembered): a third of a cached room list's middleware time. Without
    i18n_patterns() the path decides nothing, and what is left is the same: the
    language from the cookie or Accept-Language, Vary and Content-Language.
    """

    def process_request(self, request: HttpRequest) -> None:
        if _language_prefix_patterns_used(request):
            return super().process_request(request)
        translation.activate(translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()
        return None

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if _language_prefix_patterns_used(request):
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def _language_prefix_patterns_used(request: HttpRequest) -> bool:
    # Cached by Django per URLconf.
    return is_language_prefix_patterns_used(getattr(request, "urlconf", settings.ROOT_URLCONF))[0]


class MessageMiddleware(messages_middleware.MessageMiddleware):
    """Django's MessageMiddleware, with the request's message storage built only once something uses it.

    Building it (a fallback storage over a signed cookie and the session) on every
    request costs as much as the rest of a JSON read's middleware; the JSON API
    never uses it. A storage never built holds nothing to save.
    """

    def process_request(self, request: HttpRequest) -> None:
        # Django's own attribute for it (django.contrib.messages.api reads it).
        request._messages = SimpleLazyObject(lambda: default_storage(request))  # type: ignore[attr-defined]  # noqa: SLF001

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        storage = getattr(request, "_messages", None)
        # _wrapped is `empty` until first use: LazyObject's protocol for its subclasses.
        if isinstance(storage, SimpleLazyObject) and storage._wrapped is empty:  # noqa: SLF001
            return response
        return super().process_response(request, response)


class DatabaseUnavailableMiddleware:
    """Report a database outage as a 503, never as a 500 or an empty page.

    Reads are kept away from dead servers by the router; what still reaches
    here is a write while the primary is down, or a read when no server this
    node may read from answers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("database unavailable on %s %s: %s", request.method, request.path, exception)
        if not wants_json(request):
            _forget_user_if_unreadable(request)
        message = unavailable_message(request.method, exception)
        return error_response(request, 503, message, retry_after=RETRY_AFTER_SECONDS)


def unavailable_message(method: str | None, exception: Exception) -> str:
    """What a 503 tells the user, in the active language."""
    if _is_read_only_error(exception):
        return _("La base de datos principal no admite escrituras ahora mismo.")
    if method in {"GET", "HEAD", "OPTIONS"}:
        return _("La base de datos no está disponible. Inténtalo de nuevo en unos segundos.")
    return _(
        "La base de datos principal no está disponible: no se pueden guardar cambios "
        "ahora mismo. Inténtalo de nuevo en unos segundos."
    )


def _forget_user_if_unreadable(request: HttpRequest) -> None:
    # The page's header names the signed-in user; if the user cannot be loaded
    # either, render it anonymous rather than fail a second time.
    try:
        request.user.is_authenticated  # noqa: B018 - forces the lazy lookup
    except DatabaseError:
        request.user = AnonymousUser()


def _is_read_only_error(exception: Exception) -> bool:
    # 1290: the server runs with --read-only (a replica or a demoted primary).
    return bool(exception.args) and exception.args[0] == 1290
