import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from salas.models import Sala
from salas.services import sala_create, sala_delete, sala_update
from salas.tests.factories import SalaFactory

pytestmark = pytest.mark.django_db


def test_create_stores_room(user):
    sala = sala_create(owner=user, nombre="  Sala Azul ", codigo="AZUL-1", capacidad=10)
    assert Sala.objects.get(pk=sala.pk).nombre == "Sala Azul"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("nombre", ""),
        ("nombre", "x" * 101),
        ("codigo", "ab"),
        ("codigo", "a" * 21),
        ("codigo", "con espacio"),
        ("codigo", "ñandú"),
        ("capacidad", 0),
        ("capacidad", -5),
        ("capacidad", 10_001),
        ("capacidad", True),
        ("capacidad", 2.5),
        ("capacidad", "diez"),
        ("nombre", None),
    ],
)
def test_create_rejects_invalid_values(user, field, value):
    data = {"nombre": "Sala", "codigo": "OK-1", "capacidad": 5, field: value}
    with pytest.raises(ValidationError) as excinfo:
        sala_create(owner=user, **data)
    assert field in excinfo.value.error_dict
    assert not Sala.objects.exists()


def test_duplicate_code_is_refused_case_insensitively(user, other_user):
    sala_create(owner=user, nombre="Uno", codigo="Sala-A", capacidad=5)
    with pytest.raises(ValidationError) as excinfo:
        sala_create(owner=other_user, nombre="Dos", codigo="SALA-a", capacidad=5)
    assert excinfo.value.error_dict["codigo"][0].code == "unique"
    assert Sala.objects.count() == 1


def test_database_enforces_case_insensitive_unique_code(user):
    SalaFactory(codigo="RAW-1", owner=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Sala.objects.bulk_create([Sala(nombre="x", codigo="raw-1", capacidad=3, owner=user)])


@pytest.mark.parametrize("capacidad", [0, 10_001])
def test_database_enforces_capacity_range(user, capacidad):
    with pytest.raises(IntegrityError), transaction.atomic():
        Sala.objects.bulk_create([Sala(nombre="x", codigo="CAP-1", capacidad=capacidad, owner=user)])


def test_update_by_owner(user):
    sala = SalaFactory(owner=user)
    updated = sala_update(sala=sala, actor=user, data={"capacidad": 99, "nombre": "Nueva"})
    sala.refresh_from_db()
    assert (sala.capacidad, sala.nombre) == (99, "Nueva") == (updated.capacidad, updated.nombre)


def test_update_by_stranger_is_denied(user, other_user):
    sala = SalaFactory(owner=user, capacidad=5)
    with pytest.raises(PermissionDenied):
        sala_update(sala=sala, actor=other_user, data={"capacidad": 6})
    sala.refresh_from_db()
    assert sala.capacidad == 5


def test_update_rejects_unknown_fields_and_owner_change_by_owner(user, other_user):
    sala = SalaFactory(owner=user)
    with pytest.raises(ValidationError) as excinfo:
        sala_update(sala=sala, actor=user, data={"owner": other_user, "id": 7})
    assert set(excinfo.value.error_dict) == {"owner", "id"}


def test_staff_can_update_and_reassign(user, other_user, staff_user):
    sala = SalaFactory(owner=user)
    sala_update(sala=sala, actor=staff_user, data={"owner": other_user})
    sala.refresh_from_db()
    assert sala.owner == other_user


def test_delete_by_owner_and_denied_for_stranger(user, other_user):
    sala = SalaFactory(owner=user)
    with pytest.raises(PermissionDenied):
        sala_delete(sala=sala, actor=other_user)
    assert Sala.objects.filter(pk=sala.pk).exists()
    sala_delete(sala=sala, actor=user)
    assert not Sala.objects.filter(pk=sala.pk).exists()


def test_update_of_a_room_deleted_meanwhile_is_404(user):
    from django.http import Http404

    sala = SalaFactory(owner=user)
    Sala.objects.filter(pk=sala.pk).delete()
    with pytest.raises(Http404):
        sala_update(sala=sala, actor=user, data={"capacidad": 3})
