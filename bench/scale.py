"""The scale step: each read endpoint at the demo volume and at a million bookings, in one run.

  1. booking throughput on the table as it is (bench/booking.py, the median of
     BOOKING_RUNS runs): the "empty" rate;
  2. `manage.py seed_volume` loads the demo volume (DEMO_ROOMS rooms, DEMO_BOOKINGS
     bookings; the bench reader is its heavy user, SEED-BUSY its busy room), each
     endpoint is measured with wrk (--scale-connections, --scale-duration);
  3. the same after replacing it by --scale-rooms / --scale-bookings (default
     10,000 / 1,000,000), and the booking throughput again;
  4. the load is removed (--keep-scale keeps the large one), the table printed:
     endpoint, p50/p99 at each volume, the ratios.

The demo volume already holds the busy room and a full first page of the bench
user's bookings, so each endpoint answers with the same amount of data at both
volumes: what grows is the table around it. Latency is measured with a few
connections (not at saturation), so that p50 is the time of one request, after
WARM_SECONDS of the same endpoint that are not counted; each endpoint's first,
uncached request after the load is reported apart ("first").
"""

from __future__ import annotations

import argparse
import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.api import Api, expect
from bench.booking import run_booking
from bench.common import BenchError, median_item, say
from bench.config import ROOT, VENV
from bench.wrk import ensure_wrk, run_wrk

DEMO_ROOMS, DEMO_BOOKINGS = 200, 20_000
BOOKING_RUNS = 3
WARM_SECONDS = 1
BUSY = "SEED-BUSY"
# The seeded heavy user reads; the bench user books (so that no per-user limit on
# future bookings mixes into the booking rate).
READER = "salas-bench-reader"


def run_scale(args: argparse.Namespace, api: Api) -> dict[str, Any]:
    wrk = ensure_wrk()
    results: dict[str, Any] = {}
    reader = Api(api.base)
    reader.sign_in(READER, f"{READER}@example.com")
    seed("--remove")
    say("  booking throughput before loading (the 'empty' rate)")
    results["booking_empty"] = _booking(args, api)
    try:
        seed("--rooms", str(DEMO_ROOMS), "--bookings", str(DEMO_BOOKINGS), "--heavy-user", READER)
        results["demo"] = measure(wrk, args, reader, "demo")
        seed("--remove")
        seed(
            "--rooms",
            str(args.scale_rooms),
            "--bookings",
            str(args.scale_bookings),
            "--heavy-user",
            READER,
        )
        results["scale"] = measure(wrk, args, reader, "scale")
        say("  booking throughput at scale")
        results["booking_scale"] = _booking(args, api)
    finally:
        if not args.keep_scale:
            seed("--remove")
    print_table(results)
    return results


def seed(*arguments: str) -> None:
    """manage.py seed_volume with the cluster's .env, its progress lines passed through."""
    command = [str(VENV / "bin" / "python"), "manage.py", "seed_volume", *arguments]
    say(f"  $ {' '.join(command[1:])}")
    with subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None  # noqa: S101 - stdout=PIPE sets it; this narrows the type
        for line in proc.stdout:
            if "Warning" not in line and "warnings.warn" not in line:
                say(f"    {line.rstrip()}")
    if proc.returncode != 0:
        raise BenchError(f"seed_volume {' '.join(arguments)} failed (exit {proc.returncode})")


def endpoints(api: Api) -> list[tuple[str, str, tuple[str, ...], float]]:
    """(name, path, extra headers, ms of its first request) of each read endpoint, as the bench user reads it.

    Each endpoint is asked once first (its answer checked): right after a load, nothing
    of it is cached anywhere, so that request's time is its uncached cost.
    """
    feed = api.get("/reserva/ical")
    expect(feed, 200, "GET /reserva/ical")
    feed_path = "/" + feed.json()["ical"].split("/", 3)[3]
    room = api.get(f"/reserva/ical?sala={BUSY}")
    expect(room, 200, f"GET /reserva/ical?sala={BUSY}")
    room_feed = "/" + room.json()["ical"].split("/", 3)[3]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    window = (
        f"inicio={tomorrow:%Y-%m-%dT%H:%M}%2B00:00&fin={tomorrow + timedelta(hours=2):%Y-%m-%dT%H:%M}%2B00:00"
    )
    day = f"fecha={tomorrow:%Y-%m-%d}&hora_inicio=10:00&hora_fin=12:00&min_capacidad=10"
    listed: list[tuple[str, str, tuple[str, ...]]] = [
        ("free rooms JSON", f"/sala/disponibles?{window}&min_capacidad=10", ()),
        ("free rooms page", f"/reservas/buscar/?{day}", ()),
        ("my bookings JSON", "/reserva/mias", ()),
        ("my past bookings JSON", "/reserva/mias?pasadas=1", ()),
        ("my bookings page", "/reservas/", ()),
        ("busy room week JSON", f"/sala/codigo/{BUSY}/reservas", ()),
        ("busy room page", f"/salas/{BUSY}/", ()),
        ("my feed", feed_path, ()),
        ("busy room feed", room_feed, ()),
        ("room list JSON", "/sala/all?page_size=100", ()),
        ("room list page", "/dashboard", ()),
    ]
    etag = api.get(room_feed).headers.get("ETag", "")
    listed.append(("busy room feed, 304", room_feed, (f"If-None-Match: {etag}",)))
    found = []
    for name, path, headers in listed:
        response = api.session.get(api.url(path), headers=dict(h.split(": ", 1) for h in headers), timeout=60)
        if response.status_code not in {200, 304}:
            raise BenchError(f"{name}: GET {path} answered {response.status_code}")
        found.append((name, path, headers, response.elapsed.total_seconds() * 1000))
    return found


