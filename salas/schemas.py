"""Rooms' JSON shapes (salas/selectors.py builds them), as typed schemas for the OpenAPI description."""

from datetime import datetime

from ninja import Field, Schema

from salas.models import CAPACIDAD_MAX, CAPACIDAD_MIN
from salas.selectors import MAX_PAGE_SIZE

CODIGO_PATTERN = r"^[A-Za-z0-9-]{3,20}$"


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


class SalaIn(Schema):
    nombre: str = Field(min_length=1, max_length=100)
    codigo: str = Field(pattern=CODIGO_PATTERN, description="Compared case-insensitively; unique.")
    capacidad: int = Field(ge=CAPACIDAD_MIN, le=CAPACIDAD_MAX)


class SalaPatchIn(Schema):
    """Any of the fields, at least one."""

    nombre: str | None = Field(None, min_length=1, max_length=100)
    codigo: str | None = Field(None, pattern=CODIGO_PATTERN)
    capacidad: int | None = Field(None, ge=CAPACIDAD_MIN, le=CAPACIDAD_MAX)
    privada: bool | None = Field(None, description="Its bookings show as «Ocupado» to others.")


class SalaListQuery(Schema):
    q: str | None = Field(None, max_length=100, description="Matches name or code.")
    min_capacidad: int | None = Field(None, ge=0)
    page: int = Field(1, ge=1)
    page_size: int = Field(100, ge=1, le=MAX_PAGE_SIZE)
