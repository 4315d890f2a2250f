"""The Docker Compose path (docker-compose.yml, Dockerfile, docker/), checked without Docker.

No machine of this project has a Docker engine, so the containers are never started
here. Debian's docker-compose 1.29 still reads, interpolates and validates the compose
file offline (`docker-compose config`); these tests run it with a throw-away env file and
assert, on its resolved output, the properties the cluster relies on. The shell scripts
in docker/ are run with stand-ins for the image's helpers. None of this touches a
database.
"""

from __future__ import annotations

import configparser
import fnmatch
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
NGINX_TEMPLATE = REPO / "nginx" / "nginx.conf.template"
ADMIN_INIT_SCRIPT = REPO / "docker" / "mysql-init" / "10-salas-admin.sh"
MIGRATE_SCRIPT = REPO / "docker" / "migrate.sh"

DATABASES = ("db1", "db2", "db3")
NODES = ("app1", "app2", "app3")
INITDB = "/docker-entrypoint-initdb.d/"

# What .env holds, with values that are easy to trace through the resolved output.
DOTENV = {
    "DJANGO_SECRET_KEY": "compose-test-secret-key",
    "DB_ADMIN_USER": "salas_admin",
    "DB_ADMIN_PASSWORD": "compose-test-admin-pw",
    "REPLICATION_USER": "repl",
    "REPLICATION_PASSWORD": "compose-test-repl-pw",
}


# --- running docker-compose ----------------------------------------------------------------


def _docker_compose() -> str:
    path = shutil.which("docker-compose")
    if path is None:
        pytest.fail(
            "docker-compose is not installed, so docker-compose.yml cannot be validated: "
            "run `make deps-test` (it installs Debian's docker-compose package)"
        )
    return path


