"""Races decided by the database, and security promises, across all three nodes."""

from __future__ import annotations

import grp
import stat
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from cluster.layout import load_layout
from cluster.topology import APPS, PORTS
from tests.cluster.harness import (
    DBS,
    NGINX,
    NODES,
    PASSWORD,
    assert_one_winner_of_fifty,
    assert_rotated_forwarded_address_does_not_dodge_lockout,
    create_room,
    fresh_address,
    new_session,
    post_json,
    session_from,
    signed_up_user,
    unique_code,
    wait_replicas_caught_up,
)

pytestmark = pytest.mark.usefixtures("healthy_cluster")

BASES = list(NODES.values())


def test_fifty_parallel_creates_of_one_code_yield_exactly_one_room():
    codigo = unique_code("RACE")
    sessions = [signed_up_user(BASES[i % 3])[0] for i in range(50)]

    def create(i: int) -> int:
        base = BASES[i % 3]
        code = codigo if i % 2 else codigo.lower()
        return create_room(sessions[i], code, base=base, nombre=f"carrera {i}", capacidad=3).status_code

    assert_one_winner_of_fifty(create)
    assert DBS["db1"].scalar("SELECT COUNT(*) FROM salas.salas_sala WHERE codigo = %s", [codigo]) == 1


def test_fifty_parallel_signups_with_one_email_yield_exactly_one_user():
    email = f"carrera-{uuid.uuid4().hex[:8]}@example.com"

    def register(i: int) -> int:
        base = BASES[i % 3]
        session = new_session()
        body = {
            "username": f"r{uuid.uuid4().hex[:10]}",
            "email": email.upper() if i % 2 else email,
            "password": PASSWORD,
        }
        return post_json(session, f"{base}/auth/register", body, base=base).status_code

    assert_one_winner_of_fifty(register)
    assert DBS["db1"].scalar("SELECT COUNT(*) FROM salas.accounts_user WHERE email = %s", [email]) == 1


