"""A small bounded load generator for fault tests: every request and its answer is recorded."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import requests

from tests.cluster.harness import NGINX, csrf, signed_up_user, unique_code


@dataclass(frozen=True)
class Outcome:
    started: float
    method: str
    path: str
    status: int  # 0: no HTTP answer at all
    node: str
    codigo: str = ""
    error_shape: bool = True
    detail: str = ""


@dataclass
class LoadRun:
    """Readers and writers hammering nginx until stopped (or the bounds are reached)."""

    readers: int = 4
    writers: int = 2
    max_seconds: float = 90.0
    max_requests: int = 20_000
    base: str = NGINX
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> LoadRun:
        sessions = [signed_up_user(self.base)[0] for _ in range(self.readers + self.writers)]
        for session in sessions[: self.readers]:
            self._threads.append(threading.Thread(target=self._read_loop, args=(session,), daemon=True))
        for session in sessions[self.readers :]:
            self._threads.append(threading.Thread(target=self._write_loop, args=(session,), daemon=True))
        self._deadline = time.monotonic() + self.max_seconds
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _running(self) -> bool:
        return (
            not self._stop.is_set()
            and time.monotonic() < self._deadline
            and len(self.outcomes) < self.max_requests
        )

    def _record(self, outcome: Outcome) -> None:
        with self._lock:
            self.outcomes.append(outcome)

    def _read_loop(self, session: requests.Session) -> None:
        while self._running():
            self._request(session, "GET", "/sala/all?page_size=20")

    def _write_loop(self, session: requests.Session) -> None:
        while self._running():
            codigo = unique_code("LOAD")
            self._request(
                session, "POST", "/sala/create", {"nombre": "carga", "codigo": codigo, "capacidad": 3}, codigo
            )

    def _request(
        self, session: requests.Session, method: str, path: str, body: dict | None = None, codigo: str = ""
    ) -> None:
        started = time.monotonic()
        try:
            headers = {"X-CSRFToken": csrf(session, self.base)} if method != "GET" else {}
            response = session.request(method, f"{self.base}{path}", json=body, headers=headers, timeout=30)
        except requests.RequestException as exc:
            self._record(Outcome(started, method, path, 0, "", codigo, False, repr(exc)))
            time.sleep(0.05)
            return
        shape = True
        if response.status_code >= 400:
            try:
                shape = set(response.json()) == {"error", "fields"}
            except ValueError:
                shape = False
        self._record(
            Outcome(
                started,
                method,
                path,
                response.status_code,
                response.headers.get("X-Node", ""),
                codigo,
                shape,
                response.text[:200] if response.status_code >= 400 else "",
            )
        )
        if response.status_code >= 500:
            time.sleep(0.05)  # don't spin while a server is down

    # --- views on the record --------------------------------------------------------

    def of(self, method: str, since: float = 0.0, until: float = float("inf")) -> list[Outcome]:
        return [o for o in self.outcomes if o.method == method and since <= o.started < until]

    def statuses(self, method: str, since: float = 0.0, until: float = float("inf")) -> Counter[int]:
        return Counter(o.status for o in self.of(method, since, until))

    def acknowledged_codes(self) -> list[str]:
        return [o.codigo for o in self.outcomes if o.method == "POST" and o.status == 201]

    def wait_for(self, count: int, method: str = "", timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        target = len(self.of(method)) + count if method else len(self.outcomes) + count
        while time.monotonic() < deadline:
            done = len(self.of(method)) if method else len(self.outcomes)
            if done >= target:
                return
            time.sleep(0.05)
        raise AssertionError(f"load did not make {count} more {method or 'requests'} in {timeout}s")
