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
