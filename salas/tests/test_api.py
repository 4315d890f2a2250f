import pytest

from salas.models import Sala
from salas.tests.factories import SalaFactory

pytestmark = pytest.mark.django_db

ROOM = {"nombre": "Sala Azul", "codigo": "AZUL-1", "capacidad": 12}


def test_create_returns_201_with_the_room_owned_by_the_caller(user_api, user, other_user):
    response = user_api.send("POST", "/sala/create", {**ROOM})
    assert response.status_code == 201
    body = response.json()
    assert body["codigo"] == "AZUL-1"
    assert body["owner"] == {"id": user.pk, "username": user.username}
    assert set(body) == {"id", "nombre", "codigo", "capacidad", "owner", "created_at"}


def test_create_refuses_an_owner_in_the_body(user_api, other_user):
    response = user_api.send("POST", "/sala/create", {**ROOM, "owner": other_user.pk})
    assert response.status_code == 400
    assert "owner" in response.json()["fields"]
    assert not Sala.objects.exists()


def test_create_requires_sign_in(api):
    response = api.send("POST", "/sala/create", ROOM)
    assert response.status_code == 401
    assert response.json()["error"]


def test_create_duplicate_is_409(user_api, other_api):
    assert user_api.send("POST", "/sala/create", ROOM).status_code == 201
    response = other_api.send("POST", "/sala/create", {**ROOM, "codigo": "azul-1"})
    assert response.status_code == 409
    assert "codigo" in response.json()["fields"]


@pytest.mark.parametrize(
    "body",
    [
        {"nombre": "x", "codigo": "OK-1"},
        {"nombre": "x", "codigo": "OK-1", "capacidad": None},
        {"nombre": "x", "codigo": "OK-1", "capacidad": "mucha"},
        {"nombre": "x", "codigo": "OK-1", "capacidad": True},
        {"nombre": "x", "codigo": "OK-1", "capacidad": "3.5"},
        {"nombre": "x", "codigo": "OK-1", "capacidad": "9" * 40},
        {"nombre": "x", "codigo": "OK-1", "capacidad": 10**30},
        {"nombre": 5, "codigo": "OK-1", "capacidad": 3},
        {"nombre": "x", "codigo": "<script>", "capacidad": 3},
    ],
)
def test_create_invalid_is_400_with_fields(user_api, body):
    response = user_api.send("POST", "/sala/create", body)
    assert response.status_code == 400
    assert response.json()["fields"]
    assert not Sala.objects.exists()


@pytest.mark.parametrize(("sent", "stored"), [(" 012 ", 12), ("7", 7)])
def test_create_and_edit_take_the_capacity_as_digits_in_text(user_api, sent, stored):
    # As the API always has (and HTML forms do): the number's digits as a string.
    assert user_api.send("POST", "/sala/create", {**ROOM, "capacidad": sent}).status_code == 201
    assert Sala.objects.get().capacidad == stored
    response = user_api.send("PATCH", "/sala/codigo/AZUL-1", {"capacidad": str(stored + 1)})
    assert response.status_code == 200
    assert response.json()["capacidad"] == stored + 1


def test_create_wrong_content_type_is_400(user_api):
    response = user_api.post("/sala/create", ROOM)  # form-encoded
    assert response.status_code == 400


def test_list_paginates(user_api, user):
    SalaFactory.create_batch(7, owner=user)
    response = user_api.send("GET", "/sala/all?page=2&page_size=3")
    body = response.json()
    assert response.status_code == 200
    assert (body["count"], body["page"], body["pages"], len(body["salas"])) == (7, 2, 3, 3)


def test_list_newest_first_and_filters(user_api, user):
    SalaFactory(owner=user, nombre="Pequeña", codigo="PEQ-1", capacidad=4)
    SalaFactory(owner=user, nombre="Grande", codigo="GRA-1", capacidad=400)
    body = user_api.send("GET", "/sala/all").json()
    assert [s["codigo"] for s in body["salas"]] == ["GRA-1", "PEQ-1"]
    assert [s["codigo"] for s in user_api.send("GET", "/sala/all?min_capacidad=10").json()["salas"]] == [
        "GRA-1"
    ]
    assert [s["codigo"] for s in user_api.send("GET", "/sala/all?q=peq").json()["salas"]] == ["PEQ-1"]


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=x",
        "page_size=501",
        "min_capacidad=-1",
        "page_size=abc",
        "page=99999999999999999999999",
        "min_capacidad=99999999999999999999999",
    ],
)
def test_list_bad_parameters_are_400(user_api, query):
    response = user_api.send("GET", f"/sala/all?{query}")
    assert response.status_code == 400
    assert response.json()["fields"]


def test_list_a_repeated_query_string_answers_alike_through_the_contract(user_api, user):
    # The room list validates each query string once per process (core.params.PureQuery).
    SalaFactory.create_batch(3, owner=user)
    first = user_api.send("GET", "/sala/all?page=&page_size=2").json()
    again = user_api.send("GET", "/sala/all?page=&page_size=2").json()
    assert first == again
    assert first["page"] == 1 and len(first["salas"]) == 2  # "page=" is a parameter not sent


def test_list_a_refused_query_is_refused_in_each_request_s_language(user_api):
    spanish = user_api.send("GET", "/sala/all?page=0", HTTP_ACCEPT_LANGUAGE="es")
    english = user_api.send("GET", "/sala/all?page=0", HTTP_ACCEPT_LANGUAGE="en")
    assert spanish.status_code == english.status_code == 400
    assert spanish.json()["fields"]["page"] != english.json()["fields"]["page"]
    assert english.json()["fields"]["page"] == ["Must be at least 1."]


def test_list_page_past_the_end_is_empty_not_an_error(user_api, user):
    SalaFactory(owner=user)
    body = user_api.send("GET", "/sala/all?page=9").json()
    assert body["salas"] == [] and body["count"] == 1


def test_list_requires_sign_in(api):
    assert api.send("GET", "/sala/all").status_code == 401


def test_list_query_count_does_not_grow_with_rooms(user_api, user, django_assert_max_num_queries):
    SalaFactory.create_batch(60, owner=user)
    with django_assert_max_num_queries(3):
        response = user_api.send("GET", "/sala/all")
    assert len(response.json()["salas"]) == 60


def test_get_by_code_is_case_insensitive(user_api, user):
    SalaFactory(owner=user, codigo="Mixta-9")
    response = user_api.send("GET", "/sala/codigo/mixta-9")
    assert response.status_code == 200
    assert response.json()["codigo"] == "Mixta-9"


def test_get_unknown_code_is_404(user_api):
    response = user_api.send("GET", "/sala/codigo/NOPE-1")
    assert response.status_code == 404
    assert response.json()["error"]


def test_patch_by_owner(user_api, user):
    SalaFactory(owner=user, codigo="PATCH-1", capacidad=3)
    response = user_api.send("PATCH", "/sala/codigo/patch-1", {"capacidad": 30})
    assert response.status_code == 200
    assert response.json()["capacidad"] == 30


def test_patch_and_delete_by_stranger_are_403(user, other_api):
    SalaFactory(owner=user, codigo="MIA-1", capacidad=3)
    assert other_api.send("PATCH", "/sala/codigo/MIA-1", {"capacidad": 30}).status_code == 403
    assert other_api.send("DELETE", "/sala/codigo/MIA-1").status_code == 403
    assert Sala.objects.get(codigo="MIA-1").capacidad == 3


def test_patch_to_existing_code_is_409(user_api, user):
    SalaFactory(owner=user, codigo="UNO-1")
    SalaFactory(owner=user, codigo="DOS-2")
    response = user_api.send("PATCH", "/sala/codigo/DOS-2", {"codigo": "uno-1"})
    assert response.status_code == 409


def test_patch_invalid_is_400_and_nothing_changes(user_api, user):
    SalaFactory(owner=user, codigo="VAL-1", capacidad=3)
    assert user_api.send("PATCH", "/sala/codigo/VAL-1", {"capacidad": 0}).status_code == 400
    assert user_api.send("PATCH", "/sala/codigo/VAL-1", {}).status_code == 400
    assert Sala.objects.get(codigo="VAL-1").capacidad == 3


def test_staff_can_delete_any_room(user, staff_api):
    SalaFactory(owner=user, codigo="BYE-1")
    assert staff_api.send("DELETE", "/sala/codigo/BYE-1").status_code == 204
    assert not Sala.objects.exists()


def test_wrong_method_is_405_json(user_api):
    response = user_api.send("DELETE", "/sala/all")
    assert response.status_code == 405
    assert response.json()["error"]


def test_patch_cannot_reassign_the_owner_even_for_staff(staff_api, user, other_user):
    SalaFactory(owner=user, codigo="OWN-1")
    response = staff_api.send("PATCH", "/sala/codigo/OWN-1", {"owner": other_user.pk})
    assert response.status_code == 400
    assert "owner" in response.json()["fields"]
    assert Sala.objects.get(codigo="OWN-1").owner == user


def test_a_write_never_moves_the_gtid_cookie_backwards(user_api):
    from replication.consistency import COOKIE_NAME

    first = user_api.send("POST", "/sala/create", {"nombre": "a", "codigo": "GT-1", "capacidad": 2})
    duplicate = user_api.send("POST", "/sala/create", {"nombre": "b", "codigo": "gt-1", "capacidad": 2})
    assert (first.status_code, duplicate.status_code) == (201, 409)
    values = [r.cookies[COOKIE_NAME].value for r in (first, duplicate) if COOKIE_NAME in r.cookies]
    sequences = [int(value.split(":")[0].rsplit("-", 1)[1]) for value in values]
    assert sequences == sorted(sequences)


def test_the_list_carries_an_etag_and_answers_304_while_it_holds(user_api, user):
    SalaFactory(owner=user, codigo="ETAG-1")
    first = user_api.send("GET", "/sala/all")
    etag = first["ETag"]
    assert first.status_code == 200 and etag
    again = user_api.send("GET", "/sala/all", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and again.content == b""
    SalaFactory(owner=user, codigo="ETAG-2")
    changed = user_api.send("GET", "/sala/all", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert [sala["codigo"] for sala in changed.json()["salas"]][:2] == ["ETAG-2", "ETAG-1"]


def test_a_304_still_needs_a_signed_in_client(api, user_api, user):
    etag = user_api.send("GET", "/sala/all")["ETag"]
    assert api.send("GET", "/sala/all", HTTP_IF_NONE_MATCH=etag).status_code == 401


def test_a_rooms_json_carries_an_etag_and_answers_304_while_it_holds(user_api, user):
    SalaFactory(owner=user, codigo="Det-1", capacidad=4)
    first = user_api.send("GET", "/sala/codigo/det-1")
    etag = first["ETag"]
    assert first.status_code == 200 and first.json()["capacidad"] == 4
    assert user_api.send("GET", "/sala/codigo/DET-1", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert user_api.send("PATCH", "/sala/codigo/det-1", {"capacidad": 9}).status_code == 200
    changed = user_api.send("GET", "/sala/codigo/det-1", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed.json()["capacidad"] == 9 and changed["ETag"] != etag
