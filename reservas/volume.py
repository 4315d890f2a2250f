"""Synthetic data at volume (rooms, users, bookings) for scale tests and `make bench`.

Everything is written by set-based SQL on the primary: rooms and bookings by
multi-row INSERT ... SELECT over MariaDB's sequence tables (seq_0_to_N), in
batches of about BATCH_ROWS rows, each followed by a wait until every replica
has applied it (replication.replicas_lagging), so that a load never pushes the
replicas past the lag limit that sends reads to the primary.

What it loads is marked so that `remove()` finds exactly that: rooms belong to
the SEED_OWNER account, users are named "seed-..." with an address at
SEED_DOMAIN (reserved, RFC 2606) and no usable password. Bookings never
overlap within a room: room r's k-th booking sits in its own two-hour slot
(day-time grid over [now - PAST_DAYS, now + FUTURE_DAYS)), staggered by room. One
room, BUSY_CODE, is booked every half hour around the clock; one account (the
heavy user) holds one booking in HEAVY_EVERY.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth.hashers import make_password

from accounts.models import User
from replication import primary_atomic, primary_connection, replicas_lagging, use_primary
from salas.models import Sala

SEED_OWNER = "seed-owner"
SEED_DOMAIN = "seed.invalid"
BUSY_CODE = "SEED-BUSY"
HEAVY_USER = "seed-heavy"
PAST_DAYS, FUTURE_DAYS = 730, 360
SLOTS_PER_DAY = 6  # two-hour slots from 08:00 UTC
HEAVY_EVERY = 20
BUSY_DAYS = 100  # the busy room's half-hourly bookings: this many days back and ahead
# Rows a statement writes: the replicas apply each as one transaction, so a batch
# must take them well under REPLICA_MAX_LAG_SECONDS (10,000 rows: 1-2 s measured
# on a loaded 2-core machine; 50,000 took up to 11 s and one outlived the primary
# connection's 15 s read timeout).
BATCH_ROWS = 10_000
REPLICA_WAIT_SECONDS = 60.0

Say = Callable[[str], None]


@dataclass(frozen=True)
class Loaded:
    rooms: int
    users: int
    bookings: int
    seconds: float


def seeded_owner() -> User | None:
    with use_primary("seed"):
        return User.objects.filter(username=SEED_OWNER, email=f"{SEED_OWNER}@{SEED_DOMAIN}").first()


def load(*, rooms: int, bookings: int, users: int, heavy: User | None, say: Say) -> Loaded:
    """Load `rooms` rooms (the busy one included), `users` users and about `bookings` bookings.

    Call it inside use_primary(): every read here must see the rows just written.
    """
    started = time.monotonic()
    owner, pool = _users(users, say)
    heavy = heavy or _heavy_user()
    first_room = _rooms(owner, rooms, say)
    busy = _busy_bookings(first_room, heavy, bookings, say)
    spread = _spread_bookings(
        owner=owner, pool=pool, heavy=heavy, rooms=rooms - 1, budget=bookings - busy, say=say
    )
    _analyze(say)
    return Loaded(rooms, users, busy + spread, time.monotonic() - started)


def remove(*, say: Say) -> int:
    """Delete everything load() wrote, in batches; how many bookings went (inside use_primary())."""
    owner = seeded_owner()
    removed = 0
    if owner is not None:
        room_ids = list(Sala.objects.filter(owner=owner).values_list("id", flat=True))
        for chunk in _chunks(room_ids, 200):
            while True:
                deleted = _execute(
                    "DELETE FROM reservas_reserva WHERE sala_id IN ("  # noqa: S608
                    + ",".join(["%s"] * len(chunk))
                    + f") LIMIT {BATCH_ROWS}",
                    chunk,
                )
                removed += deleted
                if deleted:
                    _caught_up(say, f"bookings removed: {removed:,}")
                if deleted < BATCH_ROWS:
                    break
        while deleted := _execute("DELETE FROM salas_sala WHERE owner_id = %s LIMIT 5000", [owner.pk]):
            _caught_up(say, f"rooms removed: {deleted:,}")
    with primary_atomic():
        seeded = User.objects.filter(username__startswith="seed-", email__endswith=f"@{SEED_DOMAIN}")
        count = seeded.count()
        seeded.delete()
    _caught_up(say, f"users removed: {count:,}")
    _analyze(say)
    return removed


def _users(count: int, say: Say) -> tuple[User, tuple[int, int]]:
    unusable = make_password(None)
    owner = User.objects.create(username=SEED_OWNER, email=f"{SEED_OWNER}@{SEED_DOMAIN}", password=unusable)
    created = User.objects.bulk_create(
        User(username=f"seed-{n}", email=f"seed-{n}@{SEED_DOMAIN}", password=unusable) for n in range(count)
    )
    ids = sorted(u.pk for u in created) if created and created[0].pk else _seed_user_ids()
    # The booking SQL picks a user by arithmetic on the id, so the ids must be one run.
    if ids[-1] - ids[0] + 1 != len(ids):
        raise RuntimeError("seed users did not get consecutive ids (innodb_autoinc_lock_mode=2?)")
    _caught_up(say, f"users: {count:,}")
    return owner, (ids[0], len(ids))


def _seed_user_ids() -> list[int]:
    return sorted(
        User.objects.filter(username__regex=r"^seed-[0-9]+$", email__endswith=f"@{SEED_DOMAIN}").values_list(
            "id", flat=True
        )
    )


def _heavy_user() -> User:
    return User.objects.create(
        username=HEAVY_USER, email=f"{HEAVY_USER}@{SEED_DOMAIN}", password=make_password(None)
    )


def _rooms(owner: User, count: int, say: Say) -> int:
    """The busy room, then count - 1 others; the busy room's id."""
    busy = Sala.objects.create(nombre="Sala muy ocupada", codigo=BUSY_CODE, capacidad=20, owner=owner)
    done = 1
    while done < count:
        size = min(BATCH_ROWS, count - done)
        _execute(
            "INSERT INTO salas_sala (nombre, codigo, capacidad, owner_id, created_at, updated_at) "  # noqa: S608
            "SELECT CONCAT('Sala ', seq), CONCAT('SEED-', seq), ELT(1 + seq MOD 6, 4, 8, 12, 20, 40, 120), "
            f"%s, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) FROM seq_{done}_to_{done + size - 1}",
            [owner.pk],
        )
        done += size
        _caught_up(say, f"rooms: {done:,}/{count:,}")
    return busy.pk