def _compose(tmp_path: Path, dotenv: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`docker-compose -f docker-compose.yml ARGS` with DOTENV as its .env, from the repo root.

    The environment is cleared, so neither the developer's .env nor variables exported in
    the shell change what the tests see.
    """
    env_file = tmp_path / "compose.env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in dotenv.items()))
    return subprocess.run(
        [_docker_compose(), "--env-file", str(env_file), "-f", str(COMPOSE_FILE), *args],
        cwd=REPO,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _parse_yaml(text: str) -> dict[str, Any]:
    try:
        import yaml
    except ImportError:
        return _parse_yaml_with_compose_interpreter(text)
    return yaml.safe_load(text)


def _parse_yaml_with_compose_interpreter(text: str) -> dict[str, Any]:
    # PyYAML is not among the dev requirements. docker-compose 1.x is a Python program
    # that cannot run without it, so the interpreter named in its #! line converts.
    script = Path(_docker_compose())
    first_line = script.read_bytes().split(b"\n", 1)[0].decode(errors="replace")
    if not first_line.startswith("#!"):
        pytest.fail(f"{script} is not the Python docker-compose 1.x, and PyYAML is not installed")
    interpreter = first_line[2:].split()
    result = subprocess.run(
        [*interpreter, "-c", "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"],
        input=text,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The compose file as docker-compose resolves it: anchors merged, ${VAR}s filled in."""
    result = _compose(tmp_path_factory.mktemp("compose"), DOTENV, "config")
    assert result.returncode == 0, result.stderr
    return _parse_yaml(result.stdout)


def _services(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return config["services"]


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {name: "" if value is None else str(value) for name, value in env.items()}


def _mounts(service: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """Container path -> (host path or volume name, read-only) for each volume."""
    mounts: dict[str, tuple[str, bool]] = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            mounts[volume["target"]] = (volume["source"], bool(volume.get("read_only")))
            continue
        source, target, *mode = volume.split(":")
        mounts[target] = (source, "ro" in mode[0].split(",") if mode else False)
    return mounts


def _published(port: str | dict[str, Any]) -> tuple[str, str, str]:
    """(host address, host port, container port) of one `ports` entry."""
    if isinstance(port, dict):
        return str(port.get("host_ip", "")), str(port.get("published", "")), str(port["target"])
    parts = port.split("/")[0].split(":")
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return "", "", parts[0]


# --- validity ------------------------------------------------------------------------------


def test_compose_file_is_valid_for_docker_compose_1_29(tmp_path: Path) -> None:
    result = _compose(tmp_path, DOTENV, "config", "-q")

    assert result.returncode == 0, result.stderr


def test_compose_file_uses_only_what_compose_1_29_reads() -> None:
    text = COMPOSE_FILE.read_text()

    assert re.search(r'^version: "3\.\d+"$', text, re.MULTILINE)
    assert not re.search(r"^(name|include):", text, re.MULTILINE)


@pytest.mark.parametrize("missing", sorted(DOTENV))
def test_a_missing_required_value_stops_compose_with_its_name(tmp_path: Path, missing: str) -> None:
    dotenv = {name: value for name, value in DOTENV.items() if name != missing}

    result = _compose(tmp_path, dotenv, "config", "-q")

    assert result.returncode != 0
    assert f"set {missing} in .env" in result.stderr


# --- databases -----------------------------------------------------------------------------


def test_three_mysql_8_4_servers_with_distinct_server_ids(config: dict[str, Any]) -> None:
    services = _services(config)
    server_ids = {}
    for name in DATABASES:
        service = services[name]
        assert service["image"] == "mysql:8.4"
        ids = [arg.split("=", 1)[1] for arg in service["command"] if arg.startswith("--server-id=")]
        assert len(ids) == 1, f"{name}: {service['command']}"
        server_ids[name] = ids[0]

    assert server_ids == {"db1": "1", "db2": "2", "db3": "3"}


def test_databases_publish_no_port_and_sit_on_an_internal_network_only(config: dict[str, Any]) -> None:
    for name in DATABASES:
        service = _services(config)[name]
        assert "ports" not in service, name
        networks = service["networks"]
        assert set(networks) == {"backend"}, name
        for network in networks:
            assert config["networks"][network].get("internal") is True, network


def test_database_healthchecks_ping_over_tcp(config: dict[str, Any]) -> None:
    for name in DATABASES:
        test = _services(config)[name]["healthcheck"]["test"]
        command = " ".join(test[1:]) if isinstance(test, list) else test
        assert "mysqladmin ping" in command, name
        assert "--host=127.0.0.1" in command and "--protocol=tcp" in command, name


def test_primary_and_replicas_get_their_own_mysql_config(config: dict[str, Any]) -> None:
    expected = {"db1": "primary.cnf", "db2": "replica.cnf", "db3": "replica.cnf"}
    for name, cnf in expected.items():
        mounts = _mounts(_services(config)[name])
        config_files = {
            target: mount for target, mount in mounts.items() if target.startswith("/etc/mysql/conf.d/")
        }
        assert len(config_files) == 1, f"{name}: {mounts}"
        ((target, (source, read_only)),) = config_files.items()
        assert target.endswith(".cnf")
        assert Path(source) == REPO / "mysql" / "docker" / cnf
        assert read_only, name


def _mysqld_options(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(allow_no_value=True, strict=False)
    parser.read_string(path.read_text())
    return parser["mysqld"]


def test_replicas_are_read_only_even_for_super_users(config: dict[str, Any]) -> None:
    # read_only from replica.cnf; super_read_only persisted by an init script that runs
    # last (replica.cnf explains why it cannot be in the file).
    assert _mysqld_options(REPO / "mysql" / "docker" / "replica.cnf").get("read_only") == "ON"
    # Every server starts read-only (setup_replication opens the primary); only
    # the replicas add super_read_only, since the primary's init must write.
    assert _mysqld_options(REPO / "mysql" / "docker" / "primary.cnf").get("read_only") == "ON"
    for name in ("db2", "db3"):
        init_scripts = {
            target: Path(source)
            for target, (source, _) in _mounts(_services(config)[name]).items()
            if target.startswith(INITDB)
        }
        last = init_scripts[max(init_scripts)]
        assert re.search(r"SET PERSIST super_read_only\s*=\s*ON", last.read_text()), name
    for target, (source, _) in _mounts(_services(config)["db1"]).items():
        if target.startswith(INITDB):
            assert "super_read_only" not in Path(source).read_text(), target


def test_every_database_creates_the_admin_account_first(config: dict[str, Any]) -> None:
    for name in DATABASES:
        service = _services(config)[name]
        init_scripts = sorted(t for t in _mounts(service) if t.startswith(INITDB))
        assert init_scripts[0] == INITDB + ADMIN_INIT_SCRIPT.name, name
        assert Path(_mounts(service)[init_scripts[0]][0]) == ADMIN_INIT_SCRIPT
        env = _environment(service)
        assert env["DB_ADMIN_USER"] == DOTENV["DB_ADMIN_USER"]
        assert env["DB_ADMIN_PASSWORD"] == DOTENV["DB_ADMIN_PASSWORD"]


# --- the admin init script -----------------------------------------------------------------


def _source_admin_script(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Source the script as the mysql image's entrypoint does (bash, `set -eo pipefail`),
    with a docker_process_sql that prints the SQL it is given instead of running it."""
    program = f'set -eo pipefail\ndocker_process_sql() {{ cat; }}\n. "{ADMIN_INIT_SCRIPT}"\necho SOURCED-OK\n'
    return subprocess.run(
        ["bash", "-c", program],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_admin_script_is_sourced_not_executed() -> None:
    # The image executes an executable .sh, where docker_process_sql does not exist.
    assert not ADMIN_INIT_SCRIPT.stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def test_admin_script_creates_the_account_outside_the_binary_log() -> None:
    result = _source_admin_script({"DB_ADMIN_USER": "salas_admin", "DB_ADMIN_PASSWORD": "it's\\ok"})

    assert result.returncode == 0, result.stderr
    statements = [line for line in result.stdout.splitlines() if line.endswith(";")]
    assert statements[0] == "SET SESSION sql_log_bin = 0;"
    assert "CREATE USER IF NOT EXISTS 'salas_admin'@'%' IDENTIFIED BY 'it''s\\\\ok';" in statements
    assert "GRANT ALL PRIVILEGES ON *.* TO 'salas_admin'@'%' WITH GRANT OPTION;" in statements
    assert result.stdout.rstrip().endswith("SOURCED-OK")


def test_admin_script_without_credentials_fails_the_initialisation() -> None:
    result = _source_admin_script({"DB_ADMIN_USER": "salas_admin"})

    assert result.returncode != 0
    assert "DB_ADMIN_PASSWORD" in result.stderr
    assert "SOURCED-OK" not in result.stdout


def test_shell_scripts_parse() -> None:
    for shell, script in (("bash", ADMIN_INIT_SCRIPT), ("sh", MIGRATE_SCRIPT)):
        result = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{script.name}: {result.stderr}"


# --- start order ---------------------------------------------------------------------------


def _conditions(service: dict[str, Any]) -> dict[str, str]:
    depends_on = service.get("depends_on") or {}
    if isinstance(depends_on, list):
        return dict.fromkeys(depends_on, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in depends_on.items()}


def test_start_order_waits_for_each_step(config: dict[str, Any]) -> None:
    services = _services(config)

    assert _conditions(services["setup_replication"]) == dict.fromkeys(DATABASES, "service_healthy")
    assert _conditions(services["migrate"]) == {"setup_replication": "service_completed_successfully"}
    for node in NODES:
        assert _conditions(services[node]) == {"migrate": "service_completed_successfully"}, node
    assert _conditions(services["nginx"]) == dict.fromkeys(NODES, "service_healthy")


def test_one_shot_services_run_their_commands_once(config: dict[str, Any]) -> None:
    services = _services(config)

    assert services["setup_replication"]["command"] == ["python", "manage.py", "setup_replication"]
    assert services["migrate"]["command"] == ["sh", "docker/migrate.sh"]
    migrate_script = MIGRATE_SCRIPT.read_text()
    for command in ("migrate --noinput", "ensure_admin", "seed_demo"):
        assert f"manage.py {command}" in migrate_script
    assert "collectstatic" not in migrate_script
    for name in ("setup_replication", "migrate"):
        assert services[name].get("restart", "no") == "no", name


def test_setup_replication_reaches_every_server_inside_the_network(config: dict[str, Any]) -> None:
    env = _environment(_services(config)["setup_replication"])
    admin = f"{DOTENV['DB_ADMIN_USER']}:{DOTENV['DB_ADMIN_PASSWORD']}"

    assert env["REPLICATION_PRIMARY_URL"] == f"mysql://{admin}@db1:3306/"
    replicas = dict(item.split("=", 1) for item in env["REPLICATION_REPLICA_URLS"].split(","))
    assert replicas == {"db2": f"mysql://{admin}@db2:3306/", "db3": f"mysql://{admin}@db3:3306/"}
    assert (env["REPLICATION_SOURCE_HOST"], env["REPLICATION_SOURCE_PORT"]) == ("db1", "3306")
    assert env["REPLICATION_USER"] == DOTENV["REPLICATION_USER"]
    assert env["REPLICATION_PASSWORD"] == DOTENV["REPLICATION_PASSWORD"]


# --- nodes ---------------------------------------------------------------------------------


def test_nodes_write_to_db1_and_read_their_own_replica(config: dict[str, Any]) -> None:
    services = _services(config)
    # app1 reads db1 and keeps db2 only as its fallback while db1 is down.
    expected = {"app1": ("db2", "primary"), "app2": ("db2", "replica"), "app3": ("db3", "replica")}
    for node, (replica, preference) in expected.items():
        env = _environment(services[node])
        assert env["NODE_NAME"] == node
        primary = urlsplit(env["DATABASE_URL"])
        assert primary.scheme == "mysql", node
        assert (primary.hostname, primary.port, primary.path) == ("db1", 3306, "/salas"), node
        assert env.get("READ_PREFERENCE", "replica") == preference, node
        url = urlsplit(env["REPLICA_DATABASE_URL"])
        assert (url.hostname, url.port, url.path) == (replica, 3306, "/salas"), node
        assert (url.username, url.password) == (primary.username, primary.password), node


def test_semi_sync_plugins_and_a_fast_loss_detection_on_every_server() -> None:
    for cnf in ("primary.cnf", "replica.cnf"):
        text = (REPO / "mysql" / "docker" / cnf).read_text()
        assert "plugin-load-add = semisync_source.so" in text and "semisync_replica.so" in text, cnf
        options = _mysqld_options(REPO / "mysql" / "docker" / cnf)
        assert options.get("loose_rpl_semi_sync_source_wait_point") == "AFTER_SYNC", cnf
        assert options.get("loose_rpl_semi_sync_source_timeout") == "4294967295", cnf
        assert options.get("replica_net_timeout") == "2", cnf


def test_nodes_and_the_monitor_share_the_topology_record(config: dict[str, Any]) -> None:
    services = _services(config)
    for name in (*NODES, "monitor", "setup_replication"):
        env = _environment(services[name])
        assert env["TOPOLOGY_FILE"] == "/var/lib/salas/topology.json", name
        mounts = _mounts(services[name])
        assert "/var/lib/salas" in mounts, name
        # Only the writers may write it.
        assert mounts["/var/lib/salas"][1] == (name in NODES), name
    for node in NODES:
        env = _environment(services[node])
        assert env["NODE_DATABASE"] == "db" + node.removeprefix("app"), node
        assert env["DATABASE_SERVERS"] == "db1=db1:3306,db2=db2:3306,db3=db3:3306", node
    assert _environment(services["monitor"])["FAILOVER_AUTO"] == "1"


def test_nodes_trust_only_the_network_nginx_is_on(config: dict[str, Any]) -> None:
    subnets = [entry["subnet"] for entry in config["networks"]["frontend"]["ipam"]["config"]]
    assert set(_services(config)["nginx"]["networks"]) == {"frontend"}
    for node in NODES:
        assert _environment(_services(config)[node])["TRUSTED_PROXY_NETWORKS"] == ",".join(subnets), node


def test_each_container_gets_only_the_secrets_it_needs(config: dict[str, Any]) -> None:
    services = _services(config)
    admin_secrets = (DOTENV["DB_ADMIN_PASSWORD"], DOTENV["REPLICATION_PASSWORD"])
    for name in (*NODES, "migrate", "nginx"):
        values = _environment(services[name]).values()
        assert not any(secret in value for secret in admin_secrets for value in values), name
    for name in (*DATABASES, "nginx"):
        assert DOTENV["DJANGO_SECRET_KEY"] not in _environment(services[name]).values(), name
    for name in (*NODES, "setup_replication", "migrate"):
        env = _environment(services[name])
        assert env["DJANGO_SECRET_KEY"] == DOTENV["DJANGO_SECRET_KEY"], name
        assert env["DJANGO_DEBUG"] == "0", name


def test_password_defaults_are_marked_as_local_development_defaults() -> None:
    for number, line in enumerate(COMPOSE_FILE.read_text().splitlines(), start=1):
        for name, default in re.findall(r"\$\{(\w+):-([^}]*)\}", line):
            if ("PASSWORD" in name or name == "DJANGO_SECRET_KEY") and default:
                assert "local development default" in line, f"docker-compose.yml:{number}: {line.strip()}"
    assert "DJANGO_SECRET_KEY:?" in COMPOSE_FILE.read_text()


# --- nginx ---------------------------------------------------------------------------------


def test_only_nginx_is_published_and_only_on_loopback_8084(config: dict[str, Any]) -> None:
    published = {
        name: service["ports"] for name, service in _services(config).items() if service.get("ports")
    }

    assert list(published) == ["nginx"]
    assert [_published(port) for port in published["nginx"]] == [("127.0.0.1", "8084", "8084")]


def _render_like_the_nginx_image(template: str, values: dict[str, str], name_filter: str) -> str:
    """The nginx image's envsubst step: ${NAME} for defined names matching the filter."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        return values[name] if name_filter in name and name in values else match.group(0)

    return re.sub(r"\$\{(\w+)\}", substitute, template)


def test_nginx_template_renders_completely_with_the_compose_values(config: dict[str, Any]) -> None:
    env = _environment(_services(config)["nginx"])
    name_filter = re.search(r"NGINX_ENVSUBST_FILTER=(\S+)", DOCKERFILE.read_text())
    assert name_filter, "the Dockerfile's nginx stage sets NGINX_ENVSUBST_FILTER"

    rendered = _render_like_the_nginx_image(NGINX_TEMPLATE.read_text(), env, name_filter.group(1))

    assert "${" not in rendered
    assert re.search(r"^\s*listen 8084;", rendered, re.MULTILINE)
    servers = re.findall(r"^\s*server (\S+) weight=(\d+)", rendered, re.MULTILINE)
    assert servers == [("app1:8000", "3"), ("app2:8000", "2"), ("app3:8000", "1")]
    # nginx's own variables pass through untouched.
    assert "$remote_addr" in rendered and "$salas_request_id" in rendered


# --- Dockerfile ----------------------------------------------------------------------------


def _dockerfile_stages() -> dict[str, list[str]]:
    """Stage name -> its instructions (continuation lines joined, comments dropped)."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    stages: dict[str, list[str]] = {}
    current: list[str] = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"FROM\s+\S+\s+AS\s+(\S+)", line, re.IGNORECASE)
        if match:
            current = stages.setdefault(match.group(1), [])
        current.append(line)
    return stages


def test_dockerfile_builds_the_targets_compose_asks_for(config: dict[str, Any]) -> None:
    stages = _dockerfile_stages()
    targets = {service["build"]["target"] for service in _services(config).values() if "build" in service}

    assert targets == {"app", "nginx"}
    assert targets <= set(stages)
    # `app` is last, so a plain `docker build .` gives the node image.
    assert list(stages)[-1] == "app"
    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in DOCKERFILE.read_text()


def test_app_image_runs_gunicorn_unprivileged_with_a_status_healthcheck() -> None:
    app = _dockerfile_stages()["app"]
    users = [line.split()[1] for line in app if line.startswith("USER ")]
    healthchecks = [line for line in app if line.startswith("HEALTHCHECK ")]
    commands = [line for line in app if line.startswith("CMD ")]

    assert users and users[-1] not in ("root", "0")
    assert len(healthchecks) == 1 and "/api/status" in healthchecks[0] and "urllib" in healthchecks[0]
    assert json.loads(commands[-1][len("CMD ") :]) == [
        "gunicorn",
        "-c",
        "cluster/gunicorn.conf.py",
        "salas_project.wsgi:application",
    ]
    assert not any("requirements-dev" in line for stage in _dockerfile_stages().values() for line in stage)


def test_build_context_leaves_secrets_and_local_state_out() -> None:
    ignored = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines() if line.strip()}

    assert {".env", ".venv/", ".state/", ".git/", "staticfiles/"} <= ignored


def test_build_context_keeps_what_the_images_use() -> None:
    patterns = [
        line.strip().rstrip("/")
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    needed = [
        "requirements.txt",
        "manage.py",
        "cluster/gunicorn.conf.py",
        # `python -m cluster balance` reads the weights and nginx's address from it.
        "cluster/topology.py",
        "nginx/nginx.conf.template",
        "docker/migrate.sh",
        "static/css",
    ]
    for path in needed:
        prefixes = ["/".join(path.split("/")[: i + 1]) for i in range(path.count("/") + 1)]
        hits = [p for p in patterns for prefix in prefixes if fnmatch.fnmatchcase(prefix, p)]
        assert not hits, f"{path} is excluded from the build context by {hits}"


def test_the_image_build_can_collect_static_files_with_only_its_own_environment(tmp_path: Path) -> None:
    # The build has no .env (.dockerignore) and no database: the settings must
    # load from what the Dockerfile's RUN line itself sets.
    run = next(line for line in _dockerfile_stages()["static"] if "collectstatic" in line)
    assignments = dict(re.findall(r'(\w+)="([^"]*)"', run))
    arg = next(
        line for line in _dockerfile_stages()["static"] if line.startswith("ARG COLLECTSTATIC_SECRET_KEY=")
    )
    environment = {
        name: value.replace("$COLLECTSTATIC_SECRET_KEY", arg.split("=", 1)[1])
        for name, value in assignments.items()
    }
    # Every package the image holds (the tests excluded, as .dockerignore does), so a new app is covered.
    packages = [
        path.name for path in REPO.iterdir() if (path / "__init__.py").is_file() and path.name != "tests"
    ]
    for name in (*packages, "templates", "static"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "tests"))
    shutil.copy(REPO / "manage.py", tmp_path / "manage.py")
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--dry-run"],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
