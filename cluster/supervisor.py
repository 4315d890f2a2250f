"""The one client of the cluster's supervisord: its XML-RPC API over the unix socket (what
supervisorctl uses), for the runner and the cluster tests; and starting supervisord itself."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import xmlrpc.client
from typing import Any

from cluster.console import ClusterError
from cluster.layout import Layout, load_layout
from cluster.paths import LOGS, VENV_BIN, log_file
from cluster.shell import clean_environment, run_logged, wait_for


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class _UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__()
        self._path = path
        self._timeout = timeout

    def make_connection(self, host: object) -> http.client.HTTPConnection:
        return _UnixConnection(self._path, self._timeout)


class Supervisor:
    """supervisord's XML-RPC API over its unix socket (what supervisorctl uses).

    Each call opens its own connection, so tests may share one client across threads.
    """

    def __init__(self, layout: Layout | None = None, timeout: float = 150.0) -> None:
        self._socket = str((layout or load_layout()).supervisor_sock)
        self._timeout = timeout

    @property
    def _api(self) -> Any:
        transport = _UnixTransport(self._socket, self._timeout)
        return xmlrpc.client.ServerProxy("http://localhost/RPC2", transport=transport).supervisor

    def is_up(self) -> bool:
        try:
            return self._api.getState()["statename"] == "RUNNING"
        except (OSError, xmlrpc.client.Error):
            return False

    def info(self, name: str) -> dict:
        return self._api.getProcessInfo(name)

    def state(self, name: str) -> str:
        return self.info(name)["statename"]

    def failure(self, name: str) -> str | None:
        """Why a process that should be starting is not, or None if it may still come up."""
        state = self.state(name)
        if state in ("FATAL", "EXITED", "STOPPED", "UNKNOWN"):
            return f"supervisord reports {state}"
        return None

    def start(self, name: str, *, wait: bool = False) -> None:
        """Start a service; with `wait`, return once supervisord counts it RUNNING (as supervisorctl)."""
        try:
            self._api.startProcess(name, wait)
        except xmlrpc.client.Fault as fault:
            if not fault.faultString.startswith("ALREADY_STARTED"):
                raise ClusterError(f"{name}: {fault.faultString}", log_file(name)) from None

    def stop(self, name: str) -> bool:
        """Stop and wait; False when it was not running."""
        try:
            self._api.stopProcess(name, True)
        except xmlrpc.client.Fault as fault:
            # BAD_NAME: a service this supervisord's config predates (the monitor).
            if fault.faultString.startswith(("NOT_RUNNING", "BAD_NAME")):
                return False
            raise ClusterError(f"{name}: {fault.faultString}", log_file(name)) from None
        return True

    def stop_nowait(self, name: str) -> None:
        """Ask for a stop without waiting (supervisord will not restart it)."""
        self._api.stopProcess(name, False)

    def signal(self, name: str, signame: str) -> None:
        self._api.signalProcess(name, signame)

    def update(self) -> list[str]:
        """Apply a changed supervisord.conf: only changed programs are touched."""
        added, changed, removed = self._api.reloadConfig()[0]
        for name in removed + changed:
            self.stop(name)
            self._api.removeProcessGroup(name)
        for name in added + changed:
            self._api.addProcessGroup(name)
        return sorted(added + changed + removed)

    def pid(self, name: str) -> int:
        """The service's pid, 0 when it is not running."""
        return int(self.info(name)["pid"])

    def kill(self, name: str) -> int:
        """SIGKILL the service's process (supervisord restarts it); return the pid killed."""
        pid = self.pid(name)
        os.kill(pid, signal.SIGKILL)
        return pid

    def supervisord_pid(self) -> int:
        return int(self._api.getPID())

    def shutdown(self) -> None:
        self._api.shutdown()


def connected(layout: Layout) -> Supervisor:
    sup = Supervisor(layout)
    if not sup.is_up():
        raise ClusterError("the cluster is down (supervisord is not running): run make up")
    return sup


def start_supervisord(layout: Layout) -> None:
    cmd = [str(VENV_BIN / "supervisord"), "-c", str(layout.supervisor_conf)]
    log = LOGS / "supervisord.log"
    run_logged(cmd, log, env=clean_environment(), what="supervisord")
    wait_for(Supervisor(layout).is_up, 20, "supervisord", log=log)
