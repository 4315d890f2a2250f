import pytest

from replication.consistency import COOKIE_NAME, is_write

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("INSERT INTO x VALUES (1)", True),
        ("  update x set a=1", True),
        ("DELETE FROM x", True),
        ("SELECT 1", False),
        ("SELECT ... FOR UPDATE", False),
        ("SAVEPOINT s1", False),
    ],
)
def test_is_write(sql, expected):
    assert is_write(sql) is expected


def test_a_write_hands_the_client_its_gtid(user_api):
    response = user_api.send("POST", "/sala/create", {"nombre": "x", "codigo": "GTID-1", "capacidad": 2})
    assert response.status_code == 201
    assert COOKIE_NAME in response.cookies
    cookie = response.cookies[COOKIE_NAME]
    assert cookie["httponly"]


def test_a_read_sets_no_gtid_cookie(user_api):
    response = user_api.send("GET", "/sala/all")
    assert COOKIE_NAME not in response.cookies


def test_a_tampered_gtid_cookie_is_ignored(user_api):
    user_api.cookies[COOKIE_NAME] = "0-1-999999:forged"
    assert user_api.send("GET", "/sala/all").status_code == 200


@pytest.mark.parametrize("gtid", ["0-1-42,1-2-7", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-120"])
def test_a_remembered_cookie_is_still_held_to_its_age_limit(gtid, monkeypatch):
    import time

    from django.core import signing
    from django.test import RequestFactory

    from replication import consistency

    signed = signing.get_cookie_signer(salt=COOKIE_NAME + consistency.COOKIE_SALT).sign(gtid)
    request = RequestFactory(HTTP_COOKIE=f"{COOKIE_NAME}={signed}").get("/")
    assert consistency.client_gtid(request) == gtid
    assert consistency.client_gtid(request) == gtid  # remembered
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + consistency.COOKIE_MAX_AGE + 5)
    assert consistency.client_gtid(request) is None
    forged = RequestFactory(HTTP_COOKIE=f"{COOKIE_NAME}={signed[:-1]}x").get("/")
    assert consistency.client_gtid(forged) is None
