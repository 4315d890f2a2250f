"""The static ceiling: a throw-away nginx serving the /sala/all body as a file, what a JSON GET can reach.

Started and stopped by the wrk step (bench/throughput.py), under reports/bench-nginx/.
"""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import time
from pathlib import Path

import requests

from bench.common import BenchError, say
from bench.config import REPORTS
from bench.procfs import command_line, pid_alive


class StaticNginx:
    """A throw-away nginx on 127.0.0.1:<port> serving one file: the ceiling for a JSON GET.

    It shares nothing with the cluster's balancer: own prefix, config, pid file and
    logs under reports/bench-nginx/. Same worker count as the balancer, no access log.
    """

    def __init__(self, prefix: Path, port: int):
        self.prefix = prefix
        self.port = port
        self.conf = prefix / "nginx.conf"
        self.pid_file = prefix / "nginx.pid"
        self.error_log = prefix / "error.log"
        self.html = prefix / "html"

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def start(self, files: dict[str, bytes]) -> None:
        self.stop()  # a leftover from an interrupted run
        self.html.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (self.html / name).write_bytes(content)
            (self.html / name).chmod(0o644)
        user = ""
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("www-data")
                user = "user www-data;"
            except KeyError:
                user = ""
        for directory in (REPORTS, self.prefix, self.html):
            directory.chmod(0o755)
        self.conf.write_text(
            f"""# Written by bench/ceiling.py: the static ceiling, stopped when the benchmark ends.
{user}
worker_processes 2;
pid {self.pid_file};
error_log {self.error_log} warn;
events {{
    worker_connections 1024;
}}
http {{
    default_type application/json;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 30s;
    client_body_temp_path {self.prefix}/client_body;
    proxy_temp_path {self.prefix}/proxy;
    fastcgi_temp_path {self.prefix}/fastcgi;
    uwsgi_temp_path {self.prefix}/uwsgi;
    scgi_temp_path {self.prefix}/scgi;
    server {{
        listen 127.0.0.1:{self.port};
        root {self.html};
    }}
}}
"""
        )
        command = ["nginx", "-p", str(self.prefix), "-c", str(self.conf), "-e", str(self.error_log)]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise BenchError(f"the ceiling nginx did not start: {completed.stderr.strip()}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url(next(iter(files))), timeout=2).status_code == 200:
                    say(f"  ceiling nginx started on 127.0.0.1:{self.port} (pid {self.pid()})")
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise BenchError(f"the ceiling nginx on 127.0.0.1:{self.port} does not answer")

    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        pid = self.pid()
        if pid is None or not pid_alive(pid) or str(self.conf) not in command_line(pid):
            return
        os.kill(pid, signal.SIGQUIT)  # graceful: workers finish, master exits
        deadline = time.monotonic() + 10
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if pid_alive(pid):
            os.kill(pid, signal.SIGTERM)
        say(f"  ceiling nginx (pid {pid}) stopped")
