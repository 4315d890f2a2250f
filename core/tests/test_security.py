import os
import socket
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management.utils import get_random_secret_key
from django.test import Client

from conftest import PASSWORD, JsonClient

pytestmark = pytest.mark.django_db


def test_json_writes_without_csrf_token_are_refused(user):
    client = JsonClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.send("POST", "/sala/create", {"nombre": "x", "codigo": "CSRF-1", "capacidad": 2})
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]


def test_json_writes_with_the_csrf_cookie_echoed_in_a_header_are_accepted(user):
    client = JsonClient(enforce_csrf_checks=True)
    token = client.get("/auth/csrf").json()["csrfToken"]
    response = client.send(
        "POST", "/auth/login", {"username": user.username, "password": PASSWORD}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200
    token = client.cookies["csrftoken"].value
    response = client.send(
        "POST", "/sala/create", {"nombre": "x", "codigo": "CSRF-2", "capacidad": 2}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201


def test_form_posts_without_csrf_token_are_refused(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/salas/nueva/", {"nombre": "x", "codigo": "CSRF-3", "capacidad": 2})
    assert response.status_code == 403
    assert "text/html" in response["Content-Type"]


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Node"]


def test_unknown_page_is_a_friendly_404_without_debug_details(client, settings):
    assert settings.DEBUG is False
    response = client.get("/no-existe")
    assert response.status_code == 404
    assert "Traceback" not in response.content.decode()


def test_deploy_checks_pass_with_the_production_settings():
    # The real settings module in a fresh process, as a deployment behind TLS runs it.
    env = {
        **os.environ,
        "DJANGO_HTTPS": "1",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": get_random_secret_key(),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("remote", "peer", "real_ip", "expected"),
    [
        pytest.param("127.0.0.1", socket.AF_INET, "203.0.113.7", "127.0.0.1", id="a-local-process-on-a-port"),
        pytest.param("", socket.AF_UNIX, "203.0.113.7", "203.0.113.7", id="via-nginx-over-a-unix-socket"),
        pytest.param("198.51.100.4", socket.AF_INET, "203.0.113.7", "198.51.100.4", id="forged-from-outside"),
        pytest.param("", None, "203.0.113.7", "", id="no-address-and-no-unix-socket"),
        pytest.param("127.0.0.1", socket.AF_INET, "", "127.0.0.1", id="direct-to-a-node"),
    ],
)
def test_the_lockout_address_is_the_balancers_word_only_when_it_comes_from_the_balancer(
    rf, remote, peer, real_ip, expected
):
    from core.http import client_ip

    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_REAL_IP=real_ip)
    if peer is not None:
        # What gunicorn puts in the environ: the connection the request came on.
        connection = socket.socket(peer, socket.SOCK_STREAM)
        request.META["gunicorn.socket"] = connection
    try:
        assert client_ip(request) == expected
    finally:
        if peer is not None:
            connection.close()
