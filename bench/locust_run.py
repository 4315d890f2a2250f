"""The Locust step: a headless run of locustfile.py against nginx, its CSV stats read back.

The report (reports/locust.html, reports/locust_*.csv) is Locust's own; the table printed
from the CSV is in bench/report.py.
"""

from __future__ import annotations

import argparse
import csv
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import BenchError, say
from bench.config import REPORTS, ROOT, VENV


@dataclass
class LocustResult:
    exit_code: int
    rows: list[dict[str, str]] = field(default_factory=list)


def run_locust(args: argparse.Namespace) -> LocustResult:
    prefix = REPORTS / "locust"
    for suffix in ("_stats.csv", "_failures.csv", "_exceptions.csv", "_stats_history.csv"):
        Path(f"{prefix}{suffix}").unlink(missing_ok=True)
    command = [
        str(VENV / "bin" / "locust"),
        "-f",
        str(ROOT / "locustfile.py"),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        args.run_time,
        "--host",
        args.host,
        "--only-summary",
        "--csv",
        str(prefix),
        "--html",
        str(REPORTS / "locust.html"),
    ]
    say(f"  $ {' '.join(command)}")
    # The locust run is bounded by --run-time; the timeout only guards against a hang.
    completed = subprocess.run(command, cwd=ROOT, timeout=parse_seconds(args.run_time) + 120, check=False)
    stats = Path(f"{prefix}_stats.csv")
    if not stats.is_file():
        raise BenchError(f"locust exited {completed.returncode} without writing {stats}")
    with stats.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return LocustResult(completed.returncode, rows)


def parse_seconds(value: str) -> int:
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?", value.strip())
    if not match or not any(match.groups()):
        raise SystemExit(f"cannot read the duration {value!r} (use e.g. 30s, 2m, 1m30s)")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds
