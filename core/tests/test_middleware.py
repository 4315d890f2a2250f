"""The pipeline's lighter versions of Django's locale and messages middleware: the same answers."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.utils.functional import empty

from core.middleware import LocaleMiddleware, MessageMiddleware

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("headers", "language"),
    [
        ({}, "es"),
        ({"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}, "en"),
        ({"HTTP_ACCEPT_LANGUAGE": "de-DE"}, "es"),
        ({"HTTP_ACCEPT_LANGUAGE": "en", "HTTP_COOKIE": "django_language=es"}, "es"),
    ],
)
def test_the_language_follows_the_cookie_then_the_browser(headers, language):
    seen = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen["language"] = request.LANGUAGE_CODE
        return HttpResponse("x")

    # "/sala/all": a path whose first segment Django's own middleware tries as a language.
    response = LocaleMiddleware(view)(RequestFactory().get("/sala/all", **headers))
    assert seen["language"] == language
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]


def test_pages_answer_in_the_browsers_language(client):
    response = client.get("/login", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "en"
    assert response.headers["Vary"].count("Accept-Language") == 1


def test_a_request_that_uses_no_messages_builds_no_storage_and_sets_no_cookie():
    request = RequestFactory().get("/sala/all")
    response = MessageMiddleware(lambda request: HttpResponse("x"))(request)
    assert "messages" not in response.cookies
    assert request._messages._wrapped is empty  # noqa: SLF001 - never built


def test_a_message_added_reaches_the_next_page(user):
    client = Client()
    client.force_login(user)
    # A room created from its form redirects to a page that shows a success message.
    response = client.post("/salas/nueva/", {"nombre": "Mensajes", "codigo": "MSG-1", "capacidad": 3})
    assert response.status_code == 302
    assert "messages" in response.cookies  # stored for the next request
    page = client.get(response["Location"])
    assert "Sala «Mensajes» creada." in page.content.decode()
    assert "creada." not in client.get(response["Location"]).content.decode()  # shown once, then gone
