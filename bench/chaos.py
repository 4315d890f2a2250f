#!/usr/bin/env python3
"""What high availability costs and what a failover does to writes (what `make chaos` runs).

    .venv/bin/python bench/chaos.py [--writers 8] [--duration 6] [--rounds 3] [--skip throughput|failover]

  throughput  acknowledged creates/s through nginx with semi-synchronous replication on
              and off on the primary (SET GLOBAL ...enabled, restored after), alternating
              for --rounds rounds, medians compared: the cost of the guarantee.
  failover    creates under load; the primary is stopped and kept stopped (a lost
              machine); the monitor fails over. Printed: the write gap (loss -> first 201 to a write sent after it),
              acknowledged writes lost (201s missing from the new primary or the other
              replica: must be 0), writes that failed (503, never 500) and the time to
              promotion. Then the old primary comes back as a replica (rejoin, or reclone
              when rejoin refuses) and db1 is made the primary again (switchover).

Runs against the cluster `make up` started, on 127.0.0.1 only. Exit 1 when a write was
lost or answered 500, or a step failed; slow numbers are printed, not judged (2 cores).
A JSON copy goes to reports/chaos.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import say  # noqa: E402 - after the path setup
from bench.config import REPORTS  # noqa: E402
from tests.cluster import ha  # noqa: E402
from tests.cluster.harness import DBS, Supervisor, create_room, signed_up_user, unique_code, wait_until  # noqa: E402


class Writers:
    """N threads creating rooms through nginx; every answer recorded as (started, status, code)."""

    def __init__(self, count: int) -> None:
        self.sessions = [signed_up_user()[0] for _ in range(count)]
        self.results: list[tuple[float, float, int, str]] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._loop, args=(s,), daemon=True) for s in self.sessions]

    def _loop(self, session) -> None:
        while not self.stop.is_set():
            code = unique_code("CHAOS")
            started = time.monotonic()
            try:
                status = create_room(session, code, nombre="caos", capacidad=2).status_code
            except Exception:  # noqa: BLE001 - no HTTP answer at all is recorded as 0
                status = 0
            with self.lock:
                self.results.append((started, time.monotonic(), status, code))
            if status >= 500 or status == 0:
                time.sleep(0.05)

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def acknowledged(self) -> list[str]:
        return [code for _, _, status, code in self.results if status == 201]

    def statuses(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for _, _, status, _ in self.results:
            counts[status] = counts.get(status, 0) + 1
        return counts


def creates_per_second(writers: int, seconds: float) -> float:
    with Writers(writers) as load:
        time.sleep(1)  # warm-up, not counted
        begin, count_before = time.monotonic(), len(load.acknowledged())
        time.sleep(seconds)
        return (len(load.acknowledged()) - count_before) / (time.monotonic() - begin)


def throughput(args: argparse.Namespace) -> dict:
    """Alternate on and off runs (the cores are shared: load from elsewhere hits both alike)."""
    primary = ha.primary()
    say(
        f"throughput: {args.writers} writers, {args.rounds} x ({args.duration:g}s on, {args.duration:g}s off)"
    )
    rates: dict[str, list[float]] = {"on": [], "off": []}
    try:
        for round_number in range(1, args.rounds + 1):
            for mode in ("on", "off"):
                DBS[primary].query(f"SET GLOBAL rpl_semi_sync_master_enabled = {mode.upper()}")
                rates[mode].append(creates_per_second(args.writers, args.duration))
            say(
                f"  round {round_number}: semi-sync on {rates['on'][-1]:7.1f}/s, off {rates['off'][-1]:7.1f}/s"
            )
    finally:
        DBS[primary].query("SET GLOBAL rpl_semi_sync_master_enabled = ON")
    on, off = statistics.median(rates["on"]), statistics.median(rates["off"])
    cost = (1 - on / off) * 100 if off else 0.0
    say(f"  median: on {on:.1f} creates/s, off {off:.1f} creates/s -> semi-sync costs {cost:.1f} %")
    return {
        "semi_sync_on": round(on, 1),
        "semi_sync_off": round(off, 1),
        "cost_percent": round(cost, 1),
        "rounds": {mode: [round(rate, 1) for rate in values] for mode, values in rates.items()},
    }


def failover(args: argparse.Namespace) -> dict:
    supervisor = Supervisor()
    ha.release_failover()
    old = ha.primary()
    say(f"failover: {args.writers} writers; stopping the primary {old} for good after 3 s")
    with Writers(args.writers) as load:
        time.sleep(3)
        supervisor.stop(old)
        lost_at = time.monotonic()
        wait_until(lambda: ha.primary() != old, timeout=60, what="a new primary")
        promoted = time.monotonic() - lost_at
        wait_until(
            lambda: any(s == 201 and t > lost_at for t, _, s, _ in load.results), timeout=60, what="a write"
        )
        time.sleep(3)
    new = ha.primary()
    other = next(name for name in ha.SERVERS if name not in (old, new))
    # The gap ends when a write started after the loss is answered 201.
    first = min(end for start, end, s, _ in load.results if s == 201 and start > lost_at)
    codes = load.acknowledged()
    ha.caught_up(other, new)
    missing = {name: len(codes) - ha.count_codes(name, codes) for name in (new, other)}
    failed = {s: n for s, n in load.statuses().items() if s != 201}
    result = {
        "old_primary": old,
        "new_primary": new,
        "promoted_after_seconds": round(promoted, 2),
        "write_gap_seconds": round(first - lost_at, 2),
        "acknowledged": len(codes),
        "acknowledged_lost": max(missing.values()),
        "failed_writes": failed,
    }
    say(f"  promoted {new} {promoted:.2f}s after the loss; first 201 {first - lost_at:.2f}s after it")
    say(f"  acknowledged writes: {len(codes)}; lost: {missing} (must be 0); failed: {failed or 'none'}")
    say(f"  restoring: {old} back as a replica, then the primary again")
    ha.restore_topology(supervisor)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--duration", type=float, default=6.0, help="Seconds per throughput run.")
    parser.add_argument("--rounds", type=int, default=3, help="Alternating on/off throughput runs.")
    parser.add_argument("--skip", action="append", default=[], choices=["throughput", "failover"])
    args = parser.parse_args()
    report: dict = {}
    if "throughput" not in args.skip:
        report["throughput"] = throughput(args)
    if "failover" not in args.skip:
        report["failover"] = failover(args)
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "chaos.json").write_text(json.dumps(report, indent=2))
    bad = report.get("failover", {})
    if bad.get("acknowledged_lost") or 500 in bad.get("failed_writes", {}):
        say("FAILED: an acknowledged write was lost or a write was answered 500")
        return 1
    say(f"report: {REPORTS / 'chaos.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
