import pytest

from accounts.models import User
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_dashboard_redirects_anonymous_users_to_login(client):
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response["Location"].startswith("/login")


def test_register_page_creates_account_and_signs_in(client):
    response = client.post(
        "/register",
        {"username": "luis", "email": "luis@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert User.objects.filter(username="luis").exists()
    assert client.get("/dashboard").status_code == 200


def test_register_page_shows_errors_in_spanish(client, user):
    response = client.post(
        "/register",
        {"username": user.username, "email": "x@example.com", "password1": PASSWORD, "password2": "otra"},
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "Las contraseñas no coinciden." in content


def test_register_page_reports_duplicate_email(client, user):
    response = client.post(
        "/register",
        {"username": "nuevo", "email": user.email, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 400
    assert "Ya existe un usuario con ese correo electrónico." in response.content.decode()


def test_login_page_accepts_email(client, user):
    response = client.post("/login", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard"


def test_login_page_wrong_password_shows_error(client, user):
    response = client.post("/login", {"username": user.username, "password": "mala"})
    assert response.status_code == 200
    assert "incorrectos" in response.content.decode()


def test_logout_requires_post(client, user):
    client.force_login(user)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_session_cookie_is_httponly_and_samesite(client, user):
    response = client.post("/login", {"username": user.username, "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_login_page_lockout_is_a_429_page(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/login", {"username": user.username, "password": "mala"})
    assert response.status_code == 429
    assert "text/html" in response["Content-Type"]
    assert "Demasiados intentos fallidos" in response.content.decode()


def test_register_page_refuses_a_username_with_an_at_sign(client):
    response = client.post(
        "/register",
        {"username": "eva@corp.com", "email": "eva@x.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 400
    assert "sin @" in response.content.decode()
    assert not User.objects.filter(email="eva@x.com").exists()


def test_login_page_with_an_email_signs_in_its_owner_not_an_account_named_like_it(client):
    from accounts.tests.factories import UserFactory

    owner = UserFactory(username="eva", email="eva@corp.com", password=PASSWORD)
    UserFactory(username="eva@corp.com", email="intruso@example.com", password="Otra-Clave-Intruso-1")
    response = client.post("/login", {"username": "eva@corp.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/auth/me").json()["id"] == owner.pk
    client.post("/logout")
    refused = client.post("/login", {"username": "eva@corp.com", "password": "Otra-Clave-Intruso-1"})
    assert refused.status_code == 200  # the form again, with its error
    assert client.get("/auth/me").status_code == 401


def test_admin_add_user_refuses_a_username_with_an_at_sign(client, staff_user):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    response = client.post(
        "/admin/accounts/user/add/",
        {"username": "x@y.com", "email": "xy@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200  # the form again, with its error
    assert not User.objects.filter(email="xy@example.com").exists()


def test_createsuperuser_refuses_a_username_with_an_at_sign(monkeypatch):
    from django.core.management import CommandError, call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    with pytest.raises(CommandError):
        call_command("createsuperuser", "--noinput", username="x@y.com", email="xy@example.com")
    assert not User.objects.filter(email="xy@example.com").exists()


def test_password_reset_mails_a_link_only_for_an_account(client, user, settings, mailoutbox):
    settings.EMAIL_URL = "locmem://"
    for email in (user.email, "nadie@example.com"):
        response = client.post("/password/reset/", {"email": email})
        assert response.status_code == 302 and response["Location"] == "/password/reset/sent/"
    assert [m.to for m in mailoutbox] == [[user.email]]
    assert "/password/reset/" in mailoutbox[0].body


def test_password_reset_without_a_mail_server_is_a_503_whoever_asks(client, user, settings, mailoutbox):
    settings.EMAIL_URL = ""
    for email in (user.email, "nadie@example.com"):
        response = client.post("/password/reset/", {"email": email})
        assert response.status_code == 503
    assert mailoutbox == []
