import pytest
from django.test import RequestFactory
from ninja import NinjaAPI, Router
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.params import PureQuery, _PureQueryModel, _validated


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)

    page: int = Field(1, ge=1)
    q: str | None = None


router = Router()
seen: list[Frozen] = []


@router.get("/things")
def things(request, filters: PureQuery[Frozen]) -> dict:
    seen.append(filters)
    return {"page": filters.page, "q": filters.q}


api = NinjaAPI(urls_namespace="test-params")
api.add_router("", router)
view = next(p.callback for p in api.urls[0] if str(p.pattern) == "things")


def get(query: str):
    # A real Django request, as gunicorn's environ makes it (QUERY_STRING included).
    return view(RequestFactory().get(f"/things?{query}" if query else "/things"))


@pytest.fixture(autouse=True)
def _fresh():
    _validated.clear()
    seen.clear()


def test_the_same_query_string_is_validated_once_and_answers_alike():
    first, second = get("page=2&q=a"), get("page=2&q=a")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content == b'{"page": 2, "q": "a"}'
    # One validated instance answered both: the second request did not validate again.
    assert seen[0] is seen[1]
    assert len(_validated) == 1


def test_each_query_string_has_its_own_values():
    assert get("page=2").content == b'{"page": 2, "q": null}'
    assert get("page=3").content == b'{"page": 3, "q": null}'
    assert get("").content == b'{"page": 1, "q": null}'
    assert len(_validated) == 3


def test_a_refused_query_is_refused_every_time_and_not_remembered():
    for _ in range(2):
        assert get("page=0").status_code == 422  # ninja's own status: this test API has no contract
    assert len(_validated) == 0
    assert seen == []


def test_the_remembered_values_are_keyed_by_route_as_well():
    model = router.path_operations["/things"].operations[0].models[0]
    assert issubclass(model, _PureQueryModel)
    request = RequestFactory().get("/things?page=4")
    assert model.resolve(request, api, {}) is model.resolve(request, api, {})
    other = type("OtherParams", (model,), {})
    assert other.resolve(request, api, {}) is not model.resolve(request, api, {})


def test_a_schema_that_is_not_frozen_is_refused():
    class Mutable(BaseModel):
        page: int = 1

    with pytest.raises(TypeError, match="frozen"):
        PureQuery[Mutable]


def test_a_schema_with_a_mutable_container_is_refused():
    class Listy(BaseModel):
        model_config = ConfigDict(frozen=True)

        tags: list[str] | None = None

    with pytest.raises(TypeError, match="mutable container"):
        PureQuery[Listy]


def test_the_remembered_values_cannot_be_changed_in_place():
    get("page=6")
    with pytest.raises(ValidationError):
        seen[0].page = 7  # type: ignore[misc]
    remembered = next(iter(_validated._entries.values()))[1]  # noqa: SLF001 - the memo's one entry
    with pytest.raises(ValidationError):
        remembered.filters = Frozen(page=8)


def test_a_long_query_string_is_answered_but_not_remembered():
    long_q = "x" * 1100
    assert get(f"q={long_q}").status_code == 200
    assert get(f"q={long_q}").status_code == 200
    assert len(_validated) == 0
    assert seen[0] is not seen[1] and seen[0] == seen[1]
