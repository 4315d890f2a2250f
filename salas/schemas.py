"""Rooms' JSON shapes: what the API takes (validated by ninja) and answers (salas/selectors.py builds it).

The inputs check types and presence; the rules the model owns (the code's pattern, the
capacity's range, the name's length) are described here from the model's constants and
checked by the services, so their messages are the model's own.
"""

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema
from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictBool, StrictInt, StrictStr
from pydantic.json_schema import JsonDict

from salas.models import CAPACIDAD_MAX, CAPACIDAD_MIN, CODIGO_PATTERN, capacidad_from_text
from salas.selectors import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

# Past this no page or filter can match; numbers must still fit the database's integers.
MAX_PAGE = 1_000_000
_CAPACIDAD: JsonDict = {"minimum": CAPACIDAD_MIN, "maximum": CAPACIDAD_MAX}
# An int (never a bool), or its digits as text, as the API has always taken it.
Capacidad = Annotated[StrictInt, BeforeValidator(capacidad_from_text)]


class OwnerOut(Schema):
    id: int
    username: str


class SalaOut(Schema):
    id: int
    nombre: str
    codigo: str
    capacidad: int
    owner: OwnerOut
    created_at: datetime


class SalaPageOut(Schema):
    salas: list[SalaOut]
    count: int
    page: int
    pages: int


class SalaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nombre: StrictStr = Field(json_schema_extra={"minLength": 1, "maxLength": 100})
    codigo: StrictStr = Field(
        description="Compared case-insensitively; unique.", json_schema_extra={"pattern": CODIGO_PATTERN}
    )
    capacidad: Capacidad = Field(json_schema_extra=_CAPACIDAD)


class SalaPatchIn(BaseModel):
    """Any of the fields, at least one; re-assigning the owner is an admin task, not an API one."""

    model_config = ConfigDict(extra="forbid")

    nombre: StrictStr | None = Field(None, json_schema_extra={"minLength": 1, "maxLength": 100})
    codigo: StrictStr | None = Field(None, json_schema_extra={"pattern": CODIGO_PATTERN})
    capacidad: Capacidad | None = Field(None, json_schema_extra=_CAPACIDAD)
    privada: StrictBool | None = Field(None, description="Its bookings show as «Ocupado» to others.")


class PageQuery(BaseModel):
    """A page of rooms, those of at least `min_capacidad` places (bookings' free rooms use it too)."""

    # Frozen: the room list's validated query is shared between requests (core.params.PureQuery).
    model_config = ConfigDict(frozen=True)

    min_capacidad: int | None = Field(None, ge=0, le=MAX_PAGE)
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class SalaListQuery(PageQuery):
    q: str | None = Field(None, max_length=100, description="Matches name or code.")