def test_a_username_spelled_like_an_email_is_refused_and_cannot_capture_its_sign_ins():
    """The account-confusion attack, through nginx: registering someone's email as a username."""
    _victim, victim_name = signed_up_user()
    email = f"{victim_name}@example.com"
    attacker = new_session()
    body = {"username": email, "email": f"x{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD}
    refused = post_json(attacker, f"{NGINX}/auth/register", body)
    assert refused.status_code == 400 and "username" in refused.json()["fields"], refused.text
    for base in BASES:
        session = new_session()
        response = post_json(session, f"{base}/auth/login", {"email": email, "password": PASSWORD}, base=base)
        assert response.status_code == 200 and response.json()["username"] == victim_name, response.text
    assert DBS["db1"].scalar("SELECT COUNT(*) FROM salas.accounts_user WHERE username = %s", [email]) == 0


def test_racing_sign_ups_of_one_email_as_username_and_as_email_give_it_to_the_email():
    email = f"carrera-{uuid.uuid4().hex[:8]}@example.com"

    def register(i: int) -> int:
        base = BASES[i % 3]
        if i % 2:
            body = {"username": email, "email": f"o{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD}
        else:
            body = {"username": f"r{uuid.uuid4().hex[:10]}", "email": email, "password": PASSWORD}
        return post_json(new_session(), f"{base}/auth/register", body, base=base).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(register, range(20)))
    assert [statuses[i] for i in range(1, 20, 2)] == [400] * 10, statuses
    assert sorted(statuses[i] for i in range(0, 20, 2)) == [201] + [409] * 9, statuses
    assert DBS["db1"].scalar("SELECT COUNT(*) FROM salas.accounts_user WHERE email = %s", [email]) == 1
    assert DBS["db1"].scalar("SELECT COUNT(*) FROM salas.accounts_user WHERE username = %s", [email]) == 0


def test_login_lockout_is_shared_by_every_node():
    _, name = signed_up_user()
    limit = 5
    # One client, on an address of its own (failures from 127.0.0.1 would add up, run after
    # run, to the per-address lockout of every test signing in from it).
    address = fresh_address()
    statuses = []
    for i in range(limit):
        session = session_from(address)
        base = BASES[i % 3]
        statuses.append(
            post_json(
                session, f"{base}/auth/login", {"username": name, "password": "mala"}, base=base
            ).status_code
        )
    assert statuses[: limit - 1] == [401] * (limit - 1) and statuses[-1] == 429, statuses
    for base in BASES:
        session = session_from(address)
        response = post_json(
            session, f"{base}/auth/login", {"username": name, "password": PASSWORD}, base=base
        )
        assert response.status_code == 429, (base, response.status_code)
    # An account that does not exist locks out the same way: no hint either way.
    ghost = f"fantasma{uuid.uuid4().hex[:6]}"
    ghost_statuses = [
        post_json(
            session_from(address),
            f"{BASES[i % 3]}/auth/login",
            {"username": ghost, "password": "mala"},
            base=BASES[i % 3],
        ).status_code
        for i in range(limit)
    ]
    assert ghost_statuses == statuses
    assert DBS["db1"].scalar("SELECT COUNT(*) FROM salas.axes_accessattempt WHERE username = %s", [name]) == 1


def test_only_root_and_nginx_may_reach_the_nodes_sockets():
    layout = load_layout()
    info = layout.app_socket_dir.stat()
    assert stat.S_IMODE(info.st_mode) == 0o750 and grp.getgrgid(info.st_gid).gr_name == "www-data"
    for app in APPS:
        path = str(layout.app_socket(app))

        def status_as(user: str, path: str = path) -> subprocess.CompletedProcess:
            curl = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", path]
            url = "http://127.0.0.1/api/status"
            return subprocess.run(
                ["runuser", "-u", user, "--", *curl, url], capture_output=True, text=True, check=False
            )

        as_nobody = status_as("nobody")
        assert as_nobody.returncode == 7, as_nobody  # curl: could not connect
        as_nginx = status_as("www-data")
        assert as_nginx.returncode == 0 and as_nginx.stdout == "200", as_nginx


def test_a_node_port_trusts_no_forwarded_address_so_rotating_it_does_not_dodge_the_lockout():
    assert_rotated_forwarded_address_does_not_dodge_lockout(NODES["app1"])


def test_users_cannot_touch_others_rooms_or_the_admin():
    owner, _ = signed_up_user()
    intruder, _ = signed_up_user()
    codigo = unique_code("MINE")
    assert create_room(owner, codigo, nombre="mía").status_code == 201
    for base in BASES:
        assert (
            post_json(
                intruder, f"{base}/sala/codigo/{codigo}", {"capacidad": 9}, base=base, method="PATCH"
            ).status_code
            == 403
        )
        assert (
            post_json(intruder, f"{base}/sala/codigo/{codigo}", {}, base=base, method="DELETE").status_code
            == 403
        )
    admin = intruder.get(
        f"{NGINX}/admin/salas/sala/", headers={"Accept": "text/html"}, allow_redirects=False, timeout=10
    )
    assert admin.status_code == 302 and "/admin/login/" in admin.headers["Location"]
    wait_replicas_caught_up()
    assert DBS["db3"].scalar("SELECT capacidad FROM salas.salas_sala WHERE codigo = %s", [codigo]) == 2


def test_passwords_are_stored_only_as_strong_hashes():
    _, name = signed_up_user()
    stored = DBS["db1"].scalar("SELECT password FROM salas.accounts_user WHERE username = %s", [name])
    algorithm, iterations, _salt, _hash = stored.split("$")
    assert algorithm in {"pbkdf2_sha256", "argon2", "scrypt"}
    assert int(iterations) >= 600_000
    assert PASSWORD not in stored


def test_cookies_and_headers_through_nginx():
    session = new_session()
    page = session.get(f"{NGINX}/login", headers={"Accept": "text/html"}, timeout=10)
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "Referrer-Policy" in page.headers
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    response = post_json(
        session,
        f"{NGINX}/auth/register",
        {
            "username": f"c{uuid.uuid4().hex[:8]}",
            "email": f"{uuid.uuid4().hex[:8]}@example.com",
            "password": PASSWORD,
        },
    )
    cookies = response.raw.headers.getlist("Set-Cookie")
    session_cookie = next(cookie for cookie in cookies if cookie.startswith("sessionid="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie


def test_errors_never_leak_a_stack_trace():
    session, _ = signed_up_user()
    for path in ("/sala/codigo/%00", "/salas/%ff/", "/no/such/page", "/sala/all?page=999999999999999999999"):
        response = session.get(f"{NGINX}{path}", timeout=10)
        assert response.status_code < 500, (path, response.status_code)
        assert "Traceback" not in response.text and "SECRET_KEY" not in response.text


def test_csrf_is_required_through_nginx():
    session, _ = signed_up_user()
    response = session.post(
        f"{NGINX}/sala/create", json={"nombre": "x", "codigo": unique_code("CS"), "capacidad": 1}, timeout=10
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]


def test_nothing_listens_beyond_loopback():
    output = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, check=True).stdout
    ports = {str(port) for port in PORTS}
    seen = set()
    for line in output.splitlines():
        local = line.split()[3]
        address, _, port = local.rpartition(":")
        if port in ports:
            seen.add(port)
            assert address in {"127.0.0.1", "[::1]"}, line
    assert seen == ports
