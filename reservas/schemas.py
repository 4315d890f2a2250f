"""Bookings' JSON shapes: what the API takes (validated by ninja) and answers (reservas/api.py builds it).

Times are read by reservas.params.parse_datetime (the pages' rule too: ISO 8601, any offset,
a naive time in the configured zone, years 1970-2999); a series' `repeticion` by
reservas.recurrence, which the services share.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictBool, StrictInt, StrictStr, WithJsonSchema
from pydantic.json_schema import JsonDict

from core.api import contract_error
from core.schemas import ErrorOut
from reservas import params
from reservas.recurrence import MAX_OCCURRENCES
from salas.schemas import OwnerOut, PageQuery


def _aware_datetime(value: Any) -> datetime:
    try:
        return params.parse_datetime("", value)
    except ValidationError as exc:
        raise contract_error(exc.messages[0]) from None


# An aware datetime, read as everywhere else in the app.
AwareDatetime = Annotated[datetime, BeforeValidator(_aware_datetime)]


def _zero_or_one(value: Any) -> str:
    if value not in ("0", "1"):
        raise contract_error(_("Debe ser 0 o 1."))
    return value


# A switch in a query string.
ZeroOrOne = Annotated[
    str, BeforeValidator(_zero_or_one), WithJsonSchema({"type": "string", "enum": ["0", "1"]})
]


class SalaRefOut(Schema):
    codigo: str
    nombre: str


class ReservaOut(Schema):
    id: int
    sala: SalaRefOut
    usuario: OwnerOut | None = Field(description="None for someone else's private booking.")
    titulo: str
    inicio: datetime
    fin: datetime
    asistentes: int
    estado: Literal["confirmada", "cancelada"]
    privada: bool
    serie: str | None
    created_at: datetime


class ReservasOut(Schema):
    reservas: list[ReservaOut]


class ReservasPageOut(ReservasOut):
    next: str | None = Field(description="URL of the following page; null on the last.")
    next_cursor: str | None = Field(description="The following page's position, for `cursor`.")


class SlotOut(Schema):
    id: int
    inicio: datetime
    fin: datetime


class OcurrenciaOut(Schema):
    inicio: datetime
    fin: datetime
    conflictos: list[SlotOut]


class SerieOut(Schema):
    creadas: list[ReservaOut]
    omitidas: list[OcurrenciaOut]


class ConflictOut(ErrorOut):
    """A 409: the error contract plus the bookings in the way (and each occurrence's, for a series)."""

    conflictos: list[SlotOut] | None = None
    ocurrencias: list[OcurrenciaOut] | None = None


class IcalOut(Schema):
    ical: str


class RepeticionIn(BaseModel):
    frecuencia: Literal["diaria", "semanal"]
    intervalo: int = Field(1, ge=1, le=52)
    veces: int | None = Field(None, ge=1, le=MAX_OCCURRENCES, description="This or `hasta`.")
    hasta: date | None = Field(None, description="This or `veces`.")


# Read by reservas.recurrence.repeticion_from_data (its messages); described as RepeticionIn.
Repeticion = Annotated[
    Any,
    WithJsonSchema({"anyOf": [RepeticionIn.model_json_schema(), {"type": "null"}]}),
]


class ReservaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sala: StrictStr = Field(description="The room's code.")
    titulo: StrictStr
    inicio: AwareDatetime
    fin: AwareDatetime
    asistentes: StrictInt = Field(json_schema_extra={"minimum": 1})
    repeticion: Repeticion = None
    omitir_conflictos: StrictBool = Field(False, description="For a series: book the free occurrences only.")
    privada: StrictBool = Field(False, description="Others see it as «Ocupado», without its booker.")


# reservas.params.window reads them: a date or an ISO datetime, at most 62 days apart.
_DAY_OR_TIME: JsonDict = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]
}


class WindowQuery(BaseModel):
    desde: str | None = Field(None, json_schema_extra=_DAY_OR_TIME)
    hasta: str | None = Field(None, json_schema_extra=_DAY_OR_TIME)


class MiasQuery(WindowQuery):
    pasadas: ZeroOrOne = Field("0", description="1: the ended bookings, newest first (no desde/hasta).")
    page_size: int = Field(params.DEFAULT_PAGE_SIZE, ge=1, le=params.MAX_PAGE_SIZE)
    cursor: str | None = Field(None, description="`next_cursor` of the previous page.")


class DisponiblesQuery(PageQuery):
    inicio: AwareDatetime
    fin: AwareDatetime


class FeedQuery(BaseModel):
    sala: str | None = Field(None, description="A room's code: that room's feed instead of yours.")


class CancelQuery(BaseModel):
    serie: ZeroOrOne = Field("0", description="1: also every later occurrence of its series.")
