"""The bench's rooms: the base rooms /sala/all lists, and the ones a run creates and deletes again.

The codes of the rooms this run creates while measuring start with WRK_PREFIX or SQL_PREFIX
(a tag of this run) and are deleted at the end (--keep-rooms keeps them): without that every
run would add ~2000 rooms and /sala/all would get slower.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.api import Api, expect, wait_for_cluster
from bench.common import BenchError, say
from bench.config import ATTEMPTS, BENCH_USER, DELETE_THREADS, LIST_ROOMS

RUN_TAG = uuid.uuid4().hex[:6]
WRK_PREFIX = f"W{RUN_TAG}"
SQL_PREFIX = f"Q{RUN_TAG}"


def prepare(api: Api) -> tuple[bytes, str]:
    api.sign_in()
    return prepare_rooms(api)


def prepare_rooms(api: Api) -> tuple[bytes, str]:
    """Make sure at least LIST_ROOMS rooms exist; return the /sala/all body and a room code."""
    response = api.get(f"/sala/all?page_size={LIST_ROOMS}")
    expect(response, 200, "GET /sala/all")
    count = response.json()["count"]
    tag = uuid.uuid4().hex[:8]
    missing = max(0, LIST_ROOMS - count)
    if missing:
        say(f"  {count} rooms present: creating {missing} more as {BENCH_USER}")
    for number in range(missing):
        api.create_room(f"B{tag}-{number:03d}")
    # One room of the bench user's own, for the detail endpoints.
    probe = api.create_room(f"B{tag}-probe")["codigo"]
    response = api.get(f"/sala/all?page_size={LIST_ROOMS}")
    expect(response, 200, "GET /sala/all")
    body = response.json()
    if len(body["salas"]) != LIST_ROOMS:
        raise BenchError(f"/sala/all?page_size={LIST_ROOMS} returned {len(body['salas'])} rooms")
    say(
        f"  {body['count']} rooms in the database; /sala/all?page_size={LIST_ROOMS} body: {len(response.content)} bytes"
    )
    return response.content, probe


def cleanup_rooms(api: Api, prefixes: tuple[str, ...] = (WRK_PREFIX, SQL_PREFIX)) -> int:
    """Delete the bench user's rooms whose codes start with one of `prefixes`; return how many."""
    codigos: list[str] = []
    for prefix in prefixes:
        page = 1
        while True:
            response = api.get(f"/sala/all?q={prefix}&page_size=500&page={page}")
            expect(response, 200, f"GET /sala/all?q={prefix}")
            body = response.json()
            codigos += [
                sala["codigo"]
                for sala in body["salas"]
                if sala["codigo"].startswith(prefix) and sala["owner"]["username"] == BENCH_USER
            ]
            if page >= body["pages"]:
                break
            page += 1
    if not codigos:
        return 0
    say(
        f"  deleting the {len(codigos)} rooms this run created ({', '.join(prefixes)}*), {DELETE_THREADS} at a time"
    )
    local = threading.local()

    def delete(codigo: str) -> int:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.cookies.update(api.reader().session.cookies)
        try:
            response = local.session.delete(
                api.url(f"/sala/codigo/{codigo}"), headers=api.csrf_headers(), timeout=30
            )
        except requests.RequestException:
            return 0  # no answer: tried again below
        return response.status_code

    pending = codigos
    for attempt in range(1, ATTEMPTS + 1):
        with ThreadPoolExecutor(DELETE_THREADS) as pool:
            statuses = dict(zip(pending, pool.map(delete, pending), strict=True))
        failed = {codigo: status for codigo, status in statuses.items() if status not in (204, 404)}
        if not failed:
            return len(codigos)
        if attempt == ATTEMPTS:
            raise BenchError(
                f"{len(failed)} of {len(codigos)} deletes failed (statuses {sorted(set(failed.values()))})"
            )
        say(f"  {len(failed)} deletes failed (statuses {sorted(set(failed.values()))}): waiting, then again")
        wait_for_cluster(api.base)
        time.sleep(2)
        pending = list(failed)
    return len(codigos)
