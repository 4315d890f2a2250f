"""The two hottest requests, answered in front of Django's request cycle when that changes nothing.

Through Django (request object, thirteen middleware, URL resolving, the session
user loaded by the ORM) a request costs about 1.5 ms of Python, several times
the work of the answer itself. These WSGI wrappers answer GET /sala/all and
POST /sala/create directly when, and only when, they can prove the answer is
the one Django would give; for anything else, Django answers, with nothing
written by the lane.

The room list is answered only when:
* the request is GET /sala/all with a query string the view accepts;
* the session cookie verifies (accounts.sessions, the store Django itself
  uses), names a configured backend, and the user it names is
  active with the password the session was signed for. That verdict is cached
  like the page itself: per state of the database it was read from, so an
  account disabled or a password changed there takes effect as soon as Django's
  own check would see it;
* the read goes where Django would send it (replication.health.default_route),
  and no read-your-writes cookie asks the replica to wait: such a request goes
  through Django, whose middleware waits for the client's own write;
* one statement names the database's state (replication.snapshot), and the
  page and the user verdict are served for that state.

A room is created only when the body is a JSON object with exactly the three
fields, the host is allowed, Django's own CSRF check passes, the session names
a user, and the room passes the same rules as Django's path
(salas.services). The user is read from the primary once per session, and the
INSERT itself re-checks, in the same statement, that the account is still
active with the same password and username; when it is not, or the room breaks
a rule or a unique code, nothing was written and Django answers (401, 400,
409). The read-your-writes cookie is set as Django sets it. The connection to
the primary is checked before the INSERT, so a primary found down is Django's
503. Only a failure once the INSERT was sent is answered here (503, with the
cookie that pins the client's reads to the primary, as Django would): the
write may or may not have happened, so it must not be tried again.

The headers are Django's own: the first success Django gives for each path is
recorded per (Accept-Language, scheme), and replayed. A database error during
a read marks the server failed (as the routing middleware would) and lets
Django answer.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
    load_backend,
)
from django.core import signals
from django.core.exceptions import DisallowedHost, ValidationError
from django.core.handlers.wsgi import WSGIRequest
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.cookie import parse_cookie
from django.middleware.csrf import CSRF_SECRET_LENGTH, CsrfViewMiddleware
from django.utils import translation
from django.utils.crypto import constant_time_compare

from accounts.sessions import load_signed_session
from core.http import JSON_CONTENT_TYPE, ApiError, json_error, json_response
from core.middleware import RETRY_AFTER_SECONDS, unavailable_message
from replication import consistency, health, snapshot, state
from replication.health import PRIMARY, REPLICA
from salas import selectors, services
from salas.api import CREATE_FIELDS, ListParams, sala_create_api, sala_list_body, sala_list_params

logger = logging.getLogger(__name__)

PATH = "/sala/all"
CREATE_PATH = "/sala/create"
# Header values that shape Django's answer beyond the body: Content-Language
# follows Accept-Language; HSTS and the HTTPS redirect follow the scheme.
_MAX_HEADER_SETS = 64
_MAX_MEMO_ENTRIES = 4096
# A room's JSON is about 100 bytes; anything much larger goes to Django, which knows its limits.
_MAX_CREATE_BODY = 16 * 1024

Session = tuple[str, str, str]
Headers = list[tuple[str, str]]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_users = snapshot.PositionCache(max_entries=4096)
# Per host header(s): whether Django accepts the host (ALLOWED_HOSTS).
_known_hosts: dict[tuple[str | None, ...], bool] = {}


class _Lane:
    """Replays the headers of Django's first success for this request, per variant."""

    # The success whose headers are recorded, and the cookies the lane sets itself.
    recorded_status = "200 "
    own_cookies: frozenset[str] = frozenset()

    def __init__(self, app: WSGIApp):
        self.app = app
        # Django's headers for this answer, before and after Content-Length.
        self._headers: dict[tuple[str, str, str], tuple[Headers, Headers]] = {}

    @staticmethod
    def _variant(environ: dict[str, Any]) -> tuple[str, str, str]:
        return (
            environ.get("HTTP_ACCEPT_LANGUAGE", ""),
            environ.get("wsgi.url_scheme", ""),
            environ.get("HTTP_X_FORWARDED_PROTO", ""),
        )

    def _session(self, cookie: str | None) -> Session | None:
        """(user id, backend, password hash signature) from a valid signed session, else None."""
        data = load_signed_session(cookie) if cookie else None
        if data is None:
            return None
        try:
            session = (str(data[SESSION_KEY]), str(data[BACKEND_SESSION_KEY]), str(data[HASH_SESSION_KEY]))
        except KeyError:
            return None
        return session if session[1] in settings.AUTHENTICATION_BACKENDS else None

    def _through_django(
        self, environ: dict[str, Any], start_response: Callable[..., Any], variant: tuple[str, str, str]
    ) -> Iterable[bytes]:
        # Django answers such a request in the cookie's language, not the variant's.
        recordable = settings.LANGUAGE_COOKIE_NAME not in parse_cookie(environ.get("HTTP_COOKIE", ""))

        def record(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            names = {name.lower() for name, _ in headers}
            cookies = {
                value.split("=", 1)[0].strip() for name, value in headers if name.lower() == "set-cookie"
            }
            if (
                recordable
                and status.startswith(self.recorded_status)
                and cookies <= self.own_cookies
                and len(self._headers) < _MAX_HEADER_SETS
                and "content-length" in names
            ):
                kept = [(name, value) for name, value in headers if name.lower() != "set-cookie"]
                at = next(i for i, (name, _) in enumerate(kept) if name.lower() == "content-length")
                self._headers[variant] = (kept[:at], kept[at + 1 :])
            return start_response(status, headers, *args)

        return self.app(environ, record)


class RoomListFastLane(_Lane):
    def __init__(self, app: WSGIApp):
        super().__init__(app)
        # The view's reading of each query string, parsed once.
        self._known_params: dict[str, ListParams | None] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "GET":
            return self.app(environ, start_response)
        variant = self._variant(environ)
        headers = self._headers.get(variant)
        body = _safely(self._answer, environ) if headers is not None else None
        if body is None:
            return self._through_django(environ, start_response, variant)
        before, after = headers
        start_response("200 OK", [*before, ("Content-Length", str(len(body))), *after])
        return [body]

    def _answer(self, environ: dict[str, Any]) -> bytes | None:
        cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
        if settings.LANGUAGE_COOKIE_NAME in cookies or not _host_allowed(environ):
            return None
        params = self._params(environ.get("QUERY_STRING", ""))
        if params is None:
            return None
        session = self._session(cookies.get(settings.SESSION_COOKIE_NAME))
        if session is None:
            return None
        alias, reason = health.default_route()
        if alias == REPLICA and consistency.COOKIE_NAME in cookies:
            return None
        route = state.begin(state.ReadRoute(alias, reason))
        try:
            token = snapshot.current_token(alias)
            if token is None:
                return None
            if not _users.get_or_compute(
                alias, session, lambda: _session_user(session) is not None, token=token
            ):
                return None
            return sala_list_body(alias, params, token=token)
        except DatabaseError as exc:
            connections[alias].close()
            health.server_failed(alias, str(exc))
            return None
        finally:
            state.end(route)

    def _params(self, query_string: str) -> ListParams | None:
        """The view's reading of the query string, or None where the view would answer 400."""
        if query_string in self._known_params:
            return self._known_params[query_string]
        try:
            params = sala_list_params(QueryDict(query_string))
        except ApiError:
            params = None
        _remember(self._known_params, query_string, params)
        return params


class RoomCreateFastLane(_Lane):
    recorded_status = "201 "
    own_cookies = frozenset({consistency.COOKIE_NAME})

    def __init__(self, app: WSGIApp):
        super().__init__(app)
        # The user each session names, as last read from the primary; the
        # INSERT re-checks it (salas.services.sala_create_if_owner_unchanged).
        self._owners: dict[Session, Any] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != CREATE_PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        variant = self._variant(environ)
        headers = self._headers.get(variant)
        body = _read_body(environ) if headers is not None else None
        if headers is None or body is None:
            return self._through_django(environ, start_response, variant)
        # Django's own request boundaries: connections past their age or with
        # errors are closed, and the primary is pinged before its first use.
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            answer = self._answer(environ, body, headers)
        finally:
            signals.request_finished.send(sender=self.__class__)
        if answer is None:
            environ["wsgi.input"] = io.BytesIO(body)
            return self._through_django(environ, start_response, variant)
        status, extra, payload = answer
        before, after = headers
        start_response(status, [*before, ("Content-Length", str(len(payload))), *after, *extra])
        return [payload]

    def _answer(
        self, environ: dict[str, Any], body: bytes, headers: tuple[Headers, Headers]
    ) -> tuple[str, Headers, bytes] | None:
        route = state.begin(state.ReadRoute(PRIMARY, "write-request"))
        try:
            checked = _safely(self._checked, environ, body)
            if checked is None:
                return None
            session, owner, fields = checked
            sent = _WriteSent()
            try:
                with connections[PRIMARY].execute_wrapper(sent):
                    sala = services.sala_create_if_owner_unchanged(owner=owner, **fields)
                if sala is None:
                    self._owners.pop(session, None)
                    return None
                return _response(json_response(selectors.sala_to_dict(sala), status=201))
            except ValidationError:
                return None  # bad data or a taken code: nothing written
            except Exception as exc:
                if not sent.happened:
                    # mysqlclient builds the statement before sending it: nothing was written.
                    logger.exception("room create lane: unexpected error before the write")
                    return None
                if isinstance(exc, DatabaseError) and not isinstance(exc, (OperationalError, InterfaceError)):
                    # The server refused the statement: nothing written; Django answers.
                    logger.warning("room create lane: INSERT refused, Django answers: %s", exc)
                    return None
                # Sent, and then the primary failed or something unforeseen did:
                # the write may have happened, so it is never tried again.
                if not isinstance(exc, DatabaseError):
                    logger.exception("room create lane: unexpected error once the INSERT was sent")
                return _response(_unavailable(exc, headers))
        finally:
            state.end(route)

    def _checked(self, environ: dict[str, Any], body: bytes) -> tuple[Session, Any, dict[str, Any]] | None:
        """The session's user and the room, when the lane may write it; None leaves it to Django."""
        cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
        # A 32-character CSRF cookie is one Django keeps as it is (no new cookie to send).
        if (
            settings.LANGUAGE_COOKIE_NAME in cookies
            or len(cookies.get(settings.CSRF_COOKIE_NAME, "")) != CSRF_SECRET_LENGTH
            or environ.get("CONTENT_TYPE") != JSON_CONTENT_TYPE
        ):
            return None
        fields = _room_fields(body)
        session = self._session(cookies.get(settings.SESSION_COOKIE_NAME))
        if fields is None or session is None or not _host_allowed(environ):
            return None
        environ["wsgi.input"] = io.BytesIO(body)
        if _csrf.process_view(WSGIRequest(environ), sala_create_api, (), {}) is not None:
            return None
        try:
            owner = self._owner(session)
            # Django's connection check and reconnect, done here rather than on
            # the INSERT's cursor: a primary found down now has been sent
            # nothing, so Django answers (its 503 pins no reads to the primary).
            connection = connections[PRIMARY]
            connection.close_if_health_check_failed()
            connection.ensure_connection()
        except DatabaseError:
            return None
        return (session, owner, fields) if owner is not None else None

    def _owner(self, session: Session) -> Any:
        owner = self._owners.get(session)
        if owner is None:
            owner = _session_user(session)
            if owner is not None:
                _remember(self._owners, session, owner)
        return owner


class _WriteSent:
    """An execute wrapper noting that a statement went to the server (its outcome is then unknown)."""

    def __init__(self) -> None:
        self.happened = False

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.happened = True
        return execute(sql, params, many, context)


class _CsrfCheck(CsrfViewMiddleware):
    """Django's CSRF check, telling the lane "no" instead of rendering the refusal (Django will)."""

    def _reject(self, request: HttpRequest, reason: str) -> str:
        return reason


_csrf = _CsrfCheck(lambda request: None)


def _read_body(environ: dict[str, Any]) -> bytes | None:
    """The request body, read once; None (nothing read) when it is not a small one."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    if not 0 < length <= _MAX_CREATE_BODY:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _room_fields(body: bytes) -> dict[str, Any] | None:
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


def _unavailable(exc: Exception, headers: tuple[Headers, Headers]) -> HttpResponse:
    """The 503 Django's DatabaseUnavailableMiddleware gives, in the language of the recorded answer."""
    language = next(
        (value for name, value in (*headers[0], *headers[1]) if name.lower() == "content-language"),
        settings.LANGUAGE_CODE,
    )
    logger.warning("database unavailable on POST %s: %s", CREATE_PATH, exc)
    with translation.override(language):
        response = json_error(503, unavailable_message("POST", exc))
    response["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def _response(response: HttpResponse) -> tuple[str, Headers, bytes]:
    """Status, the headers the lane adds, and body of an answer to a write attempt.

    As Django's routing middleware does after any write attempt, the client gets
    the read-your-writes cookie: the primary's position, or a pin to the primary
    when the outcome is unknown. Cookies are serialised as Django's WSGI handler does.
    """
    consistency.remember_write(response)
    extra = [(name, value) for name, value in response.items() if name.lower() == "retry-after"]
    extra += [("Set-Cookie", cookie.output(header="")) for cookie in response.cookies.values()]
    return f"{response.status_code} {response.reason_phrase}", extra, response.content


def _safely(check: Callable[..., Any], *args: Any) -> Any:
    """check(*args), or None (Django answers) when it fails in a way the lane did not foresee."""
    try:
        return check(*args)
    except Exception:
        logger.exception("fast lane: unexpected error; Django answers instead")
        return None


def _host_allowed(environ: dict[str, Any]) -> bool:
    """Whether Django would accept the request's host (else it answers 400)."""
    key = (
        environ.get("HTTP_X_FORWARDED_HOST"),
        environ.get("HTTP_HOST"),
        environ.get("SERVER_NAME"),
        environ.get("SERVER_PORT"),
    )
    known = _known_hosts.get(key)
    if known is None:
        try:
            WSGIRequest({**environ, "wsgi.input": io.BytesIO()}).get_host()
            known = True
        except DisallowedHost:
            known = False
        _remember(_known_hosts, key, known)
    return known


def _remember(memo: dict[str, Any], key: str, value: Any) -> None:
    # Starting over when full keeps this lock-free (single dict operations are
    # atomic under the GIL) and bounded whatever clients send.
    if len(memo) >= _MAX_MEMO_ENTRIES:
        memo.clear()
    memo[key] = value


def _session_user(session: Session) -> Any:
    """The session's user by Django's own check (django.contrib.auth.get_user), current secret key only."""
    user_id, backend_path, session_hash = session
    try:
        user_id = get_user_model()._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    user = load_backend(backend_path).get_user(user_id)
    if user is None or not constant_time_compare(session_hash, user.get_session_auth_hash()):
        return None
    return user