def measure(wrk: str, args: argparse.Namespace, api: Api, label: str) -> list[dict[str, Any]]:
    """Each endpoint's wrk run, after WARM_SECONDS of it that are not counted.

    The warm-up keeps out of an endpoint's percentiles what is not its steady state:
    the previous endpoint's last requests still running (a feed's first render takes
    ~1 s) and each worker's first, uncached answer of this one (reported apart, as
    `first`: the endpoints() request).
    """
    cookie = f"Cookie: {api.reader().cookie_header(with_gtid=False)}"
    settings = argparse.Namespace(
        **{**vars(args), "connections": args.scale_connections, "duration": args.scale_duration}
    )
    warm = argparse.Namespace(**{**vars(settings), "duration": WARM_SECONDS})
    found = []
    for name, path, headers, first_ms in endpoints(api):
        run_wrk(
            wrk, f"{label}: {name}, warm-up (not counted)", api.url(path), warm, headers=(cookie, *headers)
        )
        result = run_wrk(wrk, f"{label}: {name}", api.url(path), settings, headers=(cookie, *headers))
        found.append({**vars(result), "first_ms": first_ms})
    return found


def _booking(args: argparse.Namespace, api: Api) -> dict[str, Any]:
    """The median of BOOKING_RUNS runs: one 10-second run moved by ~10 % from run to run on its own,
    the size of the target being checked."""
    runs = [run_booking(args, api) for _ in range(BOOKING_RUNS)]
    rates = [run["confirmed_per_s"] for run in runs]
    median = median_item(runs, key=lambda run: run["confirmed_per_s"])
    say(
        f"  confirmed bookings/s, {BOOKING_RUNS} runs: {', '.join(f'{rate:.1f}' for rate in rates)}; median kept"
    )
    return {
        "confirmed_per_s": median["confirmed_per_s"],
        "runs": rates,
        "p50_ms": median["p50_ms"],
        "p99_ms": median["p99_ms"],
    }


def print_table(results: dict[str, Any]) -> None:
    say()
    say(
        f"  {'endpoint':<24} {'demo p50':>9} {'p99':>7} {'first':>7} {'scale p50':>10} {'p99':>7} {'first':>7} "
        f"{'p50 x':>6} {'p99 x':>6} {'non-2xx':>8}"
    )
    for small, large in zip(results.get("demo", []), results.get("scale", []), strict=False):
        name = small["name"].removeprefix("demo: ")
        p50 = large["p50_ms"] / small["p50_ms"] if small["p50_ms"] else 0
        p99 = large["p99_ms"] / small["p99_ms"] if small["p99_ms"] else 0
        say(
            f"  {name:<24} {small['p50_ms']:>9.1f} {small['p99_ms']:>7.1f} {small['first_ms']:>7.1f} "
            f"{large['p50_ms']:>10.1f} {large['p99_ms']:>7.1f} {large['first_ms']:>7.1f} {p50:>6.2f} {p99:>6.2f} "
            f"{large.get('non2xx') or 0:>8}"
        )
    empty, scale = results.get("booking_empty"), results.get("booking_scale")
    if empty and scale and empty["confirmed_per_s"]:
        say(
            f"  confirmed bookings/s: {empty['confirmed_per_s']:.1f} before loading, "
            f"{scale['confirmed_per_s']:.1f} at scale ({scale['confirmed_per_s'] / empty['confirmed_per_s']:.0%}; "
            f"medians of {BOOKING_RUNS} runs)"
        )
    say("  ms; targets (issue 21): p50 x <= 1.5, p99 x <= 3, every p50 < 50 ms, bookings/s within 10 %.")
    say(f"  p50/p99 after {WARM_SECONDS} s of warm-up; first = the endpoint's first request after the load,")
    say("  uncached (one worker's). The 304 row answers non-2xx by design (revalidation).")
