"""Memory answers (fastpath.wsgi): Django's answer, with no database connection and no request cycle."""

from __future__ import annotations

import pytest
from django.core import signals
from django.db import connections

from fastpath import room_list
from fastpath.tests.lanes import LaneUnderTest, call, session_cookie
from replication import remembered
from replication.backend.base import DatabaseWrapper
from salas import api
from salas.tests.factories import SalaFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def handler(settings):
    api.sala_list_cache_clear()
    room_list.clear_caches()
    remembered.forget_recent_states()
    settings.STATE_RECHECK_SECONDS = 3600  # the remembered state stays current for the whole test
    return LaneUnderTest()


@pytest.fixture
def cycles():
    """How many requests went through Django's handler (its request_started signal)."""
    seen: list[object] = []

    def started(**kwargs: object) -> None:
        seen.append(kwargs)

    signals.request_started.connect(started)
    yield seen
    signals.request_started.disconnect(started)


@pytest.fixture
def no_database(monkeypatch):
    """Any use of a connection from here on fails the test."""

    def refuse(self: DatabaseWrapper, *args: object, **kwargs: object) -> None:
        raise AssertionError(f"a memory answer used the {self.alias} connection")

    def close_then_refuse() -> None:
        connections.close_all()
        monkeypatch.setattr(DatabaseWrapper, "ensure_connection", refuse)
        monkeypatch.setattr(DatabaseWrapper, "connect", refuse)

    return close_then_refuse


def test_a_memory_answer_is_djangos_answer_without_a_connection_or_a_request_cycle(
    handler, user, cycles, no_database
):
    SalaFactory.create_batch(2, owner=user)
    cookie = session_cookie(user)
    learnt = call(handler, HTTP_COOKIE=cookie)  # Django answers; its headers are recorded
    call(handler, HTTP_COOKIE=cookie)  # the lane reads the state, the session's verdict, the page
    assert handler.calls == 1 and len(cycles) == 2
    no_database()
    answer = call(handler, HTTP_COOKIE=cookie)
    assert (answer.status_code, answer.headers, answer.body) == (200, learnt.headers, learnt.body)
    assert handler.calls == 1 and len(cycles) == 2  # neither Django's view nor its handler ran


def test_a_state_due_for_a_recheck_goes_through_djangos_handler(handler, user, cycles, settings):
    cookie = session_cookie(user)
    call(handler, HTTP_COOKIE=cookie)
    call(handler, HTTP_COOKIE=cookie)
    settings.STATE_RECHECK_SECONDS = 0
    before = len(cycles)
    assert call(handler, HTTP_COOKIE=cookie).status_code == 200
    assert len(cycles) == before + 1


@pytest.fixture
def verdicts_left_due(settings):
    """Afterwards no verdict of this test's outlives it: the next one asks the server again."""
    from replication import health

    yield health
    settings.REPLICA_HEALTH_TTL_SECONDS = 0
    health.replica_health(force=True)


@pytest.mark.parametrize(("ttl", "from_memory"), [(3600, True), (0, False)])
def test_a_health_verdict_due_goes_through_djangos_handler(
    handler, user, cycles, settings, verdicts_left_due, ttl, from_memory
):
    health = verdicts_left_due
    settings.READ_REPLICA_ENABLED = True  # a node with a replica: its reads rest on health verdicts
    settings.REPLICA_HEALTH_TTL_SECONDS = ttl
    health.replica_health(force=True)  # a verdict that is due at once when ttl is 0
    cookie = session_cookie(user)
    call(handler, HTTP_COOKIE=cookie)
    call(handler, HTTP_COOKIE=cookie)
    before = len(cycles)
    assert call(handler, HTTP_COOKIE=cookie).status_code == 200
    assert len(cycles) == before + (0 if from_memory else 1)


def test_another_session_or_page_is_not_answered_from_memory(handler, user, other_user, cycles):
    cookie = session_cookie(user)
    call(handler, HTTP_COOKIE=cookie)
    call(handler, HTTP_COOKIE=cookie)
    before = len(cycles)
    call(handler, HTTP_COOKIE=session_cookie(other_user))  # no verdict for this session yet
    call(handler, "/sala/all?page=2", HTTP_COOKIE=cookie)  # no page 2 cached
    assert len(cycles) == before + 2
    call(handler, "/sala/all?page=2", HTTP_COOKIE=cookie)
    assert len(cycles) == before + 2  # both are in memory now
