"""What the runner prints: numbered, timed steps and failures that name the log to read."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cluster.paths import shown


class ClusterError(Exception):
    """A failure to report: what went wrong and, when there is one, the log to read."""

    def __init__(self, message: str, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log


def say(text: str = "", end: str = "\n") -> None:
    sys.stdout.write(text + end)
    sys.stdout.flush()


class StepOutput:
    """One `[3/10] title ... ok (1.2s) - detail` line, with streamed lines inside."""

    def __init__(self, header: str) -> None:
        self.header = header
        self.detail = ""
        self._line_open = True
        say(f"{header} ... ", end="")

    def line(self, text: str) -> None:
        if self._line_open:
            say()
            self._line_open = False
        say(f"      {text}")

    def finish(self, verdict: str, seconds: float) -> None:
        if not self._line_open:
            say(f"{self.header} ... ", end="")
        detail = f" - {self.detail}" if self.detail else ""
        say(f"{verdict} ({seconds:.1f}s){detail}")


class Progress:
    """Numbers the steps of a command and times each one."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.index = 0

    @contextmanager
    def step(self, title: str) -> Iterator[StepOutput]:
        self.index += 1
        out = StepOutput(f"[{self.index}/{self.total}] {title}")
        started = time.monotonic()
        try:
            yield out
        except BaseException:
            out.finish("FAILED", time.monotonic() - started)
            raise
        out.finish("ok", time.monotonic() - started)


def report_failure(error: ClusterError) -> None:
    say(f"\nerror: {error}")
    if error.log is None:
        return
    say(f"read: {shown(error.log)}")
    if error.log.is_file():
        lines = error.log.read_text(errors="replace").splitlines()[-25:]
        say(f"--- last {len(lines)} lines of {shown(error.log)}")
        for line in lines:
            say(f"    {line}")
