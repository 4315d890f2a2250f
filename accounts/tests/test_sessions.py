"""The session store verifies a cookie once, and still applies Django's rules every time."""

from __future__ import annotations

from django.contrib.sessions.backends.signed_cookies import SessionStore as DjangoStore

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
