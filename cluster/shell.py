"""Running commands and small system chores: logged and streamed commands, polling, the
runner's lock, files written only when they change, ports that must be free, root checks."""

from __future__ import annotations

import fcntl
import os
import shlex
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from cluster.console import ClusterError, StepOutput
from cluster.paths import LOGS, REPO, STATE
from cluster.topology import HOST


def clean_environment() -> dict[str, str]:
    """The environment supervisord and the Django commands start from."""
    return {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
    }


def run_logged(cmd: Sequence[str], log: Path, *, env: dict[str, str] | None = None, what: str = "") -> None:
    """Run a command with its output appended to `log`; raise if it fails."""
    with log.open("a") as handle:
        handle.write(f"\n$ {shlex.join(cmd)}\n")
        handle.flush()
        code = subprocess.run(
            cmd,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        ).returncode
    if code:
        raise ClusterError(f"{what or cmd[0]} failed (exit {code})", log)


def run_streamed(cmd: Sequence[str], log: Path, out: StepOutput, label: str, env: dict[str, str]) -> None:
    """Run a command, showing each output line under the step and keeping it in `log`."""
    with log.open("a") as handle:
        handle.write(f"\n$ {shlex.join(cmd)}\n")
        handle.flush()
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        assert proc.stdout is not None  # noqa: S101 - stdout=PIPE sets it; this narrows the type
        for line in proc.stdout:
            handle.write(line)
            out.line(f"{label} | {line.rstrip()}")
        code = proc.wait()
    if code:
        raise ClusterError(f"{label} failed (exit {code})", log)


def wait_for(
    ready: Callable[[], bool],
    timeout: float,
    what: str,
    *,
    log: Path | None = None,
    failed: Callable[[], str | None] | None = None,
) -> None:
    """Poll `ready` every 0.1 s; give up on timeout or as soon as `failed` says why."""
    deadline = time.monotonic() + timeout
    while not ready():
        reason = failed() if failed else None
        if reason:
            raise ClusterError(f"{what}: {reason}", log)
        if time.monotonic() > deadline:
            raise ClusterError(f"{what}: not ready after {timeout:.0f}s", log)
        time.sleep(0.1)


def write_if_changed(path: Path, text: str, mode: int = 0o644) -> bool:
    if path.is_file() and path.read_text() == text:
        return False
    path.write_text(text)
    path.chmod(mode)
    return True


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def ensure_port_free(port: int, service: str) -> None:
    if port_in_use(port):
        raise ClusterError(
            f"port {port} is taken by a process that is not this cluster's {service}; "
            f"find it with `ss -ltnp 'sport = :{port}'`"
        )


@contextmanager
def exclusive_lock() -> Iterator[None]:
    """One up/down/clean at a time."""
    STATE.mkdir(parents=True, exist_ok=True)
    with (STATE / "cluster.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ClusterError("another make up/down/clean is running") from None
        yield


def make_logs_dir() -> None:
    """Root only: the logs hold client addresses, account names and errors."""
    LOGS.mkdir(parents=True, exist_ok=True)
    LOGS.chmod(0o700)


def require_root(action: str) -> None:
    if os.geteuid() != 0:
        raise ClusterError(f"{action} needs root (apt-get, mariadbd --user=mysql)")
