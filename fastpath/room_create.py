"""POST /sala/create answered by the fast path when the answer is provably Django's.

A room is created here only when the body is a JSON object with exactly the
three fields, the host is allowed, Django's own CSRF check passes, the session
names a user, and the room passes the service's own rules (salas.services). The
user is read from the primary once per session; the INSERT itself re-checks, in
the same statement, that the account is still active with the same password and
username. Whenever that fails, or the room breaks a rule or a unique code,
nothing was written and Django answers (401, 400, 409).

The connection to the primary is checked before the INSERT, so a primary found
down is Django's own 503. Only a failure once the INSERT was sent is answered
here: 503, with the cookie that pins the client's reads to the primary, as
Django would. The write may or may not have happened, so it is never retried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CSRF_SECRET_LENGTH
from django.urls import reverse
from django.utils import translation

from core.http import JSON_CONTENT_TYPE, json_error, json_response
from core.memo import BoundedMemo
from core.middleware import RETRY_AFTER_SECONDS, unavailable_message
from fastpath import mirror
from replication import consistency, primary_connection, state
from salas import selectors, services
from salas.api import CREATE_FIELDS, sala_create_api

logger = logging.getLogger(__name__)

# A room's JSON is about 100 bytes; anything much larger goes to Django, which knows its limits.
MAX_BODY = 16 * 1024


class RoomCreateLane:
    method = "POST"

    def __init__(self) -> None:
        self.path = reverse("salas:api-create")
        self.headers = mirror.RecordedHeaders(201, own_cookies=frozenset({consistency.COOKIE_NAME}))
        self._csrf = mirror.CsrfCheck(lambda request: HttpResponse())
        # The user each session names, as last read from the primary; the INSERT re-checks it.
        self._owners: BoundedMemo[Any] = BoundedMemo(4 * 1024 * 1024, value_bytes=2048)  # a User instance

    def answer(self, request: HttpRequest) -> HttpResponse | None:
        headers = self.headers.get(request)
        if headers is None or not _small_body(request):
            return None
        with state.routed(state.ReadRoute(state.PRIMARY, "write-request")):
            accepted = self._session_owner_and_fields(request)
            if accepted is None:
                return None
            session, owner, fields = accepted
            sent = _WriteSent()
            try:
                with primary_connection().execute_wrapper(sent):
                    sala = services.sala_create_if_owner_unchanged(owner=owner, **fields)
            except ValidationError:
                return None  # bad data or a taken code: nothing written
            # Any failure: once the INSERT was sent its outcome is unknown, and _failed() decides.
            except Exception as exc:  # noqa: BLE001 - logged by _failed(); never a silent result
                return self._failed(exc, sent, headers)
            if sala is None:
                self._owners.pop(session)
                return None
            try:
                body = json_response(selectors.sala_to_dict(sala)).content
                response = mirror.RecordedHeaders.replay(headers, body, 201)
                consistency.set_write_position_cookie(response)
            except Exception as exc:  # noqa: BLE001 - logged below; the room exists: never hand on to Django
                # Written: handing on to Django would INSERT again (a 409 for the client's own room).
                logger.exception("room create lane: the room was written, its answer failed")
                return _unavailable(exc, headers)
            return response

    def _session_owner_and_fields(
        self, request: HttpRequest
    ) -> tuple[mirror.Session, Any, dict[str, Any]] | None:
        """The session's user and the room, when the lane may write it; None leaves it to Django."""
        cookies = request.COOKIES
        # A 32-character CSRF cookie is one Django keeps as it is (no new cookie to send).
        if (
            mirror.has_language_cookie(request)
            or len(cookies.get(settings.CSRF_COOKIE_NAME, "")) != CSRF_SECRET_LENGTH
            or request.META.get("CONTENT_TYPE") != JSON_CONTENT_TYPE
        ):
            return None
        fields = room_fields(request.body)
        session = mirror.session_from_cookie(cookies.get(settings.SESSION_COOKIE_NAME))
        if fields is None or session is None or not mirror.host_allowed(request):
            return None
        if self._csrf.process_view(request, sala_create_api, (), {}) is not None:
            return None
        try:
            owner = self._owner(session)
            # Django's connection check and reconnect, done before the INSERT: a
            # primary found down now has been sent nothing, so Django answers.
            connection = primary_connection()
            connection.close_if_health_check_failed()
            connection.ensure_connection()
        except DatabaseError:
            return None
        return (session, owner, fields) if owner is not None else None

    def _owner(self, session: mirror.Session) -> Any:
        owner = self._owners.get(session)
        if owner is None:
            owner = mirror.session_user(session)
            if owner is not None:
                self._owners.put(session, owner)
        return owner

    def _failed(self, exc: Exception, sent: _WriteSent, headers: mirror.Headers) -> HttpResponse | None:
        if not sent.happened:
            # mysqlclient builds the statement before sending it: nothing was written.
            logger.exception("room create lane: unexpected error before the write")
            return None
        if isinstance(exc, DatabaseError) and not isinstance(exc, OperationalError | InterfaceError):
            # The server refused the statement: nothing written; Django answers.
            logger.warning("room create lane: INSERT refused, Django answers: %s", exc)
            return None
        # Sent, and then the primary failed or something unforeseen did: the
        # write may have happened, so it is never tried again.
        if not isinstance(exc, DatabaseError):
            logger.exception("room create lane: unexpected error once the INSERT was sent")
        return _unavailable(exc, headers)


class _WriteSent:
    """An execute wrapper noting that a statement went to the server (its outcome is then unknown)."""

    def __init__(self) -> None:
        self.happened = False

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.happened = True
        return execute(sql, params, many, context)


def _small_body(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return False
    return 0 < length <= MAX_BODY


def room_fields(body: bytes) -> dict[str, Any] | None:
    """The body's room, when it is what the API accepts: exactly its fields, none null."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or set(data) != set(CREATE_FIELDS):
        return None
    if any(data[name] is None for name in CREATE_FIELDS):
        return None
    return data


def _unavailable(exc: Exception, headers: mirror.Headers) -> HttpResponse:
    """The 503 DatabaseUnavailableMiddleware gives, in the language of the recorded answer, with the pin."""
    language = headers.get("content-language", ("", settings.LANGUAGE_CODE))[1]
    logger.warning("database unavailable on POST %s: %s", reverse("salas:api-create"), exc)
    with translation.override(language):
        body = json_error(503, unavailable_message("POST", exc)).content
    response = mirror.RecordedHeaders.replay(headers, body, 503)
    response["Retry-After"] = RETRY_AFTER_SECONDS
    consistency.set_write_position_cookie(response)
    return response
