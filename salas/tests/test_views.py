import pytest

from salas.models import Sala
from salas.tests.factories import SalaFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_create_page_creates_and_redirects_to_detail(signed_in, user):
    response = signed_in.post("/salas/nueva/", {"nombre": "Aula", "codigo": "AULA-7", "capacidad": 40})
    assert response.status_code == 302
    assert response["Location"] == "/salas/AULA-7/"
    assert Sala.objects.get(codigo="AULA-7").owner == user
    assert "AULA-7" in signed_in.get("/dashboard").content.decode()


def test_create_page_shows_duplicate_error(signed_in, other_user):
    SalaFactory(owner=other_user, codigo="DUP-1")
    response = signed_in.post("/salas/nueva/", {"nombre": "Aula", "codigo": "dup-1", "capacidad": 4})
    assert response.status_code == 400
    assert "Ya existe una sala con ese código." in response.content.decode()


def test_dashboard_escapes_html(signed_in, user):
    SalaFactory(owner=user, nombre="<script>alert(1)</script>")
    content = signed_in.get("/dashboard").content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_dashboard_search_filter_and_pagination(signed_in, user):
    SalaFactory.create_batch(25, owner=user, capacidad=5)
    SalaFactory(owner=user, nombre="Auditorio", codigo="AUD-1", capacidad=500)
    page2 = signed_in.get("/dashboard?page=2").content.decode()
    assert "Página 2 de 2" in page2
    filtered = signed_in.get("/dashboard?min_capacidad=100").content.decode()
    assert "AUD-1" in filtered and "SALA-" not in filtered
    assert "AUD-1" in signed_in.get("/dashboard?q=audit").content.decode()


def test_dashboard_query_count_does_not_grow_with_rooms(signed_in, user, django_assert_max_num_queries):
    SalaFactory.create_batch(40, owner=user)
    with django_assert_max_num_queries(3):
        assert signed_in.get("/dashboard").status_code == 200


def test_edit_and_delete_for_owner(signed_in, user):
    SalaFactory(owner=user, codigo="EDIT-1", capacidad=3)
    response = signed_in.post(
        "/salas/EDIT-1/editar/", {"nombre": "Nuevo", "codigo": "EDIT-2", "capacidad": 9}
    )
    assert response.status_code == 302
    assert Sala.objects.get(codigo="EDIT-2").capacidad == 9
    assert signed_in.post("/salas/EDIT-2/eliminar/").status_code == 302
    assert not Sala.objects.exists()


def test_stranger_gets_403_on_edit_and_delete(client, user, other_user):
    SalaFactory(owner=user, codigo="AJENA-1")
    client.force_login(other_user)
    assert client.get("/salas/AJENA-1/editar/").status_code == 403
    assert client.post("/salas/AJENA-1/eliminar/").status_code == 403
    assert Sala.objects.filter(codigo="AJENA-1").exists()


def test_detail_unknown_is_404_page(signed_in):
    response = signed_in.get("/salas/NADA-1/")
    assert response.status_code == 404
    assert "text/html" in response["Content-Type"]


def test_admin_is_for_staff_only(client, user, staff_user):
    client.force_login(user)
    assert client.get("/admin/salas/sala/").status_code == 302
    client.force_login(staff_user)
    assert client.get("/admin/salas/sala/").status_code == 200


def test_admin_add_goes_through_the_service(client, staff_user, user):
    client.force_login(staff_user)
    response = client.post(
        "/admin/salas/sala/add/",
        {"nombre": "Desde admin", "codigo": "ADM-1", "capacidad": 7, "owner": user.pk},
    )
    assert response.status_code == 302
    assert Sala.objects.get(codigo="ADM-1").owner == user


@pytest.mark.parametrize(
    "query", ["page=99999999999999999999", "min_capacidad=99999999999999999999", "page=-3"]
)
def test_dashboard_with_absurd_filters_shows_all_rooms_with_a_notice(signed_in, user, query):
    SalaFactory(owner=user, codigo="SIGUE-1")
    response = signed_in.get(f"/dashboard?{query}")
    assert response.status_code == 200
    assert "SIGUE-1" in response.content.decode()
    assert "Filtro no válido" in response.content.decode()
