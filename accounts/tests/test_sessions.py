"""The session store verifies a cookie once, and still applies Django's rules every time."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.signed_cookies import SessionStore as DjangoStore

from accounts.models import User
from accounts.sessions import SessionStore, load_signed_session


def signed_cookie(data: dict) -> str:
    store = DjangoStore()
    store.update(data)
    store.save()
    return store.session_key


def test_reads_what_djangos_own_store_wrote():
    cookie = signed_cookie({"_auth_user_id": "7", "x": [1, 2]})
    assert SessionStore(cookie).load() == {"_auth_user_id": "7", "x": [1, 2]}
    assert SessionStore(cookie).load() == {"_auth_user_id": "7", "x": [1, 2]}  # from the memo


def test_a_tampered_cookie_is_no_session():
    cookie = signed_cookie({"_auth_user_id": "7"})
    payload, timestamp, signature = cookie.rsplit(":", 2)
    forged = f"{payload}:{timestamp}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"
    assert load_signed_session(forged) is None
    store = SessionStore(forged)
    assert store.load() == {} and store.modified  # as Django: a fresh session replaces it


def test_each_caller_gets_its_own_copy():
    cookie = signed_cookie({"k": "v"})
    first = load_signed_session(cookie)
    first["k"] = "changed"
    assert load_signed_session(cookie) == {"k": "v"}


def test_the_age_limit_holds_for_a_remembered_cookie(settings):
    cookie = signed_cookie({"k": "v"})
    assert load_signed_session(cookie) == {"k": "v"}
    settings.SESSION_COOKIE_AGE = -1  # every cookie is now too old
    assert load_signed_session(cookie) is None
    assert SessionStore(cookie).load() == {}


# --- The session's user (accounts.sessions.session_user) ---------------------------------


def _copied_cookie(client) -> str:
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def _replay(cookie: str):
    from conftest import JsonClient

    replayer = JsonClient()
    replayer.cookies[django_settings.SESSION_COOKIE_NAME] = cookie
    return replayer.send("GET", "/auth/me")


def test_the_users_verdict_is_reused_within_the_bound(user_api, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.SESSION_USER_CACHE_SECONDS = 60
    assert user_api.send("GET", "/auth/me").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert user_api.send("GET", "/auth/me").status_code == 200
    assert not [query for query in queries if "accounts_user" in query["sql"]]


def test_logout_refuses_every_copy_of_the_cookie(user_api, settings):
    settings.SESSION_USER_CACHE_SECONDS = 60
    cookie = _copied_cookie(user_api)
    assert _replay(cookie).status_code == 200  # the verdict is now remembered for 60 s
    assert user_api.send("POST", "/auth/logout").status_code == 200
    settings.SESSION_USER_CACHE_SECONDS = 0  # past the bound: read again
    refused = _replay(cookie)
    assert refused.status_code == 401 and refused.json()["error"]


def test_a_copied_cookie_is_refused_after_logout_on_a_page_too(client, user, settings):
    settings.SESSION_USER_CACHE_SECONDS = 0
    client.force_login(user)
    cookie = _copied_cookie(client)
    assert client.post("/logout").status_code == 302
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = client.get("/dashboard")
    assert response.status_code == 302 and response["Location"].startswith("/login")


def test_logout_leaves_other_users_signed_in(user_api, other_api, settings):
    settings.SESSION_USER_CACHE_SECONDS = 0
    assert user_api.send("POST", "/auth/logout").status_code == 200
    assert other_api.send("GET", "/auth/me").status_code == 200


@pytest.mark.parametrize("change", ["deactivate", "password"])
def test_a_change_saved_on_another_node_ends_the_session_once_the_bound_passed(
    user_api, user, settings, change
):
    settings.SESSION_USER_CACHE_SECONDS = 60
    assert user_api.send("GET", "/auth/me").status_code == 200
    # Another node's change: the row changes, this process hears no post_save.
    if change == "deactivate":
        User.objects.filter(pk=user.pk).update(is_active=False)
    else:
        user.set_password("another-Passw0rd-entirely")
        User.objects.filter(pk=user.pk).update(password=user.password)
    assert user_api.send("GET", "/auth/me").status_code == 200  # within the bound: remembered
    settings.SESSION_USER_CACHE_SECONDS = 0
    assert user_api.send("GET", "/auth/me").status_code == 401


@pytest.mark.parametrize("change", ["deactivate", "password"])
def test_a_change_saved_on_this_node_ends_the_session_at_once(user_api, user, settings, change):
    settings.SESSION_USER_CACHE_SECONDS = 60
    assert user_api.send("GET", "/auth/me").status_code == 200
    if change == "deactivate":
        user.is_active = False
    else:
        user.set_password("another-Passw0rd-entirely")
    user.save()
    assert user_api.send("GET", "/auth/me").status_code == 401


def test_a_forged_session_hash_is_refused_and_remembered_as_refused(
    user, settings, django_assert_num_queries
):
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from conftest import JsonClient

    settings.SESSION_USER_CACHE_SECONDS = 60
    cookie = signed_cookie(
        {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "accounts.backends.UsernameOrEmailBackend",
            HASH_SESSION_KEY: "0" * 64,
        }
    )
    for _ in range(2):
        client = JsonClient()
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie
        assert client.send("GET", "/auth/me").status_code == 401
    with django_assert_num_queries(0):
        client = JsonClient()
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie
        assert client.send("GET", "/auth/me").status_code == 401


def test_each_request_gets_its_own_copy_of_a_remembered_user(user, rf, settings):
    from django.contrib.sessions.middleware import SessionMiddleware

    from accounts.sessions import session_user

    settings.SESSION_USER_CACHE_SECONDS = 60
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = _copied_cookie(client)

    def request_user():
        request = rf.get("/auth/me")
        request.COOKIES[django_settings.SESSION_COOKIE_NAME] = cookie
        SessionMiddleware(lambda request: None).process_request(request)
        return session_user(request)

    first, second, third = request_user(), request_user(), request_user()  # the last two remembered
    assert first.pk == second.pk == third.pk == user.pk
    second.first_name = "set by one request"
    second._state.db = "elsewhere"  # noqa: SLF001
    assert third.first_name == user.first_name and third._state.db != "elsewhere"  # noqa: SLF001
    assert third.is_authenticated and third.get_session_auth_hash() == user.get_session_auth_hash()
