"""The rooms list, answered in front of Django's request cycle when that changes nothing.

GET /sala/all is the hottest request. Through Django (request object, thirteen
middleware, URL resolving, the session user loaded by the ORM) it costs about
1.5 ms of Python per request, several times the work of the answer itself. This
WSGI wrapper answers it directly when, and only when, it can prove its answer
is the one Django would give; for anything else, Django answers.

It answers only when:
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

The headers are Django's own: the first 200 Django gives for this path is
recorded per (Accept-Language, scheme), and replayed. A database error marks
the server failed (as the routing middleware would) and lets Django answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
    load_backend,
)
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connections
from django.http import QueryDict
from django.http.cookie import parse_cookie
from django.utils.crypto import constant_time_compare

from accounts.sessions import load_signed_session
from core.http import ApiError
from replication import consistency, health, snapshot, state
from replication.health import REPLICA
from salas.api import ListParams, sala_list_body, sala_list_params

PATH = "/sala/all"
# Header values that shape Django's answer beyond the body: Content-Language
# follows Accept-Language; HSTS and the HTTPS redirect follow the scheme.
_MAX_HEADER_SETS = 64
_MAX_MEMO_ENTRIES = 4096

Session = tuple[str, str, str]
Headers = list[tuple[str, str]]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_users = snapshot.PositionCache(max_entries=4096)


class RoomListFastLane:
    def __init__(self, app: WSGIApp):
        self.app = app
        # Django's headers for this answer, before and after Content-Length.
        self._headers: dict[tuple[str, str, str], tuple[Headers, Headers]] = {}
        # The view's reading of each query string, parsed once.
        self._known_params: dict[str, ListParams | None] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "GET":
            return self.app(environ, start_response)
        variant = (
            environ.get("HTTP_ACCEPT_LANGUAGE", ""),
            environ.get("wsgi.url_scheme", ""),
            environ.get("HTTP_X_FORWARDED_PROTO", ""),
        )
        headers = self._headers.get(variant)
        body = self._answer(environ) if headers is not None else None
        if body is None:
            return self._through_django(environ, start_response, variant)
        before, after = headers
        start_response("200 OK", [*before, ("Content-Length", str(len(body))), *after])
        return [body]

    def _answer(self, environ: dict[str, Any]) -> bytes | None:
        cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
        if settings.LANGUAGE_COOKIE_NAME in cookies:
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
                alias, session, lambda: _session_user_is_valid(session), token=token
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
        def record(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            names = {name.lower() for name, _ in headers}
            if (
                status.startswith("200 ")
                and "set-cookie" not in names
                and len(self._headers) < _MAX_HEADER_SETS
            ):
                at = next(
                    (i for i, (name, _) in enumerate(headers) if name.lower() == "content-length"), None
                )
                if at is not None:
                    self._headers[variant] = (headers[:at], headers[at + 1 :])
            return start_response(status, headers, *args)

        return self.app(environ, record)


def _remember(memo: dict[str, Any], key: str, value: Any) -> None:
    # Starting over when full keeps this lock-free (single dict operations are
    # atomic under the GIL) and bounded whatever clients send.
    if len(memo) >= _MAX_MEMO_ENTRIES:
        memo.clear()
    memo[key] = value


def _session_user_is_valid(session: Session) -> bool:
    """Django's own session check (django.contrib.auth.get_user), current secret key only."""
    user_id, backend_path, session_hash = session
    try:
        user_id = get_user_model()._meta.pk.to_python(user_id)
    except ValidationError:
        return False
    user = load_backend(backend_path).get_user(user_id)
    return user is not None and constant_time_compare(session_hash, user.get_session_auth_hash())
