"""Issue 22 items 1 and 8 against the running cluster: no account answers to a published
password, every secret in .env was generated, the app account holds no DDL yet the nodes
serve, the generated admin password is in no log, and rotating a password works end to end."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import MySQLdb
import pytest

from cluster import envfile
from cluster.paths import LOGS, STATE
from cluster.topology import HOST, PRIMARY, REPLICAS
from replication import sql
from tests.cluster.harness import (
    DB_PORTS,
    DBS,
    FLAVOR,
    NGINX,
    NODES,
    ROOT,
    create_room,
    new_session,
    post_json,
    run_cluster,
    signed_up_user,
    unique_code,
    wait_replicas_caught_up,
    wait_until,
)

# What .env.example and docker-compose.yml used to hand every clone.
PUBLISHED = [
    ("salas", "salas-dev"),
    ("salas_admin", "salas-admin-dev"),
    ("repl", "repl-dev"),
    ("salas", ""),
    ("salas_admin", ""),
    ("salas_migrate", ""),
    ("repl", ""),
    ("root", ""),
]
ACCESS_DENIED = 1045
COMMAND_DENIED = (1142, 1044, 1227)  # table command / database / global privilege denied


def login(user: str, password: str, port: int = PRIMARY.port) -> Any:
    return MySQLdb.connect(
        host=HOST, port=port, user=user, password=password, connect_timeout=3, autocommit=True
    )


def dotenv() -> dict[str, str]:
    """.env as it is now (the settings copied it into os.environ when pytest started, so
    envfile.dotenv_values would give a rotated password's old value)."""
    return envfile.parse_env_text((ROOT / ".env").read_text())


def account(url_variable: str, password_variable: str) -> tuple[str, str, str]:
    """(user, password, database) of an account as .env names it."""
    env = dotenv()
    url = urlsplit(env[url_variable])
    return url.username or "", env[password_variable], url.path.lstrip("/")


def refused(run: Any) -> int:
    with pytest.raises(MySQLdb.OperationalError) as caught:
        run()
    return caught.value.args[0]


@pytest.mark.parametrize(("user", "password"), PUBLISHED)
def test_no_server_accepts_a_published_or_empty_password(user: str, password: str) -> None:
    for name, port in DB_PORTS.items():
        code = refused(lambda port=port: login(user, password, port).close())
        assert code == ACCESS_DENIED, f"{user!r} with {password!r} on {name}: error {code}"


def test_every_secret_was_generated_and_env_is_private() -> None:
    path = ROOT / ".env"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    values = envfile.parse_env_text(path.read_text())
    example = envfile.parse_env_text((ROOT / ".env.example").read_text())
    secrets = [values.get(name, "") for name in envfile.SECRET_NAMES]
    assert all(len(value) >= 32 for value in secrets), "a secret is empty or short"
    assert len(set(secrets)) == len(secrets), "two secrets share a value"
    assert not set(secrets) & set(example.values())


def test_no_password_is_in_the_binlog_the_app_account_may_read() -> None:
    """The app account holds BINLOG MONITOR (SHOW MASTER STATUS), which also opens SHOW
    BINLOG EVENTS: the accounts the replicas receive must travel as hashes."""
    values = dotenv()
    primary = DBS[PRIMARY.name]
    for log, *_rest in primary.query("SHOW BINARY LOGS"):
        events = " ".join(str(row[-1]) for row in primary.query(f"SHOW BINLOG EVENTS IN '{log}'"))
        leaked = [name for name in envfile.SECRET_NAMES if values[name] in events]
        assert not leaked, f"{log} holds {leaked} in clear"


@pytest.fixture
def scratch_table() -> Any:
    """A table the admin creates in the app database (so nothing real is ever dropped)."""
    name = f"lp_probe_{uuid.uuid4().hex[:8]}"
    primary = DBS[PRIMARY.name]
    primary.query(f"CREATE TABLE salas.`{name}` (id INT PRIMARY KEY)")
    yield name
    primary.query(f"DROP TABLE IF EXISTS salas.`{name}`")


def test_the_app_account_cannot_change_the_schema(scratch_table: str) -> None:
    user, password, database = account("DATABASE_URL", "DB_APP_PASSWORD")
    app = login(user, password)
    try:
        cursor = app.cursor()
        attempts = [
            f"CREATE TABLE `{database}`.lp_new (id INT)",
            f"ALTER TABLE `{database}`.`{scratch_table}` ADD COLUMN extra INT",
            f"CREATE INDEX lp_idx ON `{database}`.`{scratch_table}` (id)",
            f"DROP TABLE `{database}`.`{scratch_table}`",
            f"TRUNCATE TABLE `{database}`.`{scratch_table}`",
            "CREATE DATABASE lp_other",
            f"GRANT SELECT ON `{database}`.* TO 'repl'@'%'",
        ]
        for statement in attempts:
            code = refused(lambda statement=statement: cursor.execute(statement))
            assert code in COMMAND_DENIED, f"{statement}: error {code}"
        # What it keeps: rows, and what read routing asks of the servers.
        cursor.execute(f"INSERT INTO `{database}`.`{scratch_table}` (id) VALUES (1)")
        cursor.execute(f"SELECT COUNT(*) FROM `{database}`.`{scratch_table}`")
        assert cursor.fetchone()[0] == 1
    finally:
        app.close()
    position = DBS[PRIMARY.name].scalar(sql.primary_gtid_position(FLAVOR))
    for replica in REPLICAS:
        reader = login(user, password, replica.port)
        try:
            cursor = reader.cursor()
            cursor.execute(sql.show_replica_status(FLAVOR))
            assert cursor.fetchone() is not None, f"SHOW SLAVE STATUS empty for the app on {replica.name}"
            cursor.execute(sql.wait_for_gtid(FLAVOR), [position, 10])
            assert cursor.fetchone()[0] == 0
        finally:
            reader.close()


def test_the_schema_owner_can_and_the_nodes_serve_with_dml_only(scratch_table: str) -> None:
    user, password, database = account("MIGRATE_DATABASE_URL", "DB_MIGRATE_PASSWORD")
    owner = login(user, password)
    try:
        owner.cursor().execute(f"ALTER TABLE `{database}`.`{scratch_table}` ADD COLUMN extra INT")
        code = refused(lambda: owner.cursor().execute("CREATE DATABASE lp_other"))
        assert code in COMMAND_DENIED, "the schema owner reaches beyond its database"
    finally:
        owner.close()
    session, _ = signed_up_user()
    for node, base in NODES.items():
        response = create_room(session, unique_code("LP"), base=base)
        assert response.status_code == 201, f"{node}: {response.status_code} {response.text}"


def test_the_generated_admin_password_is_in_a_private_file_and_no_log() -> None:
    path = STATE / "admin-password"
    if not path.is_file():
        pytest.skip("no .state/admin-password: the admin account predates this cluster's state")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    username, password = path.read_text().split()
    assert len(password) >= 16
    for log in LOGS.rglob("*"):
        if log.is_file():
            assert password.encode() not in log.read_bytes(), f"the admin password is in {log}"
    response = post_json(new_session(), f"{NGINX}/auth/login", {"username": username, "password": password})
    assert response.status_code == 200, response.text


def test_ensure_admin_prints_where_the_password_is_never_the_password(tmp_path: Path) -> None:
    username = f"adm{uuid.uuid4().hex[:10]}"
    password_file = tmp_path / "admin-password"
    # A clean environment: the settings read .env themselves, as on make up.
    environment = {
        "PATH": os.environ["PATH"],
        "LANG": "C.UTF-8",
        "DJANGO_ADMIN_PASSWORD_FILE": str(password_file),
    }
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "ensure_admin",
            "--username",
            username,
            "--email",
            f"{username}@example.com",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    written_user, password = password_file.read_text().split()
    assert written_user == username
    assert password not in result.stdout + result.stderr
    assert str(password_file) in result.stdout
    response = post_json(new_session(), f"{NGINX}/auth/login", {"username": username, "password": password})
    assert response.status_code == 200, response.text


def rotate(name: str) -> None:
    run_cluster("rotate-secret", name)
    # The settings copied .env into this process's environment when pytest started, and
    # every later test's manage.py inherits it: a stale password there would undo the rotation.
    os.environ[name] = dotenv()[name]


def every_node_writes() -> bool:
    session, _ = signed_up_user()
    return all(
        create_room(session, unique_code("RT"), base=base).status_code == 201 for base in NODES.values()
    )


@pytest.mark.parametrize(
    ("secret", "url_variable", "port"),
    [("DB_APP_PASSWORD", "DATABASE_URL", PRIMARY.port), ("REPLICATION_PASSWORD", "", PRIMARY.port)],
)
def test_rotating_a_password_locks_the_old_one_out_and_keeps_the_cluster_working(
    secret: str, url_variable: str, port: int
) -> None:
    env = dotenv()
    user = urlsplit(env[url_variable]).username if url_variable else env["REPLICATION_USER"]
    old = env[secret]
    rotate(secret)
    new = dotenv()[secret]
    assert new != old and len(new) >= 32
    assert refused(lambda: login(user, old, port).close()) == ACCESS_DENIED
    login(user, new, port).close()
    # The nodes reloaded (graceful HUP): every one writes through the rotated account.
    wait_until(every_node_writes, timeout=30, what="every node to write after the rotation")
    code = unique_code("RP")
    session, _ = signed_up_user()
    assert create_room(session, code).status_code == 201
    for replica in REPLICAS:
        DBS[replica.name].query(sql.stop_replica(FLAVOR, "io"))
        DBS[replica.name].query(sql.start_replica(FLAVOR, "io"))
    # A reconnected IO thread logs in as repl with what CHANGE MASTER holds now.
    wait_until(
        lambda: all(DBS[r.name].status().get("Slave_IO_Running") == "Yes" for r in REPLICAS),
        timeout=30,
        what="both replicas' IO threads to reconnect",
    )
    wait_replicas_caught_up()
    for replica in REPLICAS:
        assert (
            DBS[replica.name].scalar("SELECT COUNT(*) FROM salas.salas_sala WHERE codigo = %s", [code]) == 1
        )


def test_rotate_refuses_an_unknown_name() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cluster", "rotate-secret", "DJANGO_DEBUG"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1 and "NAME must be one of" in result.stdout + result.stderr
