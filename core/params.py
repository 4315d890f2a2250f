"""ninja's Query, validated once per distinct query string: `PureQuery[Schema]` on hot GET routes.

    def sala_list(request, filters: PureQuery[SalaListQuery]) -> HttpResponse: ...

ninja builds request.GET (a QueryDict) and validates it with pydantic on every request:
~25 µs of the room list's ~225 µs in-process, the largest share the list pays beyond
Django's own minimal view. The same query string always validates to the same values,
so the validated parameters are remembered per process, keyed by the raw query string
(core.memo: bounded in bytes, whatever strings clients send). What is refused is not
remembered: each bad query is validated again, its errors in the request's language.

Only for schemas whose validation reads nothing but the query string: no default taken
from the clock, no validator that asks the database or the request. The schema must be
frozen (pydantic's `frozen=True`), since one instance answers every request that sends
that string; `PureQuery[...]` refuses one that is not. The OpenAPI document is ninja's
own: the parameters are described as Query's are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, TypeVar, get_args, get_origin

from django.http import HttpRequest
from ninja.params.models import Param, QueryModel
from pydantic import ConfigDict

from core.memo import BoundedMemo

if TYPE_CHECKING:
    from ninja import NinjaAPI

# (the route's parameter model, the raw query string) -> its validated parameters.
_validated: BoundedMemo[Any] = BoundedMemo(512 * 1024, max_key_bytes=1024, value_bytes=1024)


class _PureQueryModel(QueryModel):
    # ninja's per-route model around the schema's instance: shared too, so frozen as well.
    model_config = ConfigDict(frozen=True)

    @classmethod
    def resolve(cls, request: HttpRequest, api: NinjaAPI, path_params: dict[str, Any]) -> Any:
        key = (cls, request.META.get("QUERY_STRING", ""))  # PEP 3333: absent is empty
        found = _validated.get(key)
        if found is None:
            found = super().resolve(request, api, path_params)  # a refusal raises: not remembered
            _validated.put(key, found)
        return found


class _PureQueryParam(Param):  # type: ignore[misc]  # ninja's Param subclasses FieldInfo, untyped
    _model = _PureQueryModel

    @classmethod
    def _param_source(cls) -> str:
        # "query" in the OpenAPI document and in ninja's own grouping of parameters.
        return "query"


# Field types whose values could still be changed in place on a frozen instance.
_MUTABLE = (list, dict, set)


class _PureQueryShortcut:
    def __getitem__(self, schema: type[Any]) -> Any:
        if not schema.model_config.get("frozen"):
            raise TypeError(
                f"PureQuery[{schema.__name__}]: the schema must be frozen (one instance is shared)"
            )
        for name, field in schema.model_fields.items():
            if _is_mutable(field.annotation):
                raise TypeError(f"PureQuery[{schema.__name__}]: {name} is a mutable container (use a tuple)")
        return Annotated[schema, _PureQueryParam(...)]


def _is_mutable(annotation: Any) -> bool:
    """Whether `annotation` (or any type in it, as in `list[int] | None`) is a list, dict or set."""
    origin = get_origin(annotation) or annotation
    return origin in _MUTABLE or any(_is_mutable(arg) for arg in get_args(annotation))


if TYPE_CHECKING:
    T = TypeVar("T")
    PureQuery = Annotated[T, _PureQueryParam(...)]
else:
    PureQuery = _PureQueryShortcut()
