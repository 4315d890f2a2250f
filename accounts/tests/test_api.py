import pytest

from accounts.models import User
from conftest import PASSWORD, JsonClient

pytestmark = pytest.mark.django_db


def test_register_creates_user_and_signs_in(api):
    response = api.send(
        "POST", "/auth/register", {"username": "ana", "email": "ana@example.com", "password": PASSWORD}
    )
    assert response.status_code == 201
    assert response.json()["username"] == "ana"
    assert api.send("GET", "/auth/me").json()["email"] == "ana@example.com"
    stored = User.objects.get(username="ana")
    assert stored.password.startswith("pbkdf2_sha256$") and PASSWORD not in stored.password


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@example.com", "password": PASSWORD}, "username"),
        ({"username": "a", "password": PASSWORD}, "email"),
        ({"username": "a", "email": "a@example.com"}, "password"),
        ({"username": "a", "email": "no-es-correo", "password": PASSWORD}, "email"),
        ({"username": "a", "email": "a@example.com", "password": "123"}, "password"),
        ({"username": ["a"], "email": "a@example.com", "password": PASSWORD}, "username"),
        ({"username": "con espacio", "email": "a@example.com", "password": PASSWORD}, "username"),
    ],
)
def test_register_rejects_bad_input_with_field_errors(api, body, field):
    response = api.send("POST", "/auth/register", body)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not User.objects.exists()


def test_register_duplicate_email_is_409_case_insensitively(api, user):
    body = {"username": "otro", "email": user.email.upper(), "password": PASSWORD}
    response = api.send("POST", "/auth/register", body)
    assert response.status_code == 409
    assert "email" in response.json()["fields"]


def test_register_duplicate_username_is_409(api, user):
    body = {"username": user.username.upper(), "email": "nuevo@example.com", "password": PASSWORD}
    response = api.send("POST", "/auth/register", body)
    assert response.status_code == 409
    assert "username" in response.json()["fields"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("{no es json", "application/json"), ('["lista"]', "application/json"), ("a=b", "text/plain")],
)
def test_register_rejects_malformed_bodies(api, body, content_type):
    response = api.post("/auth/register", body, content_type=content_type)
    assert response.status_code == 400
    assert set(response.json()) == {"error", "fields"}


