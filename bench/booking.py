"""The booking step of `make bench`: confirmed bookings/s under contention, then a double-booking count.

wrk sends POST /reserva/create through nginx over --connections connections,
each a random one of BOOK_ROOMS rooms and a random 30-minute slot on the
quarter hour (bench/wrk.lua), so neighbouring requests collide on the room's
lock and some lose with 409. Afterwards a self-join on db1, db2 and db3 counts
overlapping confirmed pairs of those rooms: it must be 0 (printed, and an error
of the step when not).

The rooms (BOOK_PREFIX-01..10) stay from run to run; their bookings are deleted
on the primary, as the admin account, before and after the run (rooms with
future bookings cannot be deleted through the API, by design).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict
from typing import Any

import MySQLdb

from bench.api import Api, expect
from bench.common import BenchError, say
from bench.config import BENCH_USER, PRIMARY, dotenv_values
from bench.sql import Counters
from bench.wrk import ensure_wrk, run_wrk

BOOK_PREFIX = "BENCH-RES"
BOOK_ROOMS = 10
# 20,000 quarter hours (~208 days) inside the 365-day horizon: enough room for
# most requests to win, few enough that neighbours collide now and then.
BOOK_SLOTS = 20_000

OVERLAPS = """
    SELECT COUNT(*) FROM salas.reservas_reserva a
    JOIN salas.reservas_reserva b ON a.sala_id = b.sala_id AND a.id < b.id
        AND a.inicio < b.fin AND b.inicio < a.fin
    JOIN salas.salas_sala s ON s.id = a.sala_id
    WHERE a.estado = 'confirmada' AND b.estado = 'confirmada' AND s.codigo LIKE %s
"""


def run_booking(args: argparse.Namespace, api: Api) -> dict[str, Any]:
    """Confirmed bookings/s through nginx, then the overlapping confirmed pairs on every server."""
    wrk = ensure_wrk()
    codes = prepare_rooms(api)
    counters = Counters(dotenv_values())
    try:
        delete_bookings(counters.connections)
        exempt_from_quotas(counters.connections)
        result = run_wrk(
            wrk,
            "POST /reserva/create",
            api.url("/reserva/create"),
            args,
            headers=(
                f"Cookie: {api.reader().cookie_header(with_gtid=False)}",
                f"X-CSRFToken: {api.session.cookies.get('csrftoken')}",
                "Content-Type: application/json",
            ),
            extra_env=wrk_env(codes),
        )
        if not counters.wait_replicated():
            say("  warning: the replicas have not caught up with db1 after 60 s; counting anyway")
        doubles = count_double_bookings(counters.connections)
        deleted = delete_bookings(counters.connections)
    finally:
        counters.close()
    confirmed = result.created or 0
    refused = (result.non2xx or 0) + result.socket_errors
    say(
        f"  {confirmed / result.seconds:.1f} confirmed bookings/s ({confirmed} confirmed, {refused} not: "
        f"409 for a taken slot, or errors), {result.rps:.1f} req/s, p50 {result.p50_ms:.1f} ms, "
        f"p95 {result.p95_ms:.1f} ms"
    )
    say(f"  overlapping confirmed pairs afterwards: {doubles} (must be 0 everywhere)")
    say(f"  {deleted} bench bookings deleted again")
    if any(doubles.values()):
        raise BenchError(f"double bookings found: {doubles}")
    return {**asdict(result), "confirmed_per_s": confirmed / result.seconds, "double_bookings": doubles}


def room_codes() -> list[str]:
    return [f"{BOOK_PREFIX}-{n:02d}" for n in range(1, BOOK_ROOMS + 1)]


def prepare_rooms(api: Api) -> list[str]:
    """The bench user's booking rooms, created once (capacity 25)."""
    codes = room_codes()
    for codigo in codes:
        response = api.get(f"/sala/codigo/{codigo}")
        if response.status_code == 404:
            api.create_room(codigo)
        else:
            expect(response, 200, f"GET /sala/codigo/{codigo}")
    return codes


def wrk_env(codes: list[str]) -> dict[str, str]:
    # Start tomorrow on the hour (UTC), so no slot is in the past while the run lasts.
    base = (int(time.time()) // 3600 + 24) * 3600
    return {"WRK_BOOK_ROOMS": ",".join(codes), "WRK_BOOK_BASE": str(base), "WRK_BOOK_SLOTS": str(BOOK_SLOTS)}


def exempt_from_quotas(connections: dict[str, Any]) -> None:
    """Make the bench user staff: the step measures the room lock, not the per-person quotas
    (RESERVA_MAX_FUTURE_PER_USER, RESERVA_MAX_HOURS_PER_WEEK), which staff are exempt from."""
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute("UPDATE salas.accounts_user SET is_staff = 1 WHERE username = %s", [BENCH_USER])


def delete_bookings(connections: dict[str, Any]) -> int:
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute(
            "DELETE FROM salas.reservas_reserva "
            "WHERE sala_id IN (SELECT id FROM salas.salas_sala WHERE codigo LIKE %s)",
            [f"{BOOK_PREFIX}-%"],
        )
        return cursor.rowcount


def count_double_bookings(connections: dict[str, Any]) -> dict[str, int]:
    found = {}
    for name, connection in connections.items():
        try:
            with connection.cursor() as cursor:
                cursor.execute(OVERLAPS, [f"{BOOK_PREFIX}-%"])
                found[name] = int(cursor.fetchone()[0])
        except MySQLdb.Error as exc:
            raise RuntimeError(f"counting double bookings on {name}: {exc}") from exc
    return found
