"""The create lane writes a room exactly as Django would, or writes nothing and lets Django answer."""

from __future__ import annotations

from typing import Any

import MySQLdb
import orjson
import pytest
from django.conf import settings
from django.db import connections
from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
from django.test import RequestFactory

from fastpath import room_create
from fastpath.tests.lanes import Answer, LaneUnderTest, run, session_cookie
from replication import consistency
from salas.models import Sala
from salas.tests.factories import SalaFactory

pytestmark = pytest.mark.django_db(transaction=True)

CSRF_SECRET = _get_new_csrf_string()


@pytest.fixture
def lane():
    app = LaneUnderTest()
    return app, app


@pytest.fixture
def cookie(user) -> str:
    return f"{session_cookie(user)}; {settings.CSRF_COOKIE_NAME}={CSRF_SECRET}"


def room(codigo: str, **fields: Any) -> dict[str, Any]:
    return {"nombre": f"Sala {codigo}", "codigo": codigo, "capacidad": 12, **fields}


def post(
    lane: Any,
    body: Any,
    *,
    cookie: str,
    content_type: str = "application/json",
    token: str | None = None,
    **environ: Any,
) -> Answer:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = {"HTTP_COOKIE": cookie, **environ}
    if token is None:
        token = _mask_cipher_secret(CSRF_SECRET)
    if token:
        headers["HTTP_X_CSRFTOKEN"] = token
    request = RequestFactory().post("/sala/create", data, content_type=content_type, **headers)
    return run(lane, request.environ)


def header_names(answer: Answer) -> list[str]:
    return [name for name, _ in answer.headers]


def test_creates_like_django_without_calling_it(lane, user, cookie):
    fast, django = lane
    first = post(fast, room("LANE-1"), cookie=cookie)
    assert first.status_code == 201 and django.calls == 1  # Django answered; its headers recorded
    second = post(fast, room("LANE-2", capacidad="30"), cookie=cookie)
    assert django.calls == 1  # the lane answered
    assert second.status_code == 201
    assert header_names(second) == header_names(first)
    assert [h for h in second.headers if h[0] not in ("Content-Length", "Set-Cookie")] == [
        h for h in first.headers if h[0] not in ("Content-Length", "Set-Cookie")
    ]
    stored = Sala.objects.get(codigo="LANE-2")
    body = second.json()
    assert body == {
        "id": stored.pk,
        "nombre": "Sala LANE-2",
        "codigo": "LANE-2",
        "capacidad": 30,
        "owner": {"id": user.pk, "username": user.username},
        "created_at": stored.created_at.isoformat(),
    }
    assert set(body) == set(first.json())
    assert stored.owner_id == user.pk and stored.updated_at == stored.created_at


def test_the_read_your_writes_cookie_covers_the_write(lane, user, cookie):
    fast, django = lane
    post(fast, room("LANE-1"), cookie=cookie)
    answer = post(fast, room("LANE-2"), cookie=cookie)
    assert django.calls == 1
    (set_cookie,) = [value for name, value in answer.headers if name == "Set-Cookie"]
    name, signed = set_cookie.split(";")[0].strip().split("=", 1)
    assert name == consistency.COOKIE_NAME
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    # Read back as the next request's routing middleware reads it.
    gtid = consistency.client_gtid(RequestFactory(HTTP_COOKIE=f"{name}={signed}").get("/"))
    domain, server, sequence = gtid.split(",")[-1].split("-")
    assert int(sequence) > 0  # a MariaDB/MySQL position, not the "primary" pin


