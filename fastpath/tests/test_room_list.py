"""The list lane answers GET /sala/all exactly as Django would, or lets Django answer."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from accounts.tests.factories import UserFactory
from conftest import PASSWORD
from fastpath import room_list
from fastpath.tests.lanes import LaneUnderTest, call, session_cookie
from replication import consistency
from salas import api
from salas.tests.factories import SalaFactory

# Outside a test transaction: the primary's state tokens only move on commits.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lane():
    api.sala_list_cache_clear()
    room_list.clear_caches()
    app = LaneUnderTest()
    return app, app


def test_answers_like_django_without_calling_it(lane, user):
    fast, django = lane
    SalaFactory.create_batch(3, owner=user)
    cookie = session_cookie(user)
    first = call(fast, HTTP_COOKIE=cookie)
    assert first.status_code == 200 and django.calls == 1  # Django answered; its headers recorded
    second = call(fast, HTTP_COOKIE=cookie)
    assert django.calls == 1  # the lane answered
    assert second.status_code == 200
    assert second.body == first.body and second.json()["count"] == 3
    assert second.headers == first.headers


def test_serves_the_new_state_after_every_commit(lane, user):
    fast, django = lane
    cookie = session_cookie(user)
    call(fast, HTTP_COOKIE=cookie)
    assert call(fast, HTTP_COOKIE=cookie).json()["count"] == 0
    sala = SalaFactory(owner=user, nombre="Sala <b>nueva</b>")
    answer = call(fast, HTTP_COOKIE=cookie)
    assert django.calls == 1
    assert [item["codigo"] for item in answer.json()["salas"]] == [sala.codigo]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda user: setattr(user, "is_active", False), id="account-disabled"),
        pytest.param(lambda user: user.set_password("Otra-Clave-2026!"), id="password-changed"),
    ],
)
def test_a_session_stops_working_as_soon_as_the_account_changes(lane, user, change):
    fast, django = lane
    cookie = session_cookie(user)
    call(fast, HTTP_COOKIE=cookie)
    assert call(fast, HTTP_COOKIE=cookie).status_code == 200
    assert django.calls == 1
    change(user)
    user.save()
    answer = call(fast, HTTP_COOKIE=cookie)
    assert answer.status_code == 401
    assert django.calls == 2  # Django said no, with its own error body
    assert answer.json()["error"]


def test_each_session_gets_its_own_verdict(lane, user):
    fast, django = lane
    other = UserFactory(password=PASSWORD)
    mine, theirs = session_cookie(user), session_cookie(other)
    call(fast, HTTP_COOKIE=mine)
    other.is_active = False
    other.save()
    assert call(fast, HTTP_COOKIE=theirs).status_code == 401
    assert call(fast, HTTP_COOKIE=mine).status_code == 200
    assert django.calls == 2


@pytest.mark.parametrize(
    ("environ", "path", "method"),
    [
        pytest.param({"HTTP_COOKIE": ""}, "/sala/all", "GET", id="no-session"),
        pytest.param({"HTTP_COOKIE": "sessionid=not-a-signed-value"}, "/sala/all", "GET", id="bad-signature"),
        pytest.param({"QUERY_STRING": "page=0"}, "/sala/all", "GET", id="bad-query"),
        pytest.param({"QUERY_STRING": "page_size=x"}, "/sala/all", "GET", id="bad-page-size"),
        pytest.param({}, "/sala/all", "POST", id="other-method"),
        pytest.param({}, "/api/status", "GET", id="other-path"),
        pytest.param({"HTTP_HOST": "evil.example"}, "/sala/all", "GET", id="host-not-allowed"),
    ],
)
def test_anything_else_goes_to_django(lane, user, environ, path, method):
    fast, django = lane
    cookie = session_cookie(user)
    call(fast, HTTP_COOKIE=cookie)  # headers recorded: the lane would answer a plain request
    environ = {"HTTP_COOKIE": cookie, **environ}
    if "QUERY_STRING" in environ:
        path = f"{path}?{environ.pop('QUERY_STRING')}"
    answer = call(fast, path, method, **environ)
    assert django.calls == 2
    assert answer.status_code != 200 or path == "/api/status"


def test_a_session_older_than_the_cookie_age_goes_to_django(lane, user, settings):
    fast, django = lane
    cookie = session_cookie(user)
    call(fast, HTTP_COOKIE=cookie)
    settings.SESSION_COOKIE_AGE = -1  # every session is now too old, for Django too
    answer = call(fast, HTTP_COOKIE=cookie)
    assert django.calls == 2 and answer.status_code == 401


def test_a_read_your_writes_cookie_is_left_to_django_on_a_replica_route(lane, user, monkeypatch):
    from replication import health

    fast, django = lane
    cookie = session_cookie(user)
    call(fast, HTTP_COOKIE=cookie)
    monkeypatch.setattr(health, "default_route", lambda: (health.REPLICA, health.REASON_OK))
    call(fast, HTTP_COOKIE=f"{cookie}; {consistency.COOKIE_NAME}=anything")
    assert django.calls == 2


def test_an_unforeseen_error_in_the_lane_leaves_the_answer_to_django(lane, user, monkeypatch):
    fast, django = lane
    SalaFactory(owner=user)
    cookie = session_cookie(user)
    call(fast, HTTP_COOKIE=cookie)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug in the lane")

    monkeypatch.setattr(room_list, "sala_list_body", broken)
    answer = call(fast, HTTP_COOKIE=cookie)
    assert answer.status_code == 200 and django.calls == 2
    assert answer.json()["count"] == 1


def test_an_answer_in_the_language_cookies_language_is_never_replayed(lane, user):
    fast, django = lane
    cookie = session_cookie(user)
    english = call(fast, HTTP_COOKIE=f"{cookie}; {settings.LANGUAGE_COOKIE_NAME}=en")
    assert ("Content-Language", "en") in english.headers
    plain = call(fast, HTTP_COOKIE=cookie)
    assert django.calls == 2  # nothing was recorded from the English answer
    assert ("Content-Language", settings.LANGUAGE_CODE) in plain.headers
    assert call(fast, HTTP_COOKIE=cookie).headers == plain.headers and django.calls == 2