@pytest.mark.parametrize("key", ["username", "email"])
def test_login_with_username_or_email(api, user, key):
    identifier = user.username if key == "username" else user.email.upper()
    response = api.send("POST", "/auth/login", {key: identifier, "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["id"] == user.pk
    assert api.send("GET", "/auth/me").status_code == 200


def test_login_wrong_password_is_401(api, user):
    response = api.send("POST", "/auth/login", {"username": user.username, "password": "mala"})
    assert response.status_code == 401
    assert response.json()["error"]


def test_login_unknown_user_is_401_like_a_wrong_password(api):
    response = api.send("POST", "/auth/login", {"username": "nadie", "password": "mala"})
    assert response.status_code == 401


def test_logout_ends_the_session(user_api):
    assert user_api.send("POST", "/auth/logout").status_code == 200
    assert user_api.send("GET", "/auth/me").status_code == 401


def test_login_locks_out_after_repeated_failures_whether_or_not_the_user_exists(api, user, settings):
    limit = settings.AXES_FAILURE_LIMIT
    for name in (user.username, "fantasma"):
        statuses = [
            api.send("POST", "/auth/login", {"username": name, "password": "mala"}).status_code
            for _ in range(limit + 1)
        ]
        assert statuses[: limit - 1] == [401] * (limit - 1)
        assert statuses[-1] == 429
    # Even the right password is refused while locked out.
    response = api.send("POST", "/auth/login", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429


def test_login_with_an_absurdly_long_name_is_400(api):
    response = api.send("POST", "/auth/login", {"username": "x" * 300, "password": "mala"})
    assert response.status_code == 400
    assert "username" in response.json()["fields"]


def test_a_username_with_an_at_sign_is_refused_at_sign_up(api):
    body = {"username": "victima@corp.com", "email": "atacante@example.com", "password": PASSWORD}
    response = api.send("POST", "/auth/register", body)
    assert response.status_code == 400
    assert "username" in response.json()["fields"]
    assert not User.objects.filter(email="atacante@example.com").exists()


def test_an_email_signs_in_only_its_owner_even_beside_a_username_spelled_like_it(api):
    """A legacy account named like someone's email cannot capture that email's sign-ins."""
    from accounts.tests.factories import UserFactory

    owner = UserFactory(username="victima", email="victima@corp.com", password=PASSWORD)
    User.objects.create(username="victima@corp.com", email="atacante@example.com")
    impostor = User.objects.get(username="victima@corp.com")
    impostor.set_password("Otra-Clave-Atacante-1")
    impostor.save()
    response = api.send("POST", "/auth/login", {"username": "victima@corp.com", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["id"] == owner.pk
    api.post("/auth/logout")
    wrong = api.send(
        "POST", "/auth/login", {"username": "victima@corp.com", "password": "Otra-Clave-Atacante-1"}
    )
    assert wrong.status_code == 401


def test_username_and_email_share_one_lockout_budget(api, user, settings):
    limit = settings.AXES_FAILURE_LIMIT
    names = [user.username if i % 2 else user.email.upper() for i in range(limit)]
    statuses = [
        api.send("POST", "/auth/login", {"username": n, "password": "mala"}).status_code for n in names
    ]
    assert statuses[-1] == 429, statuses


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/auth/logout"), ("POST", "/auth/csrf"), ("POST", "/api/status")]
)
def test_wrong_methods_get_json_405(api, method, path):
    response = api.generic(method, path)
    assert response.status_code == 405
    assert set(response.json()) == {"error", "fields"}


def test_failures_typed_with_an_email_spend_only_the_email_owners_budget(api, settings):
    from accounts.tests.factories import UserFactory

    owner_of_email = UserFactory(username="ana", email="eve@example.com")
    # A legacy account whose username is spelled like ana's email.
    named_like_it = UserFactory(username="eve@example.com", email="otra@example.com")
    limit = settings.AXES_FAILURE_LIMIT
    names = ["eve@example.com" if i % 2 else "ana" for i in range(limit)]
    statuses = [
        api.send("POST", "/auth/login", {"username": n, "password": "mala"}).status_code for n in names
    ]
    assert statuses[-1] == 429, statuses
    locked = api.send("POST", "/auth/login", {"username": owner_of_email.email, "password": PASSWORD})
    assert locked.status_code == 429
    # The account named like that email kept its own budget.
    response = api.send("POST", "/auth/login", {"username": "otra@example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["id"] == named_like_it.pk


def test_a_long_email_shares_the_budget_of_its_username(api, settings):
    from accounts.tests.factories import UserFactory

    long_email = ("a" * 200) + "@example.com"
    user = UserFactory(username="largo", email=long_email)
    limit = settings.AXES_FAILURE_LIMIT
    names = [long_email if i % 2 else user.username for i in range(limit)]
    statuses = [
        api.send("POST", "/auth/login", {"username": n, "password": "mala"}).status_code for n in names
    ]
    assert statuses[-1] == 429, statuses


def test_password_change_keeps_this_session_only(user_api, user):
    other = JsonClient()
    other.force_login(user)
    missing = user_api.send("POST", "/auth/password", {"old_password": PASSWORD})
    assert missing.status_code == 400 and "new_password" in missing.json()["fields"]
    body = {"old_password": PASSWORD, "new_password": "Otra-clave-segura-42"}
    assert user_api.send("POST", "/auth/password", body).status_code == 200
    assert user_api.get("/auth/me").status_code == 200
    assert other.get("/auth/me").status_code == 401
    user.refresh_from_db()
    assert user.check_password("Otra-clave-segura-42")


def test_password_change_needs_a_session(api):
    body = {"old_password": PASSWORD, "new_password": "Otra-clave-segura-42"}
    assert api.send("POST", "/auth/password", body).status_code == 401
