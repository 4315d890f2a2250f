"""The cluster's HTTP API as the bench uses it: a signed-in client, status checks, expected answers."""

from __future__ import annotations

import time
from typing import Any

import requests

from bench.common import BenchError, say
from bench.config import BENCH_EMAIL, BENCH_USER, PASSWORD


class Api:
    """A signed-in client of the API through nginx, like one browser."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.session = requests.Session()

    def url(self, path: str) -> str:
        return self.base + path

    def csrf_headers(self) -> dict[str, str]:
        return {"X-CSRFToken": self.session.cookies.get("csrftoken") or ""}

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url(path), timeout=30, **kwargs)

    def post(self, path: str, body: dict[str, Any]) -> requests.Response:
        return self.session.post(self.url(path), json=body, headers=self.csrf_headers(), timeout=30)

    def sign_in(self, username: str = BENCH_USER, email: str = BENCH_EMAIL) -> None:
        """Sign up the bench user (or another), or sign in when it exists (never a failed login)."""
        response = self.get("/auth/csrf")
        expect(response, 200, "GET /auth/csrf")
        response = self.post("/auth/register", {"username": username, "email": email, "password": PASSWORD})
        if response.status_code == 201:
            say(f"  signed up {username}")
            return
        expect(response, 409, "POST /auth/register")
        response = self.post("/auth/login", {"username": username, "password": PASSWORD})
        expect(response, 200, f"POST /auth/login as {username}")
        say(f"  signed in as {username}")

    def create_room(self, codigo: str) -> dict[str, Any]:
        response = self.post(
            "/sala/create", {"nombre": f"Sala bench {codigo}", "codigo": codigo, "capacidad": 25}
        )
        expect(response, 201, "POST /sala/create")
        return response.json()

    def cookie_header(self, *, with_gtid: bool) -> str:
        cookies = [cookie for cookie in self.session.cookies if with_gtid or cookie.name != "salas_gtid"]
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in cookies)

    def written_gtid(self) -> str:
        """The GTID in the read-your-writes cookie (signed "gtid:timestamp:signature")."""
        value = (self.session.cookies.get("salas_gtid") or "").strip('"')
        if not value:
            raise BenchError("no read-your-writes cookie after a write")
        return value.rsplit(":", 2)[0]

    def reader(self) -> Api:
        """A second client with this one's sign-in but no read-your-writes cookie.

        It reads like a user whose last write is long replicated: from its node's
        replica, with no GTID wait. That is the steady state being measured.
        """
        other = Api(self.base)
        for cookie in self.session.cookies:
            if cookie.name != "salas_gtid":
                other.session.cookies.set_cookie(cookie)
        return other


def expect(response: requests.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise BenchError(f"{what}: expected {status}, got {response.status_code}: {response.text[:300]}")


def wait_for_cluster(base: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            response = requests.get(base + "/api/status", timeout=5)
            body = response.json()
            if isinstance(body, dict) and body.get("status") in ("ok", "degraded"):
                return body
            last = body
        except (requests.RequestException, ValueError) as exc:
            last = exc
        time.sleep(1)
    raise BenchError(
        f"the cluster at {base} does not answer /api/status (last: {last!r}); is it up (make up)?"
    )
