"""Password change and reset against the running cluster; reset mail through a real SMTP server."""

from __future__ import annotations

import email
import re
import uuid
from email.message import Message

import pytest
import requests
from aiosmtpd.controller import Controller

from cluster.envfile import dotenv_values
from cluster.topology import HOST, MAIL_PORT, MAIL_URL
from tests.cluster.harness import NGINX, NODES, new_session, post_json, signed_up_user, wait_until
from tests.credentials import PASSWORD

pytestmark = pytest.mark.usefixtures("healthy_cluster")

NEW_PASSWORD = f"otra-{uuid.uuid4().hex[:8]}-Clave"


class Inbox:
    """aiosmtpd handler: keeps every message the nodes send, as received."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd calls it by this name
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


def skip_unless_local_mail() -> None:
    if (dotenv_values().get("EMAIL_URL") or MAIL_URL) != MAIL_URL:
        pytest.skip(".env sends the nodes' mail elsewhere (EMAIL_URL)")


@pytest.fixture
def inbox():
    skip_unless_local_mail()
    handler = Inbox()
    controller = Controller(handler, hostname=HOST, port=MAIL_PORT)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


def sign_in(username: str, password: str, base: str = NGINX) -> requests.Response:
    return post_json(new_session(), f"{base}/auth/login", {"username": username, "password": password}, base)


def form_post(session: requests.Session, url: str, data: dict) -> requests.Response:
    headers = {"X-CSRFToken": session.cookies["csrftoken"], "Accept": "text/html"}
    return session.post(url, data=data, headers=headers, allow_redirects=False, timeout=30)


def test_password_change_keeps_this_session_and_ends_the_others():
    session, name = signed_up_user()
    other = new_session()
    assert (
        post_json(other, f"{NGINX}/auth/login", {"username": name, "password": PASSWORD}).status_code == 200
    )
    wrong = post_json(session, f"{NGINX}/auth/password", {"old_password": "no", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 400 and "old_password" in wrong.json()["fields"], wrong.text
    weak = post_json(session, f"{NGINX}/auth/password", {"old_password": PASSWORD, "new_password": "123"})
    assert weak.status_code == 400 and "new_password" in weak.json()["fields"], weak.text
    body = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert post_json(session, f"{NGINX}/auth/password", body).status_code == 200
    for base in NODES.values():
        assert session.get(f"{base}/auth/me", timeout=10).status_code == 200, base
        # The other session's auth hash no longer matches, on every node (replicas within their lag).
        wait_until(
            lambda base=base: other.get(f"{base}/auth/me", timeout=10).status_code == 401,
            timeout=10,
            what=f"the other session refused on {base}",
        )
    assert sign_in(name, PASSWORD).status_code == 401
    assert sign_in(name, NEW_PASSWORD).status_code == 200


def test_forgotten_password_is_reset_through_a_mailed_link(inbox):
    _, name = signed_up_user()
    address = f"{name}@example.com"
    session = new_session()
    session.headers["Accept"] = "text/html"
    assert session.get(f"{NGINX}/password/reset/", timeout=10).status_code == 200
    for asked in (address, f"nadie-{name}@example.com"):
        sent = form_post(session, f"{NGINX}/password/reset/", {"email": asked})
        assert sent.status_code == 302 and sent.headers["Location"] == "/password/reset/sent/"
    wait_until(lambda: inbox.to(address), timeout=30, what="the reset mail")
    assert len(inbox.messages) == 1  # none for the address without an account
    text = inbox.to(address)[0].get_payload(decode=True).decode()
    link = re.search(r"http://\S+/password/reset/[^/\s]+/[^/\s]+/", text)
    assert link and link[0].startswith(NGINX), text
    opened = session.get(link[0], allow_redirects=False, timeout=10)
    assert opened.status_code == 302  # to the form, the token moved into the session
    form_url = f"{NGINX}{opened.headers['Location']}"
    assert session.get(form_url, timeout=10).status_code == 200
    done = form_post(session, form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/password/reset/complete/", done.text
    assert sign_in(name, NEW_PASSWORD).status_code == 200
    assert sign_in(name, PASSWORD).status_code == 401
    # The link worked once.
    again = new_session().get(link[0], headers={"Accept": "text/html"}, timeout=10)
    assert again.status_code == 200 and "no es válido" in again.text


def test_a_reset_while_the_mail_server_is_down_is_a_503_not_a_promise():
    skip_unless_local_mail()  # and no Inbox: nothing listens on the mail port
    _, name = signed_up_user()
    session = new_session()
    session.headers["Accept"] = "text/html"
    session.get(f"{NGINX}/password/reset/", timeout=10)
    for asked in (f"{name}@example.com", f"nadie-{name}@example.com"):
        response = form_post(session, f"{NGINX}/password/reset/", {"email": asked})
        assert response.status_code == 503 and "No se pueden enviar correos" in response.text
