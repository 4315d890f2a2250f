"""The serving tier's floor for `make bench`: three bare gunicorn apps behind the cluster's nginx config.

Three gunicorn instances (cluster/gunicorn.conf.py: same workers, threads and
timeouts as the nodes) serve bench/floor_wsgi.py, which answers every request
with the bytes and headers of one real GET /sala/all answer. An nginx rendered
from nginx/nginx.conf.template (same weights, keepalive, buffers, access log)
reaches them over unix sockets, like the cluster's, on 127.0.0.1:<port>. All of
it lives under reports/bench-floor/ and is stopped when the bench ends.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import requests

from bench import config
from bench.wrk import WrkResult, run_wrk
from cluster import tls

GUNICORN_VARIABLES = ("GUNICORN_WORKERS", "GUNICORN_THREADS")


class Floor:
    """Three gunicorn instances of `app` behind an nginx with the cluster's config.

    `app` is the floor's bare callable by default; `as_nodes` gives each instance
    the environment of app1..app3, to serve the real application from `repo`
    (bench/pipeline.py compares two versions of it side by side; the wrk step
    measures its minimal view, with `extra_env` BENCH_VIEWS=1).
    """

    def __init__(
        self,
        prefix: Path,
        port: int,
        app: str = "bench.floor_wsgi:application",
        *,
        as_nodes: bool = False,
        repo: Path = config.CLUSTER_REPO,
        extra_env: dict[str, str] | None = None,
    ):
        self.prefix = prefix
        self.repo = repo
        self.port = port
        self.app = app
        self.as_nodes = as_nodes
        self.extra_env = extra_env or {}
        self.processes: list[subprocess.Popen[bytes]] = []

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self, answer: requests.Response, *, check: str = "/sala/all", cookie: str = "") -> None:
        self.prefix.mkdir(parents=True, exist_ok=True)
        self.prefix.chmod(0o755)
        self.prefix.parent.chmod(0o755)
        recorded = self.prefix / "answer.json"
        headers = [
            (k, v) for k, v in answer.headers.items() if k.lower() not in {"date", "server", "connection"}
        ]
        recorded.write_text(json.dumps({"body": answer.content.hex(), "headers": headers}))
        env = {**os.environ, "FLOOR_ANSWER": str(recorded), "PYTHONPATH": str(self.repo), **self.extra_env}
        settings = config.dotenv_values()
        sockets = []
        # As settings.py resolves it for the cluster's nodes (environment, .env, default),
        # a relative path from the cluster's checkout.
        topology_file = (
            os.environ.get("TOPOLOGY_FILE") or settings.get("TOPOLOGY_FILE") or config.TOPOLOGY_FILE
        )
        for index, node in enumerate(config.CLUSTER_NODES, start=1):
            node_env = (
                # Another checkout (--other-tree) has no .state of its own: its nodes follow
                # the running cluster's topology record, as the cluster's nodes do.
                {
                    **env,
                    "TOPOLOGY_FILE": str(config.CLUSTER_REPO / topology_file),
                    **config.node_environment(node, settings),
                }
                if self.as_nodes
                else {
                    **env,
                    **{key: settings[key] for key in GUNICORN_VARIABLES if settings.get(key)},
                }
            )
            sock = self.prefix / f"floor{index}.sock"
            sock.unlink(missing_ok=True)
            sockets.append(sock)
            command = [
                str(config.GUNICORN),
                self.app,
                "--config",
                str(config.GUNICORN_CONF),
                "--bind",
                f"unix:{sock}",
                "--name",
                f"floor{index}",
                "--pid",
                str(self.prefix / f"floor{index}.pid"),
            ]
            log = (self.prefix / f"floor{index}.log").open("ab")
            self.processes.append(
                subprocess.Popen(command, cwd=self.repo, env=node_env, stdout=log, stderr=subprocess.STDOUT)
            )
        values = {
            # The cluster's placeholders as `make up` fills them with TLS off: the bench's own
            # address exempt from the abuse limits, as the operator's is.
            **tls.nginx_values({}),
            "SALAS_OPERATOR_ADDRESS": "127.0.0.1",
            "SALAS_NGINX_USER": config.NGINX_USER,
            "SALAS_LISTEN": f"127.0.0.1:{self.port}",
            "SALAS_RUN_DIR": str(self.prefix),
            "SALAS_ERROR_LOG": str(self.prefix / "nginx-error.log"),
            "SALAS_ACCESS_LOG": str(self.prefix / "nginx-access.log"),
            "SALAS_STATIC_ROOT": str(self.prefix),
            **{f"SALAS_UPSTREAM_{i}": f"unix:{sock}" for i, sock in enumerate(sockets, start=1)},
        }
        conf = self.prefix / "nginx.conf"
        conf.write_text(config.render_template(config.NGINX_TEMPLATE, values))
        deadline = time.monotonic() + 30
        while not all(sock.exists() for sock in sockets):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the floor's gunicorn apps did not start: see {self.prefix}/floor*.log")
            time.sleep(0.1)
        subprocess.run(
            ["nginx", "-p", f"{self.prefix}/", "-c", str(conf), "-e", str(self.prefix / "nginx-error.log")],
            check=True,
            capture_output=True,
        )
        # Django's workers take seconds to import on a busy machine; the bare callable does not.
        deadline = time.monotonic() + (60 if self.as_nodes else 10)
        while True:
            try:
                got = requests.get(self.url(check), headers={"Cookie": cookie} if cookie else {}, timeout=2)
                if got.content == answer.content:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the floor nginx on 127.0.0.1:{self.port} does not answer")
            time.sleep(0.2)

    def measure(self, wrk: str, name: str, path: str, args: argparse.Namespace, *, cookie: str) -> WrkResult:
        """One wrk run against this tier's `path` as the client `cookie` names, its processes' CPU counted."""
        return run_wrk(
            wrk,
            name,
            self.url(path),
            args,
            headers=(f"Cookie: {cookie}",) if cookie else (),
            extra_pids=self.pids(),
        )

    def pids(self) -> dict[str, int]:
        found = {f"floor gunicorn {i}": p.pid for i, p in enumerate(self.processes, start=1)}
        nginx_pid = self._nginx_pid()
        if nginx_pid:
            found["floor nginx"] = nginx_pid
        return found

    def _nginx_pid(self) -> int | None:
        try:
            return int((self.prefix / "nginx.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        nginx_pid = self._nginx_pid()
        if nginx_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(nginx_pid, signal.SIGQUIT)
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()
