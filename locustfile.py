"""Load test for salas: simulated people using the rooms app through nginx.

Each simulated user signs up on start (a unique username and email), then browses
and writes with think time between actions: the dashboard page, the rooms list API
with and without a search, the detail (JSON and page) of rooms it created, room
creation (a unique code per request), booking its rooms at random hours (a 409 for a
taken slot is a right answer) and cancelling bookings, and now and then signing out
and back in.
Every answer is checked (status, fields, HTML markers, and that a room just created
is there on the creator's next read); a wrong answer counts as a failure.

Run it against the balancer of a running cluster (`make up`):

    # Web UI on http://127.0.0.1:8089 (choose users and spawn rate there)
    .venv/bin/locust -f locustfile.py --web-host 127.0.0.1 --web-port 8089

    # Headless, bounded in users and time, with a CSV + HTML report
    .venv/bin/locust -f locustfile.py --headless -u 20 -r 10 -t 30s --only-summary \\
        --csv reports/locust --html reports/locust.html

The host defaults to http://127.0.0.1:8084 (nginx); `--host` or LOCUST_HOST changes
it. Send traffic to loopback addresses only.

Pass/fail: when Locust quits, the run fails (exit code 1) if the failure ratio is
above LOCUST_MAX_FAIL_RATIO (default 0.01) or the 95th percentile of all requests is
above LOCUST_MAX_P95_MS (default 2000, for a 2-core machine on which the load
generator, nginx, three nodes and three MariaDB servers share the CPU), or if the
run made no request at all or a task raised. Otherwise it exits 0 even with a few
failures.
"""

from __future__ import annotations

import logging
import os
import random
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from locust import HttpUser, between, events, task
from locust.clients import ResponseContextManager

from cluster.topology import NGINX_URL
from tests.credentials import PASSWORD

MAX_FAIL_RATIO = float(os.environ.get("LOCUST_MAX_FAIL_RATIO", "0.01"))
MAX_P95_MS = float(os.environ.get("LOCUST_MAX_P95_MS", "2000"))

ROOM_FIELDS = ("id", "nombre", "codigo", "capacidad", "owner", "created_at")
LIST_FIELDS = ("salas", "count", "page", "pages")
LIST_PAGE_SIZE = 20

logger = logging.getLogger("salas.locust")


