"""The list lane answers GET /sala/all exactly as Django would, or lets Django answer."""

from __future__ import annotations

import logging
from typing import Any

import MySQLdb
import pytest
from django.conf import settings
from django.core import signing
from django.db import connections
from django.test import RequestFactory

from accounts.tests.factories import UserFactory
from conftest import PASSWORD
from fastpath import mirror, room_list
from fastpath.tests.lanes import LaneUnderTest, call, session_cookie
from replication import consistency, remembered, snapshot
from salas import api
from salas.tests.factories import SalaFactory

# Outside a test transaction: the primary's state tokens only move on commits.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def lane(settings):
    api.sala_list_cache_clear()
    room_list.clear_caches()
    remembered.forget_recent_states()
    # Every request asks the server's state, unless a test says otherwise (its own tests below).
    settings.STATE_RECHECK_SECONDS = 0
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


def _signed_gtid(gtid: str) -> str:
    signer = signing.get_cookie_signer(salt=consistency.COOKIE_NAME + consistency.COOKIE_SALT)
    return f"{consistency.COOKIE_NAME}={signer.sign(gtid)}"


@pytest.fixture
def on_a_replica_at_0_1_500(lane, user, monkeypatch) -> str:
    """The lane's headers learnt, reads routed to a replica that has applied 0-1-500; the session cookie."""
    from replication import health

    cookie = session_cookie(user)
    call(lane[0], HTTP_COOKIE=cookie)
    monkeypatch.setattr(health, "default_route", lambda: (health.REPLICA, health.REASON_OK))
    monkeypatch.setattr(snapshot, "replica_position", lambda: "0-1-500")
    return cookie


@pytest.mark.parametrize(
    ("gtid", "lane_answers"),
    [
        pytest.param("0-1-400", True, id="already-applied"),
        pytest.param("0-1-500", True, id="exactly-applied"),
        pytest.param("0-1-600", False, id="not-yet-applied"),
        pytest.param("1-1-1", False, id="other-domain"),
        pytest.param(consistency.PIN_TO_PRIMARY, False, id="pinned-to-primary"),
    ],
)
def test_a_read_your_writes_cookie_is_served_here_only_when_the_replica_holds_it(
    lane, on_a_replica_at_0_1_500, gtid, lane_answers
):
    fast, django = lane
    cookie = on_a_replica_at_0_1_500
    answer = call(fast, HTTP_COOKIE=f"{cookie}; {_signed_gtid(gtid)}")
    assert answer.status_code == 200
    assert django.calls == (1 if lane_answers else 2)