@pytest.mark.parametrize(
    ("body", "extra", "status"),
    [
        pytest.param(room("LANE-X", capacidad=0), {}, 400, id="capacity-zero"),
        pytest.param(room("LANE-X", capacidad=10**9), {}, 400, id="capacity-huge"),
        pytest.param(room("LANE-X", capacidad=True), {}, 400, id="capacity-bool"),
        pytest.param(room("LANE-X", capacidad="²"), {}, 400, id="capacity-superscript-digit"),
        pytest.param(room("LANE-X", capacidad="١٢"), {}, 400, id="capacity-arabic-digits"),
        pytest.param(room("LANE-X", capacidad="9" * 5000), {}, 400, id="capacity-5000-digits"),
        pytest.param(room("no válido!"), {}, 400, id="bad-codigo"),
        pytest.param(room("LANE-X", nombre="x" * 101), {}, 400, id="long-nombre"),
        pytest.param(room("LANE-X", nombre="   "), {}, 400, id="blank-nombre"),
        pytest.param(room("LANE-X", extra=1), {}, 400, id="extra-field"),
        pytest.param({"nombre": "x", "codigo": "LANE-X"}, {}, 400, id="missing-field"),
        pytest.param(room("LANE-X", capacidad=None), {}, 400, id="null"),
        pytest.param([room("LANE-X")], {}, 400, id="not-an-object"),
        pytest.param(b'{"nombre": ', {}, 400, id="malformed-json"),
        pytest.param(room("LANE-X"), {"content_type": "text/plain"}, 400, id="wrong-content-type"),
        pytest.param(room("LANE-X"), {"token": ""}, 403, id="no-csrf-token"),
        pytest.param(room("LANE-X"), {"token": _get_new_csrf_string()}, 403, id="wrong-csrf-token"),
        pytest.param(room("LANE-X"), {"HTTP_ORIGIN": "http://evil.example"}, 403, id="foreign-origin"),
        pytest.param(room("LANE-X"), {"HTTP_HOST": "evil.example"}, 400, id="host-not-allowed"),
        pytest.param(
            room("LANE-X"), {"cookie": f"{settings.CSRF_COOKIE_NAME}={CSRF_SECRET}"}, 401, id="no-session"
        ),
    ],
)
def test_anything_else_is_answered_by_django_with_nothing_written(lane, user, cookie, body, extra, status):
    fast, django = lane
    post(fast, room("LANE-1"), cookie=cookie)  # headers recorded: the lane would answer a plain create
    extra = {"cookie": cookie, **extra}
    answer = post(fast, body, **extra)
    assert django.calls == 2
    assert answer.status_code == status
    assert "error" in answer.json()
    assert list(Sala.objects.values_list("codigo", flat=True)) == ["LANE-1"]


def test_a_duplicate_code_is_a_409_from_django_and_one_row(lane, user, other_user, cookie):
    fast, django = lane
    post(fast, room("LANE-1"), cookie=cookie)
    SalaFactory(owner=other_user, codigo="taken-1")
    answer = post(fast, room("TAKEN-1"), cookie=cookie)  # codes are unique whatever their case
    assert answer.status_code == 409 and django.calls == 2
    assert answer.json()["fields"]["codigo"]
    assert Sala.objects.filter(codigo__iexact="taken-1").count() == 1


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda user: setattr(user, "is_active", False), id="account-disabled"),
        pytest.param(lambda user: user.set_password("Otra-Clave-2026!"), id="password-changed"),
    ],
)
def test_nothing_is_written_for_an_account_changed_since_it_was_read(lane, user, cookie, change):
    fast, django = lane
    post(fast, room("LANE-1"), cookie=cookie)
    assert post(fast, room("LANE-2"), cookie=cookie).status_code == 201
    assert django.calls == 1  # the lane now remembers this session's user
    change(user)
    user.save()
    answer = post(fast, room("LANE-3"), cookie=cookie)
    assert answer.status_code == 401 and django.calls == 2
    assert not Sala.objects.filter(codigo="LANE-3").exists()


@pytest.mark.parametrize("rename", [lambda name: "renombrada", str.upper], ids=["new-name", "only-case"])
def test_a_renamed_owner_is_named_in_the_answer(lane, user, cookie, rename):
    fast, django = lane
    post(fast, room("LANE-1"), cookie=cookie)
    post(fast, room("LANE-2"), cookie=cookie)
    user.username = rename(user.username)
    user.save()
    answer = post(fast, room("LANE-3"), cookie=cookie)
    assert answer.status_code == 201 and django.calls == 2  # the lane wrote nothing; Django did
    assert answer.json()["owner"]["username"] == user.username
    assert post(fast, room("LANE-4"), cookie=cookie).json()["owner"]["username"] == user.username
    assert django.calls == 2  # the user was read again, and the lane answers once more
    assert Sala.objects.filter(owner=user).count() == 4


