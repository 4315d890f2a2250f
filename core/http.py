"""JSON plumbing shared by every JSON endpoint, and the one error contract.

Every error leaves in one shape, `{"error": "...", "fields": {...}}`, so that a
client can handle a 400 from the rooms API and a 401 from the auth API alike.
json_error builds each one (core/views.error_response too, for a client that
wants JSON); bad input raises InvalidInput, other refusals ApiError, and
exception_response maps what a handler raises (core/api.py installs it in the
API).
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

JSON_CONTENT_TYPE = "application/json"
# Where a matching If-None-Match means 304 (other methods get 412: Django's get_conditional_response).
SAFE_READS = frozenset({"GET", "HEAD"})

# What an error says when its raiser says nothing more specific.
DEFAULT_MESSAGES = {
    400: gettext_lazy("Petición no válida."),
    401: gettext_lazy("Debes iniciar sesión."),
    403: gettext_lazy("No tienes permiso para esta acción."),
    404: gettext_lazy("No encontrado."),
    405: gettext_lazy("Método no permitido."),
    500: gettext_lazy("Error interno del servidor."),
}


class ApiError(Exception):
    """An error that maps directly onto a JSON error response."""

    def __init__(self, status: int, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or {}


class InvalidInput(ApiError):
    """400 "Datos no válidos.", with what is wrong field by field: the one answer to bad input."""

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__(400, self.message_text(), fields)

    @staticmethod
    def message_text() -> str:
        return _("Datos no válidos.")


def json_response(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(
        orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS),
        status=status,
        content_type=JSON_CONTENT_TYPE,
    )


def content_etag(body: bytes) -> str:
    """A strong ETag naming exactly these bytes (computed once, when a cached page is made)."""
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


def conditional_response(request: HttpRequest, etag: str, body: bytes) -> HttpResponse:
    """A JSON 200 carrying `etag`, or a bodiless 304 when the client already holds these bytes.

    The ETag names the body itself, not the database state it came from: a page
    read on the primary may be filed under a state it did not fully see
    (replication.snapshot), and a 304 must never confirm a copy that lacks the
    client's own write.
    """
    meta = request.META
    if (
        meta.get("HTTP_IF_NONE_MATCH") == etag
        and "HTTP_IF_MATCH" not in meta
        and request.method in SAFE_READS
    ):
        # The revalidation every client of this page sends: its ETag, unchanged. Django's answer
        # to it, without building the 200 first (a 304 keeps the ETag: RFC 9110 15.4.5).
        not_modified = HttpResponseNotModified()
        not_modified["ETag"] = etag
        return not_modified
    response = HttpResponse(body, content_type=JSON_CONTENT_TYPE)
    response["ETag"] = etag
    if "HTTP_IF_NONE_MATCH" not in meta and "HTTP_IF_MATCH" not in meta:
        return response
    # Django's own If-None-Match handling (RFC 9110: weak comparison, "*", 304 keeps the ETag).
    return get_conditional_response(request, etag=etag, response=response) or response


def json_error(
    status: int,
    message: str | None = None,
    fields: dict[str, list[str]] | None = None,
    *,
    retry_after: int | None = None,
    **extra: Any,
) -> HttpResponse:
    """`{"error": message, "fields": {...}}`, then whatever a status adds (a 409's `conflictos`).

    `message` defaults to the status's own (DEFAULT_MESSAGES); `retry_after`
    (seconds) tells a client of a 429 or 503 when to come back.
    """
    body = {"error": str(message or DEFAULT_MESSAGES[status]), "fields": fields or {}, **extra}
    response = json_response(body, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def wants_json(request: HttpRequest) -> bool:
    """Whether an error for this request should be JSON rather than a page."""
    if request.path.startswith(("/sala/", "/reserva/", "/auth/", "/api/")):
        return True
    return JSON_CONTENT_TYPE in request.headers.get("Accept", "")


def parse_json_object(request: HttpRequest) -> dict[str, Any]:
    """The request body as a JSON object, or an ApiError(400) saying what is wrong."""
    content_type = request.content_type or ""
    if content_type != JSON_CONTENT_TYPE:
        raise ApiError(400, _("El cuerpo debe ser JSON (Content-Type: application/json)."))
    try:
        data = orjson.loads(request.body or b"")
    except orjson.JSONDecodeError:
        raise ApiError(400, _("JSON mal formado.")) from None
    if not isinstance(data, dict):
        raise ApiError(400, _("Se esperaba un objeto JSON."))
    return data


def validation_error_fields(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            field: [message for e in errors for message in e.messages]
            for field, errors in error.error_dict.items()
        }
    return {"__all__": list(error.messages)}


def _has_code(error: ValidationError, code: str) -> bool:
    if hasattr(error, "error_dict"):
        return any(e.code == code for errors in error.error_dict.values() for e in errors)
    return any(e.code == code for e in error.error_list)


def is_conflict(error: ValidationError) -> bool:
    """Whether other rows refused this change (409), not the input itself (400)."""
    return _has_code(error, "conflict")


def _conflict_message(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return next(
            e.messages[0] for errors in error.error_dict.values() for e in errors if e.code == "conflict"
        )
    return error.messages[0]


def exception_response(exc: Exception) -> HttpResponse | None:
    """The contract's answer to an exception a JSON endpoint raised, or None for one it does not map.

    ApiError as it says; ValidationError 400, or 409 when the database or the
    validation found a duplicate or other rows refuse the change; 403 and 404
    from Django's own exceptions. Anything else (a database outage) is left to
    the middleware (core.middleware.DatabaseUnavailableMiddleware answers 503).
    """
    if isinstance(exc, ApiError):
        return json_error(exc.status, exc.message, exc.fields)
    if isinstance(exc, ValidationError):
        fields = validation_error_fields(exc)
        if _has_code(exc, "unique"):
            return json_error(409, _("Ya existe un registro con esos datos."), fields)
        if is_conflict(exc):
            # A rule that other rows decide (a room with future bookings).
            return json_error(409, _conflict_message(exc), fields)
        return json_error(400, InvalidInput.message_text(), fields)
    if isinstance(exc, PermissionDenied):
        return json_error(403)
    if isinstance(exc, Http404):
        return json_error(404)
    return None


def method_not_allowed(allowed: Iterable[str]) -> HttpResponse:
    """405 in the contract's shape, naming the methods the path takes."""
    response = json_error(405)
    response["Allow"] = ", ".join(sorted(allowed))
    return response


def client_ip(request: HttpRequest) -> str:
    """The client's address: nginx's X-Real-IP when the request came through it.

    Only nginx may name another address: locally it reaches the nodes over unix
    sockets that only root and nginx's user may open (cluster/layout.py), under
    Docker from the networks in TRUSTED_PROXY_NETWORKS. A local process talking
    to a node's loopback port is its own address, whatever header it sends, so
    it cannot dodge the login lockout by rotating one.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if _is_trusted_proxy(remote) or _is_unix_socket_peer(request):
        forwarded = request.META.get("HTTP_X_REAL_IP", "").strip()
        if forwarded:
            return forwarded
    return remote


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.cache
def _networks(listed: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(net) for net in listed)


def address_in(address: str, setting: str) -> bool:
    """Whether `address` is in one of the networks the setting lists (a bad address is in none)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(getattr(settings, setting))))


def _is_unix_socket_peer(request: HttpRequest) -> bool:
    # Locally nginx reaches the nodes over unix sockets, for which gunicorn's
    # REMOTE_ADDR is empty; only root and nginx's user may open them.
    connection = request.META.get("gunicorn.socket")
    return getattr(connection, "family", None) == socket.AF_UNIX


def _is_trusted_proxy(address: str) -> bool:
    return address_in(address, "TRUSTED_PROXY_NETWORKS")