def _json(response: ResponseContextManager) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class SalasUser(HttpUser):
    """Someone who manages a handful of rooms: reads far more often than they write."""

    host = NGINX_URL
    wait_time = between(0.5, 2.0)
    connection_timeout = 5.0
    network_timeout = 30.0

    def on_start(self) -> None:
        tag = uuid.uuid4().hex
        self.username = f"load-{tag[:16]}"
        self.email = f"{self.username}@example.com"
        # Every room code of this user starts with its prefix, so a search for the
        # prefix must find all of them (and only them).
        self.prefix = f"L{tag[16:26]}"
        self.created = 0
        self.codigos: list[str] = []
        self.reservas: list[int] = []
        self._fetch_csrf()
        with self.client.post(
            "/auth/register",
            json={"username": self.username, "email": self.email, "password": PASSWORD},
            headers=self._csrf_header(),
            catch_response=True,
        ) as response:
            body = _json(response)
            if response.status_code != 201:
                response.failure(f"register: expected 201, got {response.status_code}")
            elif not isinstance(body, dict) or body.get("username") != self.username:
                response.failure(f"register: wrong body {str(body)[:200]}")
        # Start with a room, so the detail tasks have something to read.
        self.create_room()

    # --- helpers -----------------------------------------------------------------

    def _fetch_csrf(self) -> None:
        with self.client.get("/auth/csrf", catch_response=True) as response:
            body = _json(response)
            if response.status_code != 200 or not isinstance(body, dict) or "csrfToken" not in body:
                response.failure(f"csrf: status {response.status_code}, body {str(body)[:200]}")
            elif "csrftoken" not in self.client.cookies:
                response.failure("csrf: no csrftoken cookie")

    def _csrf_header(self) -> dict[str, str]:
        # Django rotates the token on sign-in: always echo the cookie as it is now.
        return {"X-CSRFToken": self.client.cookies.get("csrftoken", "")}

    def _next_codigo(self) -> str:
        self.created += 1
        return f"{self.prefix}-{self.created:05d}"

    def _check_room(self, response: ResponseContextManager, codigo: str, what: str) -> bool:
        body = _json(response)
        if not isinstance(body, dict) or any(field not in body for field in ROOM_FIELDS):
            response.failure(f"{what}: missing fields in {str(body)[:200]}")
            return False
        if body["codigo"].lower() != codigo.lower():
            response.failure(f"{what}: asked for {codigo}, got {body['codigo']}")
            return False
        if not isinstance(body["owner"], dict) or body["owner"].get("username") != self.username:
            response.failure(f"{what}: owner {body['owner']!r} is not {self.username}")
            return False
        return True

    # --- tasks -------------------------------------------------------------------

    @task(4)
    def dashboard(self) -> None:
        with self.client.get("/dashboard", allow_redirects=False, catch_response=True) as response:
            html = response.text or ""
            if response.status_code != 200:
                response.failure(f"dashboard: expected 200, got {response.status_code}")
            elif not re.search(rf'class="who"[^>]*>{re.escape(self.username)}<', html):
                response.failure("dashboard: the signed-in user's name is missing")
            elif 'class="count"' not in html or ('id="salas"' not in html and 'class="empty"' not in html):
                response.failure("dashboard: no room count or room table")

    @task(4)
    def list_rooms(self) -> None:
        page = random.randint(1, 3)
        with self.client.get(
            f"/sala/all?page={page}&page_size={LIST_PAGE_SIZE}", name="/sala/all", catch_response=True
        ) as response:
            body = _json(response)
            if response.status_code != 200:
                response.failure(f"list: expected 200, got {response.status_code}")
            elif not isinstance(body, dict) or any(field not in body for field in LIST_FIELDS):
                response.failure(f"list: missing fields in {str(body)[:200]}")
            elif body["page"] != page or len(body["salas"]) > LIST_PAGE_SIZE:
                response.failure(f"list: page {body['page']} with {len(body['salas'])} rooms")
            elif body["count"] >= page * LIST_PAGE_SIZE and len(body["salas"]) != LIST_PAGE_SIZE:
                response.failure(f"list: a full page has {len(body['salas'])} rooms")

    @task(2)
    def search_own_rooms(self) -> None:
        with self.client.get(
            f"/sala/all?q={self.prefix}&page_size={LIST_PAGE_SIZE}", name="/sala/all?q=", catch_response=True
        ) as response:
            body = _json(response)
            if response.status_code != 200:
                response.failure(f"search: expected 200, got {response.status_code}")
            elif not isinstance(body, dict) or any(field not in body for field in LIST_FIELDS):
                response.failure(f"search: missing fields in {str(body)[:200]}")
            elif body["count"] < len(self.codigos):
                response.failure(
                    f"search: {body['count']} rooms found, this user created {len(self.codigos)}"
                )
            elif any(self.prefix.lower() not in sala["codigo"].lower() for sala in body["salas"]):
                response.failure("search: a room that does not match the search")

    @task(3)
    def room_detail_json(self) -> None:
        if not self.codigos:
            return
        codigo = random.choice(self.codigos)
        with self.client.get(
            f"/sala/codigo/{codigo}", name="/sala/codigo/[codigo]", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"detail: expected 200, got {response.status_code}")
            else:
                self._check_room(response, codigo, "detail")

    @task(2)
    def room_detail_page(self) -> None:
        if not self.codigos:
            return
        codigo = random.choice(self.codigos)
        with self.client.get(
            f"/salas/{codigo}/", name="/salas/[codigo]/", allow_redirects=False, catch_response=True
        ) as response:
            html = response.text or ""
            if response.status_code != 200:
                response.failure(f"detail page: expected 200, got {response.status_code}")
            elif f'<dd id="codigo">{codigo}</dd>' not in html:
                response.failure("detail page: the room code is missing")
            elif f"/salas/{codigo}/editar/" not in html:
                response.failure("detail page: the owner sees no edit link")

    @task(2)
    def create_room(self) -> None:
        codigo = self._next_codigo()
        payload = {"nombre": f"Sala de carga {codigo}", "codigo": codigo, "capacidad": random.randint(1, 200)}
        with self.client.post(
            "/sala/create", json=payload, headers=self._csrf_header(), catch_response=True
        ) as response:
            if response.status_code != 201:
                response.failure(f"create: expected 201, got {response.status_code}: {response.text[:200]}")
                return
            if not self._check_room(response, codigo, "create"):
                return
        self.codigos.append(codigo)
        # Read-your-writes: the creator's next read, on whichever node, must see it.
        with self.client.get(
            f"/sala/codigo/{codigo}", name="/sala/codigo/[codigo] (just created)", catch_response=True
        ) as response:
            if response.status_code == 404:
                response.failure("created room missing from the creator's next read")
            elif response.status_code != 200:
                response.failure(f"read after create: expected 200, got {response.status_code}")
            else:
                self._check_room(response, codigo, "read after create")

    @task(2)
    def book_room(self) -> None:
        if not self.codigos:
            return
        # Random hour-long slots on a few days ahead, on this user's own rooms: some
        # collide, and a 409 is the right answer then (the slot is taken).
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(
            days=random.randint(1, 3), hours=random.randint(0, 23)
        )
        payload = {
            "sala": random.choice(self.codigos),
            "titulo": "Carga",
            "inicio": start.isoformat(),
            "fin": (start + timedelta(hours=1)).isoformat(),
            "asistentes": 1,
        }
        with self.client.post(
            "/reserva/create", json=payload, headers=self._csrf_header(), catch_response=True
        ) as response:
            body = _json(response)
            if response.status_code == 409 and isinstance(body, dict) and body.get("conflictos"):
                response.success()
                return
            if response.status_code == 409 and isinstance(body, dict) and "__all__" in body.get("fields", {}):
                # A per-person quota (future bookings, hours a week) reached: also a right answer.
                response.success()
                return
            if response.status_code != 201 or not isinstance(body, dict) or "id" not in body:
                response.failure(
                    f"book: expected 201 or 409, got {response.status_code}: {response.text[:200]}"
                )
                return
        self.reservas.append(body["id"])
        # Read-your-writes: the booker's next read, on whichever node, shows it.
        with self.client.get("/reserva/mias", catch_response=True) as response:
            mias = _json(response)
            ids = [r.get("id") for r in mias.get("reservas", [])] if isinstance(mias, dict) else []
            if response.status_code != 200:
                response.failure(f"mias: expected 200, got {response.status_code}")
            elif body["id"] not in ids:
                response.failure("a booking just made is missing from the booker's next read")

    @task(1)
    def cancel_booking(self) -> None:
        if not self.reservas:
            return
        reserva = self.reservas.pop(random.randrange(len(self.reservas)))
        with self.client.delete(
            f"/reserva/{reserva}", name="/reserva/[id]", headers=self._csrf_header(), catch_response=True
        ) as response:
            if response.status_code != 204:
                response.failure(f"cancel: expected 204, got {response.status_code}")

    @task(1)
    def sign_out_and_in(self) -> None:
        with self.client.post("/auth/logout", headers=self._csrf_header(), catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"logout: expected 200, got {response.status_code}")
                return
        with self.client.get("/auth/me", name="/auth/me (signed out)", catch_response=True) as response:
            if response.status_code == 401:
                response.success()
            else:
                response.failure(f"me after logout: expected 401, got {response.status_code}")
        # Half the time by username, half by email: both must work.
        identifier = self.username if random.random() < 0.5 else self.email
        with self.client.post(
            "/auth/login",
            json={"username": identifier, "password": PASSWORD},
            headers=self._csrf_header(),
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"login: expected 200, got {response.status_code}")
                return
        with self.client.get("/auth/me", catch_response=True) as response:
            body = _json(response)
            if response.status_code != 200 or not isinstance(body, dict):
                response.failure(f"me: expected 200, got {response.status_code}")
            elif body.get("username") != self.username:
                response.failure(f"me: signed in as {body.get('username')!r}, not {self.username}")


