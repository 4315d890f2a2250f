"""GET /sala/all answered by the fast path when the answer is provably Django's.

Answered only when: no language cookie, a CSRF cookie Django keeps as it is,
an allowed host, a query string the view accepts, a valid session whose user
is active with the password the session was signed for (that verdict cached
per database state, like the page), and the read going where Django's routing
would send it. The state is the one a node remembers for STATE_RECHECK_SECONDS
(replication.remembered.recent_state); a client carrying a read-your-writes cookie
is served here when that state, or the server's present one, holds its write;
otherwise Django answers, and waits for the replica as always.
"""

from __future__ import annotations

from http.client import responses

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse

from core.http import ApiError
from core.memo import BoundedMemo
from fastpath import mirror
from replication import StateCache, consistency, health, remembered, state
from salas.api import ListParams, sala_list_body, sala_list_cached_body, sala_list_params

_NOT_FOR_THE_LANE = object()
# Whether each session's user may read, per state of the database it was read from.
_users: StateCache[bool] = StateCache(max_entries=4096)


class RoomListLane:
    method = "GET"

    def __init__(self) -> None:
        self.path = reverse("salas:api-list")
        self.headers = mirror.RecordedHeaders(200)
        # As Django's WSGI handler writes it (its reason phrases are http.client's).
        self.status_line = f"{self.headers.status} {responses[self.headers.status]}"
        # The view's reading of each query string (None: the view answers 400).
        self._params: BoundedMemo[ListParams | object] = BoundedMemo(256 * 1024, max_key_bytes=2048)

    def answer(self, request: HttpRequest) -> HttpResponse | None:
        admitted = self._admit(request)
        if admitted is None:
            return None
        headers, params, session = admitted
        alias, reason = health.default_route()
        written = consistency.client_gtid(request)

        def read() -> bytes | None:
            # A state that holds the client's own last write, if it has one.
            if remembered.recent_state(alias, written) is None:
                return None  # not cached there, or the replica lacks the write: Django waits for it
            if not _users.get_or_compute(session, lambda: mirror.session_user(session) is not None):
                return None
            return sala_list_body(params)

        with state.routed(state.ReadRoute(alias, reason)):
            try:
                body = mirror.read_on_healthy_connection(alias, read)
            except (OperationalError, InterfaceError) as exc:
                # Not a stale pooled connection (read_on_healthy_connection replaced that): the
                # server failed. The same classes ReadRoutingMiddleware treats as a failed server.
                connections[alias].close()
                health.server_failed(alias, str(exc))
                remembered.forget_recent_states()  # no memory answer from a server just seen failing
                return None
            except DatabaseError:
                return None  # a refused statement, not a failed server: Django answers
        return None if body is None else mirror.RecordedHeaders.replay(headers, body, 200)

    def answer_from_memory(self, request: HttpRequest) -> tuple[list[tuple[str, str]], bytes] | None:
        """answer()'s 200 (headers for the WSGI server, body) when every fact it needs is in memory.

        It uses no database connection, not even to check one: the health
        verdicts, the server's remembered state (holding the client's own write,
        if any), the session's verdict and the page, all for that state.
        """
        admitted = self._admit(request)
        route = health.remembered_route()
        if admitted is None or route is None:
            return None
        headers, params, session = admitted
        with state.routed(state.ReadRoute(*route)):
            if (
                remembered.remembered_state(route[0], consistency.client_gtid(request)) is None
                or _users.peek(session) is not True
            ):
                return None
            body = sala_list_cached_body(params)
        return None if body is None else (mirror.RecordedHeaders.replay_wsgi(headers, body), body)

    def _admit(self, request: HttpRequest) -> tuple[mirror.Headers, ListParams, mirror.Session] | None:
        """What the answer rests on, if the request is one the lane may answer."""
        headers = self.headers.get(request)
        if headers is None:
            return None
        cookies = request.COOKIES
        if (
            mirror.has_language_cookie(request)
            or not mirror.csrf_cookie_kept(cookies.get(settings.CSRF_COOKIE_NAME))
            or not mirror.host_allowed(request)
        ):
            return None
        params = self.params(request.META.get("QUERY_STRING", ""))
        session = mirror.session_from_cookie(cookies.get(settings.SESSION_COOKIE_NAME))
        if params is None or session is None:
            return None
        return headers, params, session

    def params(self, query_string: str) -> ListParams | None:
        known = self._params.get(query_string)
        if known is None:
            try:
                known = sala_list_params(QueryDict(query_string))
            except (ApiError, SuspiciousOperation):
                # A 400 from the view, or Django's own refusal (TooManyFieldsSent):
                # Django answers either, as it answers everyone.
                known = _NOT_FOR_THE_LANE
            self._params.put(query_string, known)
        return None if known is _NOT_FOR_THE_LANE else known  # type: ignore[return-value]


def clear_caches() -> None:
    """Forget every cached verdict (tests)."""
    _users.clear()