def _written_position() -> str:
    """What a write's read-your-writes cookie holds: the primary's whole position after it."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT @@GLOBAL.gtid_binlog_pos")
        return str(cursor.fetchone()[0])


def test_a_remembered_state_serves_readers_without_writes_until_it_is_rechecked(lane, user, settings):
    fast, django = lane
    settings.STATE_RECHECK_SECONDS = 3600
    cookie = session_cookie(user)
    call(fast, HTTP_COOKIE=cookie)
    assert call(fast, HTTP_COOKIE=cookie).json()["count"] == 0
    sala = SalaFactory(owner=user)
    # Within the interval a reader who did not write may get the page of the remembered state...
    assert call(fast, HTTP_COOKIE=cookie).json()["count"] == 0
    # ...the writer never: its cookie's position is not in that state, so the server is asked.
    own = call(fast, HTTP_COOKIE=f"{cookie}; {_signed_gtid(_written_position())}")
    assert [item["codigo"] for item in own.json()["salas"]] == [sala.codigo]
    assert django.calls == 1  # the lane answered both
    settings.STATE_RECHECK_SECONDS = 0
    assert call(fast, HTTP_COOKIE=cookie).json()["count"] == 1


def test_a_remembered_replica_state_is_used_for_a_writer_only_when_it_holds_the_write(
    lane, on_a_replica_at_0_1_500, monkeypatch, settings
):
    fast, django = lane
    settings.STATE_RECHECK_SECONDS = 3600
    asked: list[str] = []

    def position(now: str) -> None:
        monkeypatch.setattr(snapshot, "replica_position", lambda: asked.append(now) or now)

    position("0-1-500")
    cookie = on_a_replica_at_0_1_500
    call(fast, HTTP_COOKIE=cookie)
    call(fast, HTTP_COOKIE=f"{cookie}; {_signed_gtid('0-1-450')}")
    assert asked == ["0-1-500"]  # remembered: held the write
    position("0-1-600")
    call(fast, HTTP_COOKIE=f"{cookie}; {_signed_gtid('0-1-600')}")
    assert asked == ["0-1-500", "0-1-600"] and django.calls == 1  # asked again, and it held it
    answer = call(fast, HTTP_COOKIE=f"{cookie}; {_signed_gtid('0-1-700')}")
    assert answer.status_code == 200 and django.calls == 2  # not applied yet: Django waits for it
    assert len(asked) >= 3  # the lane asked once more before handing over (Django may ask too)


def test_a_forged_read_your_writes_cookie_is_ignored_as_django_ignores_it(lane, on_a_replica_at_0_1_500):
    fast, django = lane
    cookie = on_a_replica_at_0_1_500
    answer = call(fast, HTTP_COOKIE=f"{cookie}; {consistency.COOKIE_NAME}=0-1-900:forged")
    assert answer.status_code == 200 and django.calls == 1


def test_a_dead_pooled_connection_is_reconnected_not_reported_as_a_failed_server(lane, user, monkeypatch):
    """As after `make restart SERVICE=db2`: the server is fine, the pooled socket is not."""
    from replication import health

    fast, django = lane
    cookie = session_cookie(user)
    call(fast, HTTP_COOKIE=cookie)
    assert call(fast, HTTP_COOKIE=cookie).status_code == 200 and django.calls == 1
    pooled = connections["default"]
    thread_id = pooled.connection.thread_id()
    admin = MySQLdb.connect(**_admin_params())
    try:
        admin.cursor().execute(f"KILL CONNECTION {int(thread_id)}")
    finally:
        admin.close()
    failures: list[str] = []
    monkeypatch.setattr(health, "server_failed", lambda alias, error: failures.append(alias))
    answer = call(fast, HTTP_COOKIE=cookie)
    assert answer.status_code == 200 and django.calls == 1  # the lane answered, on a new connection
    assert failures == []
    assert connections["default"].connection.thread_id() != thread_id


def _admin_params() -> dict[str, Any]:
    config = connections["default"].settings_dict
    return {
        "host": config["HOST"],
        "port": int(config["PORT"]),
        "user": config["USER"],
        "password": config["PASSWORD"],
    }


def test_too_many_query_fields_get_djangos_answer_without_an_error_log(lane, user, caplog):
    fast, django = lane
    cookie = session_cookie(user)
    call(fast, HTTP_COOKIE=cookie)
    query = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    with caplog.at_level(logging.INFO):
        signed_in = call(fast, f"/sala/all?{query}", HTTP_COOKIE=cookie)
        anonymous = call(fast, f"/sala/all?{query}")
    assert signed_in.status_code == 400
    assert anonymous.status_code == 401
    assert django.calls == 3
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []
    assert not any(record.exc_info for record in caplog.records)


def test_a_malformed_csrf_cookie_is_replaced_as_django_replaces_it(lane, user):
    fast, django = lane
    cookie = session_cookie(user)
    call(fast, HTTP_COOKIE=cookie)
    answer = call(fast, HTTP_COOKIE=f"{cookie}; {settings.CSRF_COOKIE_NAME}=short!")
    assert django.calls == 2 and answer.status_code == 200
    assert any(
        name == "Set-Cookie" and value.strip().startswith(f"{settings.CSRF_COOKIE_NAME}=")
        for name, value in answer.headers
    )
    # A well-formed one is kept by Django, so the lane may answer.
    good = call(fast, HTTP_COOKIE=f"{cookie}; {settings.CSRF_COOKIE_NAME}={'a' * 32}")
    assert django.calls == 2 and good.status_code == 200


def test_many_accept_languages_evict_old_variants_instead_of_filling_the_table(lane, user):
    fast, django = lane
    cookie = session_cookie(user)
    for i in range(mirror.MAX_HEADER_VARIANTS + 20):
        call(fast, HTTP_COOKIE=cookie, HTTP_ACCEPT_LANGUAGE=f"es;q=0.{i:03d}")
    calls = django.calls
    # A new variant is still learnt, and then served by the lane.
    call(fast, HTTP_COOKIE=cookie, HTTP_ACCEPT_LANGUAGE="es-EC")
    assert django.calls == calls + 1
    call(fast, HTTP_COOKIE=cookie, HTTP_ACCEPT_LANGUAGE="es-EC")
    assert django.calls == calls + 1
    assert len(fast.fastpath.lanes[("GET", "/sala/all")].headers) == mirror.MAX_HEADER_VARIANTS


def test_hosts_are_remembered_by_what_django_reads_and_within_a_byte_budget(lane, user):
    fast, django = lane
    cookie = session_cookie(user)
    call(fast, HTTP_COOKIE=cookie)
    mirror.host_memo.clear()
    for i in range(300):
        # Django ignores X-Forwarded-Host here (USE_X_FORWARDED_HOST is off): one key for all.
        call(fast, HTTP_COOKIE=cookie, HTTP_X_FORWARDED_HOST=f"h{i}.example")
    assert len(mirror.host_memo) == 1
    for i in range(3000):
        mirror.host_allowed(RequestFactory().get("/", HTTP_HOST=f"{'x' * 200}{i}.example"))
    assert mirror.host_memo.size_in_bytes <= mirror.host_memo.max_bytes


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