@events.quitting.add_listener
def apply_thresholds(environment, **_kwargs) -> None:
    """Set the exit code of a headless run from the failure ratio and the 95th percentile."""
    total = environment.stats.total
    p95 = total.get_response_time_percentile(0.95) or 0
    problems = []
    if total.num_requests == 0:
        problems.append("no request was made")
    if total.fail_ratio > MAX_FAIL_RATIO:
        problems.append(f"failure ratio {total.fail_ratio:.2%} > {MAX_FAIL_RATIO:.2%}")
    if p95 > MAX_P95_MS:
        problems.append(f"p95 {p95:.0f} ms > {MAX_P95_MS:.0f} ms")
    if environment.runner is not None and environment.runner.exceptions:
        problems.append(f"{len(environment.runner.exceptions)} task exception(s) in the locustfile")
    summary = f"{total.num_requests} requests, {total.num_failures} failures ({total.fail_ratio:.2%}), p95 {p95:.0f} ms"
    if problems:
        logger.error("thresholds FAILED: %s (%s)", "; ".join(problems), summary)
        environment.process_exit_code = 1
    else:
        logger.info(
            "thresholds passed: %s (limits: failure ratio %.2f%%, p95 %.0f ms)",
            summary,
            MAX_FAIL_RATIO * 100,
            MAX_P95_MS,
        )
        environment.process_exit_code = 0