def _busy_bookings(busy_id: int, heavy: User, budget: int, say: Say) -> int:
    """Half-hourly bookings of the busy room, BUSY_DAYS back and ahead (at most half the budget)."""
    count = min(BUSY_DAYS * 2 * 48, budget // 2)
    start = _hour(datetime.now(UTC)) - timedelta(days=BUSY_DAYS)
    if count:
        _execute(
            "INSERT INTO reservas_reserva (titulo, inicio, fin, asistentes, estado, serie, created_at, "  # noqa: S608
            "updated_at, sala_id, usuario_id) "
            "SELECT CONCAT('Turno ', seq), %s + INTERVAL 30 * seq MINUTE, %s + INTERVAL 30 * seq + 30 MINUTE, "
            f"2, 'confirmada', NULL, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), %s, %s FROM seq_0_to_{count - 1}",
            [start, start, busy_id, heavy.pk],
        )
        _caught_up(say, f"busy room {BUSY_CODE}: {count:,} bookings")
    return count


def _spread_bookings(
    *, owner: User, pool: tuple[int, int], heavy: User, rooms: int, budget: int, say: Say
) -> int:
    """About `budget` bookings over the other rooms, per_room each, in batches of rooms."""
    if rooms <= 0 or budget <= 0:
        return 0
    per_room = max(1, budget // rooms)
    slots = (PAST_DAYS + FUTURE_DAYS) * SLOTS_PER_DAY
    if per_room > slots:
        raise ValueError(f"{per_room} bookings per room do not fit {slots} slots: add rooms")
    stride = slots // per_room
    first_user, users = pool
    base = _hour(datetime.now(UTC)).replace(hour=8) - timedelta(days=PAST_DAYS)
    room_ids = list(
        Sala.objects.filter(owner=owner).exclude(codigo=BUSY_CODE).order_by("id").values_list("id", flat=True)
    )
    rooms_per_batch = max(1, BATCH_ROWS // per_room)
    written = 0
    for chunk in _chunks(room_ids, rooms_per_batch):
        # slot: this booking's two-hour slot on the grid; k: its number within the room.
        written += _execute(
            "INSERT INTO reservas_reserva (titulo, inicio, fin, asistentes, estado, serie, created_at, "  # noqa: S608
            "updated_at, sala_id, usuario_id) "
            "SELECT CONCAT('Reunión ', b.k), "
            f"%s + INTERVAL b.slot DIV {SLOTS_PER_DAY} DAY + INTERVAL 2 * (b.slot MOD {SLOTS_PER_DAY}) HOUR, "
            f"%s + INTERVAL b.slot DIV {SLOTS_PER_DAY} DAY + INTERVAL 2 * (b.slot MOD {SLOTS_PER_DAY}) + 1 "
            "+ b.k MOD 2 HOUR, "
            "1 + b.k MOD 5, IF((b.sala_id + b.k) MOD 33 = 0, 'cancelada', 'confirmada'), NULL, "
            "UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), b.sala_id, "
            f"IF(b.k MOD {HEAVY_EVERY} = 0, %s, %s + (b.sala_id * 31 + b.k) MOD %s) "
            f"FROM (SELECT s.id AS sala_id, k.seq AS k, k.seq * {stride} + s.id * 7919 MOD {stride} AS slot "
            f"FROM salas_sala s JOIN seq_0_to_{per_room - 1} k "
            "WHERE s.id BETWEEN %s AND %s AND s.owner_id = %s AND s.codigo <> %s) b",
            [base, base, heavy.pk, first_user, users, chunk[0], chunk[-1], owner.pk, BUSY_CODE],
        )
        _caught_up(say, f"bookings: {written:,}/{per_room * rooms:,}")
    return written


def _execute(sql: str, params: list) -> int:
    # Callers' SQL (S608, noqa'd there) has only integers computed in this module put in
    # (batch sizes, sequence bounds, strides); every other value is a parameter.
    with primary_connection().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _analyze(say: Say) -> None:
    # Fresh index statistics now, rather than when InnoDB's background
    # recalculation gets to it: until then the optimizer may join from the
    # rooms' side for a user's bookings (measured: 460 ms instead of 4 ms).
    with primary_connection().cursor() as cursor:
        cursor.execute("ANALYZE TABLE reservas_reserva, salas_sala, accounts_user")
        cursor.fetchall()
    _caught_up(say, "index statistics refreshed (ANALYZE TABLE)")


def _caught_up(say: Say, progress: str) -> None:
    started = time.monotonic()
    late = replicas_lagging(REPLICA_WAIT_SECONDS)
    waited = time.monotonic() - started
    note = (
        f"replicas behind after {waited:.0f}s: {', '.join(late)}"
        if late
        else f"replicas caught up ({waited:.1f}s)"
    )
    say(f"{progress}; {note}")


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0, tzinfo=None)


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
