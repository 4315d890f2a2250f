"""The one error contract (core/http.py): every JSON error is `{"error": ..., "fields": {...}}`."""

import ast
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.http import HttpResponse
from django.utils import translation

from conftest import PASSWORD
from core.http import ApiError, InvalidInput, exception_response, json_error, method_not_allowed
from core.middleware import DatabaseUnavailableMiddleware
from core.views import error_response

REPO = Path(__file__).resolve().parents[2]


def _body(response: HttpResponse) -> dict:
    # RequestFactory's responses, unlike the test client's, have no .json().
    return json.loads(response.content)


@pytest.fixture(autouse=True)
def _spanish():
    # Outside a request nothing activates a language; the messages are checked in the default one.
    with translation.override("es"):
        yield


def _answer(exc: Exception) -> HttpResponse:
    # What the API (core/api.py) answers when a handler raises `exc`.
    response = exception_response(exc)
    assert response is not None
    return response


def test_bad_input_is_400_datos_no_validos_with_the_fields():
    response = _answer(InvalidInput({"capacidad": ["Debe ser un número entero."]}))
    assert response.status_code == 400
    assert _body(response) == {
        "error": "Datos no válidos.",
        "fields": {"capacidad": ["Debe ser un número entero."]},
    }


def test_a_validation_error_without_a_code_answers_like_bad_input():
    response = _answer(ValidationError({"nombre": ["Debe ser un texto."]}))
    assert response.status_code == 400
    assert _body(response) == {"error": "Datos no válidos.", "fields": {"nombre": ["Debe ser un texto."]}}


def test_other_refusals_keep_the_shape():
    response = _answer(ApiError(418, "Soy una tetera."))
    assert (response.status_code, _body(response)) == (418, {"error": "Soy una tetera.", "fields": {}})
    response = method_not_allowed(["POST", "GET"])
    assert (response.status_code, _body(response)) == (405, {"error": "Método no permitido.", "fields": {}})
    assert response["Allow"] == "GET, POST"


def test_an_outage_is_left_to_the_middleware():
    assert exception_response(OperationalError(2002, "refused")) is None


def test_a_409_carries_its_conflicts_after_the_two_keys():
    response = json_error(409, "Ocupada.", {"inicio": ["Choca."]}, conflictos=[{"id": 1}])
    assert list(_body(response)) == ["error", "fields", "conflictos"]
    assert _body(response)["conflictos"] == [{"id": 1}] and "Retry-After" not in response


@pytest.mark.parametrize("path", ["/api/anything", "/pagina"])
def test_retry_after_is_sent_with_json_and_with_pages(rf, path):
    response = error_response(rf.get(path), 503, "Caída.", retry_after=5)
    assert (response.status_code, response["Retry-After"]) == (503, "5")
    if path.startswith("/api/"):
        assert _body(response) == {"error": "Caída.", "fields": {}}


def test_a_database_outage_is_a_json_503_that_says_when_to_retry(rf):
    middleware = DatabaseUnavailableMiddleware(lambda request: HttpResponse())
    response = middleware.process_exception(rf.get("/sala/all"), OperationalError(2002, "refused"))
    assert response is not None and response.status_code == 503 and response["Retry-After"] == "5"
    assert set(_body(response)) == {"error", "fields"} and _body(response)["fields"] == {}


@pytest.mark.django_db
def test_a_lockout_is_a_json_429_that_says_when_to_retry(api, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.send("POST", "/auth/login", {"username": user.username, "password": "mala"})
    response = api.send("POST", "/auth/login", {"username": user.username, "password": PASSWORD})
    assert (response.status_code, response["Retry-After"]) == (429, "60")
    assert set(response.json()) == {"error", "fields"} and response.json()["fields"] == {}


@pytest.mark.django_db
def test_the_apis_bad_input_answers_are_unchanged(user_api):
    response = user_api.send("POST", "/sala/create", {"nombre": "x"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Datos no válidos." and set(body["fields"]) == {"codigo", "capacidad"}


def test_the_bad_input_message_is_written_once():
    # One fact in one place: every 400 for bad input goes through InvalidInput.
    places = []
    for path in REPO.rglob("*.py"):
        parts = path.relative_to(REPO).parts
        if any(part.startswith(".") or part == "tests" for part in parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and node.value == "Datos no válidos.":
                places.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert len(places) == 1 and places[0].startswith("core/http.py:"), places


@pytest.mark.parametrize(
    ("method", "headers", "status"),
    [
        ("get", {"HTTP_IF_NONE_MATCH": '"abc"'}, 304),  # the revalidation clients send
        ("head", {"HTTP_IF_NONE_MATCH": '"abc"'}, 304),
        ("get", {"HTTP_IF_NONE_MATCH": 'W/"abc"'}, 304),  # weak comparison (Django's path)
        ("get", {"HTTP_IF_NONE_MATCH": '"other", "abc"'}, 304),
        ("get", {"HTTP_IF_NONE_MATCH": "*"}, 304),
        ("get", {"HTTP_IF_NONE_MATCH": '"other"'}, 200),
        ("get", {"HTTP_IF_NONE_MATCH": '"abc"', "HTTP_IF_MATCH": '"other"'}, 412),
        ("post", {"HTTP_IF_NONE_MATCH": '"abc"'}, 412),
        ("get", {}, 200),
    ],
)
def test_conditional_responses_answer_as_django_does(rf, method, headers, status):
    from django.utils.cache import get_conditional_response

    from core.http import conditional_response

    request = getattr(rf, method)("/x", **headers)
    response = conditional_response(request, '"abc"', b"{}")
    assert response.status_code == status
    full = HttpResponse(b"{}", content_type="application/json")
    full["ETag"] = '"abc"'
    django = get_conditional_response(request, etag='"abc"', response=full) or full
    assert (response.status_code, response.get("ETag"), response.content) == (
        django.status_code,
        django.get("ETag"),
        django.content,
    )
