"""Issue 22 item 7 against the running cluster, switched to TLS=1 for this module (make up's
self-signed pair, `make reload`) and back afterwards: HTTPS with a certificate a real TLS
client verifies, plain HTTP redirected, HSTS, Secure cookies; X-Forwarded-Proto believed from
a listed TLS proxy only (127.0.0.2 stands in for one), never from anyone else, and no loop."""

from __future__ import annotations

import http.client
import socket
import ssl
import uuid
from collections.abc import Iterator

import pytest
import requests

from cluster import envfile
from cluster.tls import SELF_SIGNED_CERT, tls_on
from cluster.topology import HOST, NGINX_PORT, NGINX_TLS_PORT, NGINX_TLS_URL
from tests.cluster.harness import NGINX, NODES, ROOT, run_cluster, wait_until
from tests.credentials import PASSWORD

PROXY = "127.0.0.2"
HSTS = "Strict-Transport-Security"


def node_redirects(base: str) -> bool:
    return requests.get(f"{base}/login", allow_redirects=False, timeout=10).status_code == 301


@pytest.fixture(scope="module", autouse=True)
def tls_cluster() -> Iterator[None]:
    before = envfile.parse_env_text((ROOT / ".env").read_text())
    envfile.set_env_value("TLS", "1")
    envfile.set_env_value("TLS_PROXY_NETWORKS", f"{PROXY}/32")
    try:
        run_cluster("reload")
        # gunicorn's HUP retires the old workers once idle: wait for the new settings everywhere.
        for node, base in NODES.items():
            wait_until(lambda base=base: node_redirects(base), timeout=30, what=f"{node} on HTTPS settings")
        yield
    finally:
        envfile.set_env_value("TLS", before.get("TLS", "0"))
        envfile.set_env_value("TLS_PROXY_NETWORKS", before.get("TLS_PROXY_NETWORKS", ""))
        run_cluster("reload")
        https = tls_on(before) or before.get("DJANGO_HTTPS") == "1"
        for node, base in NODES.items():
            wait_until(lambda base=base: node_redirects(base) == https, timeout=30, what=f"{node} as before")


def plain_get(path: str, *, source: str = HOST, port: int = NGINX_PORT, proto: str | None = None):
    """GET over plain HTTP from `source` (another loopback address plays the TLS proxy)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10, source_address=(source, 0))
    headers = {"Host": f"{HOST}:{port}"}
    if proto is not None:
        headers["X-Forwarded-Proto"] = proto
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, response.headers
    finally:
        connection.close()


def test_https_is_served_with_a_certificate_a_tls_client_verifies() -> None:
    context = ssl.create_default_context(cafile=str(SELF_SIGNED_CERT))
    with (
        socket.create_connection((HOST, NGINX_TLS_PORT), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=HOST) as tls,
    ):
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
    response = requests.get(f"{NGINX_TLS_URL}/login", verify=SELF_SIGNED_CERT, timeout=10)
    assert response.status_code == 200
    assert int(response.headers[HSTS].split("max-age=")[1].split(";")[0]) >= 31_536_000
    assert response.cookies.get("csrftoken") and all(c.secure for c in response.cookies)
    # Without the certificate a verifying client refuses the connection: it is real TLS.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{NGINX_TLS_URL}/login", timeout=10)


def test_plain_http_redirects_once_to_https() -> None:
    response = requests.get(f"{NGINX}/salas/?q=x", allow_redirects=False, timeout=10)
    assert response.status_code == 301
    assert response.headers["Location"] == f"{NGINX_TLS_URL}/salas/?q=x"
    followed = requests.get(f"{NGINX}/login", verify=SELF_SIGNED_CERT, timeout=10)
    assert followed.status_code == 200 and len(followed.history) == 1
    # The health probe stays on plain HTTP (make status, load balancers), without HSTS.
    status, headers = plain_get("/api/status")
    assert status == 200 and HSTS not in headers


def test_signing_up_and_in_over_https_sets_secure_httponly_cookies() -> None:
    session = requests.Session()
    session.verify = str(SELF_SIGNED_CERT)
    session.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would override verify
    session.headers.update(
        {"Origin": NGINX_TLS_URL, "Referer": f"{NGINX_TLS_URL}/", "Accept": "application/json"}
    )
    token = session.get(f"{NGINX_TLS_URL}/auth/csrf", timeout=10).json()["csrfToken"]
    username = f"tls{uuid.uuid4().hex[:10]}"
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    created = session.post(
        f"{NGINX_TLS_URL}/auth/register", json=body, headers={"X-CSRFToken": token}, timeout=10
    )
    assert created.status_code == 201, created.text
    session.cookies.clear()
    token = session.get(f"{NGINX_TLS_URL}/auth/csrf", timeout=10).json()["csrfToken"]
    response = session.post(
        f"{NGINX_TLS_URL}/auth/login",
        json={"username": username, "password": PASSWORD},
        headers={"X-CSRFToken": token},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    cookies = {cookie.name: cookie for cookie in session.cookies}
    assert cookies["sessionid"].secure and cookies["sessionid"].has_nonstandard_attr("HttpOnly")
    assert cookies["csrftoken"].secure


def test_a_forged_forwarded_proto_from_anyone_but_the_proxy_is_not_believed() -> None:
    # Through nginx from this machine's own address: redirected, not proxied as HTTPS.
    status, headers = plain_get("/login", proto="https")
    assert status == 301 and headers["Location"].startswith(f"{NGINX_TLS_URL}/")
    # The health probe reaches Django: it answers as over plain HTTP (no HSTS).
    status, headers = plain_get("/api/status", proto="https")
    assert status == 200 and HSTS not in headers
    # Straight to a node's TCP port (a local process, not nginx): Django still sees HTTP.
    for node, base in NODES.items():
        port = int(base.rsplit(":", 1)[1])
        status, headers = plain_get("/login", port=port, proto="https")
        assert status == 301, f"{node} believed a forged X-Forwarded-Proto"
        status, headers = plain_get("/api/status", port=port, proto="https")
        assert HSTS not in headers, f"{node} answered as over HTTPS"


def test_the_listed_proxy_is_believed_and_nothing_loops() -> None:
    status, headers = plain_get("/login", source=PROXY, proto="https")
    assert status == 200, "a request the TLS proxy says came over HTTPS was redirected (a loop)"
    assert HSTS in headers
    assert "Secure" in headers["Set-Cookie"]
    status, headers = plain_get("/login", source=PROXY, proto="http")
    assert status == 301
    status, headers = plain_get("/login", source=PROXY)
    assert status == 301
