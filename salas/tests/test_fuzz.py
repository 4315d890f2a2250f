"""Property-based fuzzing of every JSON endpoint and form: only 4xx, one error shape, nothing stored."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from accounts.tests.factories import UserFactory
from conftest import JsonClient
from salas.models import Sala

pytestmark = pytest.mark.django_db

NASTY_STRINGS = st.sampled_from(
    [
        "",
        " ",
        "' OR '1'='1",
        "1; DROP TABLE salas_sala; --",
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "\x00",
        "ñandú-😀",
        "a" * 10_000,
        "%s%s%s",
        "../../etc/passwd",
        "NaN",
    ]
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=50)
    | NASTY_STRINGS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=6,
)
BAD_CAPACITY = st.one_of(
    st.integers(max_value=0),
    st.integers(min_value=10_001),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    NASTY_STRINGS,
    # Strings str.isdigit() accepts that are not a capacity: "²", "١٢", 5000 digits.
    st.text(alphabet=st.characters(categories=("Nd", "No")), min_size=1, max_size=4).filter(
        lambda text: not text.isascii()
    ),
    st.just("9" * 5000),
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _assert_error_shape(response, allowed=(400, 401, 403, 404, 405, 409)):
    assert response.status_code in allowed, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error", "fields"}
    assert isinstance(body["error"], str) and isinstance(body["fields"], dict)


@pytest.fixture
def owner(db):
    return UserFactory()


@pytest.fixture
def signed_in(owner):
    client = JsonClient()
    client.force_login(owner)
    return client


@FUZZ
@given(
    body=st.dictionaries(st.sampled_from(["nombre", "codigo", "capacidad", "owner", "id", "x"]), JSON_VALUES)
)
def test_create_with_arbitrary_json_never_500s_and_rejections_store_nothing(signed_in, body):
    before = Sala.objects.count()
    response = signed_in.send("POST", "/sala/create", body)
    if response.status_code == 201:
        Sala.objects.filter(pk=response.json()["id"]).delete()
        return
    _assert_error_shape(response)
    assert Sala.objects.count() == before


@FUZZ
@given(capacidad=BAD_CAPACITY, nombre=st.text(max_size=120) | NASTY_STRINGS)
def test_create_with_bad_capacity_is_400(signed_in, capacidad, nombre):
    response = signed_in.send(
        "POST", "/sala/create", {"nombre": nombre or "x", "codigo": "FUZZ-1", "capacidad": capacidad}
    )
    _assert_error_shape(response, allowed=(400,))
    assert not Sala.objects.exists()


@FUZZ
@given(
    raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode),
    content_type=st.sampled_from(
        [
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "",
        ]
    ),
)
def test_raw_bodies_on_every_json_write_endpoint(signed_in, raw, content_type):
    for path in ("/sala/create", "/auth/register", "/auth/login"):
        response = signed_in.generic("POST", path, raw, content_type=content_type)
        if response.status_code in (200, 201):
            continue  # a valid body by chance
        _assert_error_shape(response)
    assert not Sala.objects.exists()


@FUZZ
@given(body=st.dictionaries(st.sampled_from(["username", "email", "password", "is_staff"]), JSON_VALUES))
def test_register_with_arbitrary_json(body):
    client = JsonClient()
    before = User.objects.count()
    response = client.send("POST", "/auth/register", body)
    if response.status_code == 201:
        assert User.objects.get(pk=response.json()["id"]).is_staff is False
        User.objects.filter(pk=response.json()["id"]).delete()
        return
    _assert_error_shape(response)
    assert User.objects.count() == before


@FUZZ
@given(
    body=st.dictionaries(st.sampled_from(["nombre", "codigo", "capacidad", "owner"]), JSON_VALUES, min_size=1)
)
def test_patch_with_arbitrary_json(signed_in, owner, body):
    sala = Sala.objects.create(owner=owner, nombre="Fija", codigo="PATCH-FZ", capacidad=5)
    response = signed_in.send("PATCH", "/sala/codigo/PATCH-FZ", body)
    if response.status_code != 200:
        _assert_error_shape(response)
        sala.refresh_from_db()
        assert (sala.nombre, sala.codigo, sala.capacidad) == ("Fija", "PATCH-FZ", 5)
    Sala.objects.all().delete()


@FUZZ
@given(
    query=st.dictionaries(
        st.sampled_from(["page", "page_size", "q", "min_capacidad"]), st.text(max_size=30) | NASTY_STRINGS
    )
)
def test_list_with_arbitrary_parameters(signed_in, query):
    response = signed_in.get("/sala/all", query)
    if response.status_code == 200:
        assert set(response.json()) == {"salas", "count", "page", "pages"}
    else:
        _assert_error_shape(response, allowed=(400,))


@FUZZ
@given(
    codigo=st.text(min_size=1, max_size=40).filter(lambda s: "/" not in s)
    | NASTY_STRINGS.filter(lambda s: s and "/" not in s)
)
def test_lookup_by_any_code_is_200_or_404(signed_in, codigo):
    response = signed_in.get(f"/sala/codigo/{codigo}")
    if response.status_code != 200:
        _assert_error_shape(response, allowed=(404,))


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {
            "nombre": st.text(max_size=150) | NASTY_STRINGS,
            "codigo": st.text(max_size=30) | NASTY_STRINGS,
            "capacidad": st.text(max_size=12),
        }
    )
)
def test_create_form_never_500s_and_escapes_input(client, owner, data):
    client.force_login(owner)
    response = client.post("/salas/nueva/", data)
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        content = response.content.decode()
        assert "<script>alert(1)</script>" not in content
        assert Sala.objects.count() == 0
    Sala.objects.all().delete()


def test_html_injection_is_escaped_on_pages(signed_in, owner, client):
    signed_in.send(
        "POST",
        "/sala/create",
        {"nombre": '"><img src=x onerror=alert(1)>', "codigo": "XSS-1", "capacidad": 3},
    )
    client.force_login(owner)
    for path in ("/dashboard", "/salas/XSS-1/"):
        content = client.get(path).content.decode()
        assert "<img src=x" not in content
        assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in content


def test_sql_injection_strings_are_just_data(signed_in):
    response = signed_in.send(
        "POST", "/sala/create", {"nombre": "1; DROP TABLE salas_sala; --", "codigo": "SQLI-1", "capacidad": 3}
    )
    assert response.status_code == 201
    listing = signed_in.get("/sala/all", {"q": "' OR '1'='1"})
    assert listing.status_code == 200 and listing.json()["count"] == 0
    assert (
        json.loads(signed_in.get("/sala/codigo/SQLI-1").content)["nombre"] == "1; DROP TABLE salas_sala; --"
    )
