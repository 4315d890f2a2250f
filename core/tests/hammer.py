"""Tables that every thread of a worker reads at once, hammered in a child interpreter.

The GIL is handed over every microsecond, so a reader meets writers in the middle
of its lookups far more often than under load. A table broken that way can crash
the interpreter rather than raise: the child dies, not the test run.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclasses.dataclass(frozen=True)
class Key:
    """A key compared in Python code, as the page cache's ListParams are."""

    name: str


KEYS = [Key(f"k{i:02d}") for i in range(40)]  # all the same size


def hammer(*workers: Callable[[int], None], seconds: float = 1.0) -> None:
    """Call each worker with 0, 1, 2, ... in a thread of its own for `seconds`; re-raise the first error."""
    errors: list[BaseException] = []
    deadline = time.monotonic() + seconds

    def run(work: Callable[[int], None]) -> None:
        calls = 0
        try:
            while time.monotonic() < deadline:
                work(calls)
                calls += 1
        except BaseException as exc:  # noqa: BLE001 - re-raised below, in the caller's thread
            errors.append(exc)

    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=run, args=(work,)) for work in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(before)
    if errors:
        raise errors[0]


def in_child(module: str, function: str) -> None:
    """Run module.function() in a fresh interpreter; fail unless it exits cleanly (a crash is -11)."""
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}; {module}.{function}()"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr[-3000:]}"
