"""Sessions that end: a copied session cookie is refused on every node once the session ended.

Each node remembers its verdict on a session's user for SESSION_USER_CACHE_SECONDS
(accounts/sessions.py), read from the primary: the bound holds even while the
replicas lag behind it (the replicas_delayed fixture), which a verdict read from them could not promise.
"""

from __future__ import annotations

import time

import pytest
import requests

from cluster.envfile import dotenv_values
from tests.cluster.harness import DBS, NGINX, NODES, post_json, signed_up_user, wait_until
from tests.credentials import PASSWORD

pytestmark = pytest.mark.usefixtures("healthy_cluster")

BOUND = float(dotenv_values().get("SESSION_USER_CACHE_SECONDS") or 1.0)
# What a request costs on a loaded 2-core machine, and the polling interval: the poll's
# allowance beyond the bound, not part of the promise.
ALLOWANCE = 2.0
# Each node directly, and nginx (which spreads the replays over the nodes).
FRONTS = {"nginx": NGINX, **NODES}


def replay(base: str, cookie: str, path: str) -> requests.Response:
    """The copied cookie alone, as an attacker would send it (no jar: a refusal deletes the cookie)."""
    return requests.get(
        f"{base}{path}", headers={"Cookie": f"sessionid={cookie}"}, allow_redirects=False, timeout=10
    )


def refused(base: str, cookie: str) -> bool:
    api = replay(base, cookie, "/auth/me")
    page = replay(base, cookie, "/dashboard")
    return (
        api.status_code == 401
        and bool(api.json()["error"])
        and page.status_code == 302
        and page.headers["Location"].startswith("/login")
    )


def accepted(base: str, cookie: str) -> bool:
    return (
        replay(base, cookie, "/auth/me").status_code == 200
        and replay(base, cookie, "/dashboard").status_code == 200
    )


def assert_refused_everywhere_within_the_bound(cookie: str, ended_at: float) -> None:
    for name, base in FRONTS.items():
        # Four in a row: each node runs several workers, each with its own remembered verdict.
        wait_until(
            lambda base=base: all(refused(base, cookie) for _ in range(4)),
            timeout=max(0.0, ended_at + BOUND + ALLOWANCE - time.monotonic()),
            interval=0.05,
            what=f"{name} refusing the ended session's cookie",
        )


@pytest.mark.usefixtures("replicas_delayed")
def test_logout_refuses_every_copy_of_the_cookie_on_every_node():
    session, name = signed_up_user()
    cookie = session.cookies["sessionid"]
    for front, base in FRONTS.items():
        # The user was created a moment ago: the delayed replicas do not have it yet.
        assert accepted(base, cookie), front
    assert post_json(session, f"{NGINX}/auth/logout", {}).status_code == 200
    assert_refused_everywhere_within_the_bound(cookie, time.monotonic())
    # Signing in again gives a session every node accepts at once.
    again = requests.Session()
    assert (
        post_json(again, f"{NGINX}/auth/login", {"username": name, "password": PASSWORD}).status_code == 200
    )
    for front, base in FRONTS.items():
        assert accepted(base, again.cookies["sessionid"]), front
        assert refused(base, cookie), front


@pytest.mark.parametrize(
    "change",
    [
        # A new password hash (what a password change writes) and a deactivation, made on the primary.
        "UPDATE salas.accounts_user SET password = CONCAT(password, 'x') WHERE username = %s",
        "UPDATE salas.accounts_user SET is_active = 0 WHERE username = %s",
    ],
    ids=["password-change", "deactivation"],
)
def test_a_password_change_or_deactivation_refuses_the_session_on_every_node(change):
    session, name = signed_up_user()
    cookie = session.cookies["sessionid"]
    for front, base in FRONTS.items():
        assert accepted(base, cookie), front
    DBS["db1"].query(change, [name])
    assert_refused_everywhere_within_the_bound(cookie, time.monotonic())
