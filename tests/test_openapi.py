"""The API's OpenAPI description: served, valid, and naming every route of the URLconf with its methods.

Every JSON route of the URLconf is one of django-ninja's (salas_project/api.py): no app
routes an API path by itself any more.
"""

from __future__ import annotations

import json
import re

import pytest
import schemathesis
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# core.http.wants_json: the JSON API's paths, by the project's own definition.
API_PREFIXES = ("sala/", "reserva/", "auth/", "api/")
SCHEMA_ITSELF = {"/api/openapi.json", "/api/docs"}
METHODS = ("get", "post", "patch", "put", "delete")


def url_routes(patterns=None, prefix: str = "", namespace: str = "") -> list[tuple[str, str]]:
    """Every route of the URLconf (Django's `<int:pk>` written as OpenAPI's `{pk}`), with its namespace."""
    routes = []
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes += url_routes(pattern.url_patterns, route, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            routes.append(("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route), namespace))
    return routes


def api_routes() -> set[str]:
    return {r for r, _ns in url_routes() if r.lstrip("/").startswith(API_PREFIXES)} - SCHEMA_ITSELF


def test_every_json_route_is_routed_by_the_ninja_api():
    from salas_project.api import api

    outside = {
        r for r, ns in url_routes() if r.lstrip("/").startswith(API_PREFIXES) and ns != api.urls_namespace
    }
    assert not outside
    ninja_routes = {"/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(p.pattern)) for p in api.urls[0]}
    assert api_routes() == ninja_routes - SCHEMA_ITSELF


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    # Swagger UI refuses a document that names a key twice (ninja writes 304 and "304" apart).
    keys = [key for key, _value in pairs]
    assert len(keys) == len(set(keys)), keys
    return dict(pairs)


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content, object_pairs_hook=_no_duplicate_keys)


def test_the_schema_is_valid_openapi_3_1(schema):
    assert schema["openapi"].startswith("3.1")
    # schemathesis refuses a schema that breaks the OpenAPI specification.
    loaded = schemathesis.openapi.from_dict(schema)
    assert sum(1 for _ in loaded.get_all_operations()) >= len(api_routes())


def test_every_route_of_the_api_is_in_the_schema(schema):
    assert set(schema["paths"]) == api_routes()


def test_each_route_answers_the_methods_the_schema_names(client, schema):
    # core/api.py answers a method a route does not take with the contract's 405 and the Allow header.
    for path, operations in schema["paths"].items():
        url = path.replace("{codigo}", "NONE-1").replace("{pk}", "1")
        response = client.generic("TRACE", url)
        assert response.status_code == 405, path
        allowed = {m.strip().lower() for m in response["Allow"].split(",")}
        assert allowed == {m for m in operations if m in METHODS}, path


def test_every_answer_is_described(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert statuses & {"200", "201", "204"}, (path, method)
            assert {"400", "404", "503"} <= statuses, (path, method)


def test_the_docs_page_uses_our_own_static_files(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(s.endswith("swagger-ui-bundle.js") for s in sources), sources
    assert all(s.startswith("/") for s in sources), sources  # nothing from a CDN
    assert "/api/openapi.json" in html


def test_the_conditional_gets_declare_their_304_and_etag(schema):
    for path in ("/sala/all", "/sala/codigo/{codigo}"):
        operation = schema["paths"][path]["get"]
        assert "ETag" in operation["responses"]["200"]["headers"], path
        assert "ETag" in operation["responses"]["304"]["headers"], path
        assert any(p["name"] == "If-None-Match" for p in operation["parameters"]), path