@pytest.mark.parametrize(
    "failure",
    [
        # What mysqlclient raises when the primary dies mid-statement.
        pytest.param(
            lambda: MySQLdb.OperationalError(2013, "Lost connection to server during query"), id="lost"
        ),
        pytest.param(lambda: RuntimeError("a bug after the send"), id="unforeseen"),
    ],
)
def test_a_failure_once_the_insert_was_sent_is_a_503_never_retried(lane, user, cookie, monkeypatch, failure):
    fast, django = lane
    post(fast, room("LANE-1"), cookie=cookie)
    create = room_create.services.sala_create_if_owner_unchanged

    def committed_then_lost(execute, sql, params, many, context):
        # The worst case: the row is written, and the answer never comes back.
        execute(sql, params, many, context)
        with connections["default"].wrap_database_errors:  # as Django's cursor raises it
            raise failure()

    def create_and_lose(**fields: Any) -> Any:
        with connections["default"].execute_wrapper(committed_then_lost):
            return create(**fields)

    monkeypatch.setattr(room_create.services, "sala_create_if_owner_unchanged", create_and_lose)
    answer = post(fast, room("LANE-2"), cookie=cookie)
    assert answer.status_code == 503 and django.calls == 1  # answered once, not handed on
    assert Sala.objects.filter(codigo="LANE-2").count() == 1  # written once, never twice
    assert answer.json() == {"error": answer.json()["error"], "fields": {}}
    assert "principal" in answer.json()["error"]
    assert ("Retry-After", "5") in answer.headers
    assert ("X-Node", settings.NODE_NAME) in answer.headers
    # Like Django's routing middleware after any write attempt: the outcome is
    # unknown, so the client's next reads must not trust a replica blindly.
    assert any(
        name == "Set-Cookie" and value.strip().startswith(f"{consistency.COOKIE_NAME}=")
        for name, value in answer.headers
    )


def test_a_primary_down_before_the_insert_is_left_to_django(lane, user, cookie, monkeypatch):
    fast, django = lane
    post(fast, room("LANE-1"), cookie=cookie)
    assert post(fast, room("LANE-2"), cookie=cookie).status_code == 201 and django.calls == 1
    primary = connections["default"]
    primary.close()

    def refused() -> None:
        raise MySQLdb.OperationalError(2003, "Can't connect to server on '127.0.0.1'")

    monkeypatch.setattr(primary, "connect", refused)
    answer = post(fast, room("LANE-3"), cookie=cookie)
    assert answer.status_code == 503 and django.calls == 2  # nothing was sent: Django answered
    # Django's 503 for a write that never reached the primary pins nothing.
    assert not any(name == "Set-Cookie" for name, _ in answer.headers)
    monkeypatch.undo()
    assert not Sala.objects.filter(codigo="LANE-3").exists()


def test_leading_zeros_do_not_make_a_capacity_too_large(lane, user, cookie):
    fast, django = lane
    post(fast, room("LANE-1"), cookie=cookie)
    answer = post(fast, room("LANE-2", capacidad="0" * 30 + "12"), cookie=cookie)
    assert answer.status_code == 201 and django.calls == 1
    assert answer.json()["capacidad"] == 12


def test_an_answer_in_the_language_cookies_language_is_never_replayed(lane, user, cookie):
    fast, django = lane
    english = post(fast, room("LANE-1"), cookie=f"{cookie}; {settings.LANGUAGE_COOKIE_NAME}=en")
    assert english.status_code == 201 and ("Content-Language", "en") in english.headers
    plain = post(fast, room("LANE-2"), cookie=cookie)
    assert django.calls == 2  # nothing was recorded from the English answer
    assert ("Content-Language", settings.LANGUAGE_CODE) in plain.headers
    again = post(fast, room("LANE-3"), cookie=cookie)
    assert django.calls == 2 and ("Content-Language", settings.LANGUAGE_CODE) in again.headers


@pytest.mark.parametrize(
    ("module", "name"),
    [
        pytest.param(room_create, "room_fields", id="in-the-checks"),
        pytest.param(room_create.services, "sala_create_if_owner_unchanged", id="before-the-insert-is-sent"),
    ],
)
def test_an_unforeseen_error_in_the_lane_leaves_the_answer_to_django(
    lane, user, cookie, monkeypatch, module, name
):
    fast, django = lane
    post(fast, room("LANE-1"), cookie=cookie)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug in the lane")

    monkeypatch.setattr(module, name, broken)
    answer = post(fast, room("LANE-2"), cookie=cookie)
    assert answer.status_code == 201 and django.calls == 2
    assert Sala.objects.filter(codigo="LANE-2").count() == 1


def test_a_failure_after_the_row_is_written_is_a_503_never_a_second_insert(lane, user, cookie, monkeypatch):
    fast, django = lane
    post(fast, room("LANE-1"), cookie=cookie)

    def broken(sala: Any) -> None:
        raise RuntimeError("the answer could not be built")

    monkeypatch.setattr(room_create.selectors, "sala_to_dict", broken)
    answer = post(fast, room("LANE-2"), cookie=cookie)
    assert answer.status_code == 503 and django.calls == 1  # Django was not asked to write it again
    assert Sala.objects.filter(codigo="LANE-2").count() == 1
    assert any(
        name == "Set-Cookie" and value.strip().startswith(f"{consistency.COOKIE_NAME}=")
        for name, value in answer.headers
    )
