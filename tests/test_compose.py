"""docker-compose.yml as compose reads it, without an engine: what must hold before anything
starts. The stack itself is tested on a real engine by tests/compose (make compose-test).

Debian's docker-compose 1.29 interpolates and validates the file offline
(`docker-compose config`); these tests run it with a throw-away env file.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cluster.compose import COMPOSE_FILE, REQUIRED
from cluster.render import container_configs

REPO = Path(__file__).resolve().parent.parent
DOTENV = {key: f"test-{key.lower().replace('_', '-')}" for key in REQUIRED}


def _config(tmp_path: Path, dotenv: dict[str, str]) -> subprocess.CompletedProcess[str]:
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.fail("docker-compose is not installed: run `make deps-test`")
    env_file = tmp_path / "compose.env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in dotenv.items()))
    return subprocess.run(
        [compose, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config"],
        cwd=REPO,
        # Neither the developer's .env nor the shell's variables change what the tests see.
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("missing", REQUIRED)
@pytest.mark.parametrize("how", ["absent", "empty"])
def test_compose_refuses_to_start_without_each_secret(tmp_path, missing, how):
    dotenv = {key: value for key, value in DOTENV.items() if key != missing}
    if how == "empty":
        dotenv[missing] = ""
    result = _config(tmp_path, dotenv)
    assert result.returncode != 0
    assert f"set {missing} in .env" in result.stderr, result.stderr


def test_every_secret_reaches_the_containers_from_dotenv_only(tmp_path):
    result = _config(tmp_path, DOTENV)
    assert result.returncode == 0, result.stderr
    rendered = result.stdout
    for value in DOTENV.values():
        assert value in rendered
    # None of the published development passwords of .env.example is a fallback any more.
    for published in ("salas-dev", "salas-admin-dev", "repl-dev", "salas-root-dev"):
        assert published not in rendered


def test_nodes_trust_only_nginx_address_and_databases_are_not_published(tmp_path):
    rendered = _config(tmp_path, DOTENV).stdout
    nginx = "172.30.84.10"
    assert f"ipv4_address: {nginx}" in rendered
    assert re.findall(r"TRUSTED_PROXY_NETWORKS: (\S+)", rendered) == [f"{nginx}/32"] * 3
    published = set(re.findall(r"^\s+- (\S+:\d+:\d+/tcp)$", rendered, re.MULTILINE))
    assert published == {
        f"127.0.0.1:{port}/tcp" for port in ("8084:8084", "5000:8000", "5001:8000", "5002:8000")
    }


def test_container_configs_are_rendered_from_the_local_templates(tmp_path):
    files = {path.name: path.read_text() for path in container_configs(tmp_path)}
    local = (REPO / "mysql" / "local" / "mysqld.cnf.template").read_text()
    # Every setting line of the template is in every server's file (placeholders filled).
    settings = [line for line in local.splitlines() if line and not line.startswith("#") and "${" not in line]
    for name in ("db1.cnf", "db2.cnf", "db3.cnf"):
        for line in settings:
            assert line in files[name], (name, line)
        assert f"server_id = {name[2]}" in files[name]
    assert "server app1:8000 weight=3" in files["nginx.conf"]


# --- the front door's bad starts (cluster/compose.py), each one clear line ---------------


def _front_door(tmp_path: Path, dotenv: str | None, path: str) -> subprocess.CompletedProcess[str]:
    """`python3 -m cluster compose-up` from a copy of the repo's cluster package, with its own
    .env (or none) and PATH: what a user sees, without touching this checkout or an engine."""
    shutil.copytree(REPO / "cluster", tmp_path / "cluster")
    shutil.copy(REPO / ".env.example", tmp_path / ".env.example")
    if dotenv is not None:
        (tmp_path / ".env").write_text(dotenv)
    return subprocess.run(
        [sys.executable, "-m", "cluster", "compose-up"],
        cwd=tmp_path,
        env={"PATH": path, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout.strip().splitlines()[-1]


def test_compose_up_refuses_an_env_with_an_empty_required_value(tmp_path):
    # Passwords left empty are generated (cluster/envfile.py); an account name is not.
    dotenv = "".join(f"{key}={value}\n" for key, value in DOTENV.items() if key != "DB_ADMIN_USER")
    # An empty PATH: were the check to let it through, no engine could be started.
    result = _front_door(tmp_path, dotenv + "DB_ADMIN_USER=\n", str(tmp_path / "empty"))
    assert result.returncode == 1
    assert _last_line(result) == (
        "error: .env has no value for DB_ADMIN_USER: set it, or move .env away to have one generated"
    )


def test_compose_up_without_an_engine_or_a_way_to_install_one_says_so(tmp_path):
    # An empty PATH: no docker, no dockerd, no apt-get.
    dotenv = "".join(f"{key}={value}\n" for key, value in DOTENV.items())
    result = _front_door(tmp_path, dotenv, str(tmp_path / "empty"))
    assert result.returncode == 1
    assert _last_line(result).startswith("error: no Docker engine here and no way to install one"), (
        result.stdout
    )


def test_compose_up_refuses_a_taken_port_before_starting_anything(monkeypatch):
    from cluster import compose

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        monkeypatch.setattr(compose, "NGINX_PORT", port)
        monkeypatch.setattr(compose, "APPS", ())
        monkeypatch.setattr(compose, "running_services", lambda _compose: set())
        with pytest.raises(
            compose.ClusterError, match=f"port {port} \\(nginx\\) is taken by another process"
        ):
            compose.check_ports(["docker-compose"])
