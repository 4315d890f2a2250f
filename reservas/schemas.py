"""Bookings' JSON shapes (reservas/api.py and selectors.py build them), as typed schemas for the OpenAPI description."""

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

from core.schemas import ErrorOut
from reservas.recurrence import MAX_OCCURRENCES
from salas.schemas import OwnerOut
from salas.selectors import MAX_PAGE_SIZE


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


class RepeticionIn(Schema):
    frecuencia: Literal["diaria", "semanal"]
    intervalo: int = Field(1, ge=1, le=52)
    veces: int | None = Field(None, ge=1, le=MAX_OCCURRENCES, description="This or `hasta`.")
    hasta: date | None = Field(None, description="This or `veces`.")


class ReservaIn(Schema):
    sala: str = Field(description="The room's code.")
    titulo: str
    inicio: datetime
    fin: datetime
    asistentes: int = Field(ge=1)
    repeticion: RepeticionIn | None = None
    omitir_conflictos: bool = Field(False, description="For a series: book the free occurrences only.")
    privada: bool = Field(False, description="Others see it as «Ocupado», without its booker.")


class WindowQuery(Schema):
    desde: datetime | date | None = None
    hasta: datetime | date | None = None


class MiasQuery(WindowQuery):
    pasadas: Literal["0", "1"] = Field(
        "0", description="1: the ended bookings, newest first (no desde/hasta)."
    )
    page_size: int = Field(100, ge=1, le=MAX_PAGE_SIZE)
    cursor: str | None = Field(None, description="`next_cursor` of the previous page.")


class DisponiblesQuery(Schema):
    inicio: datetime
    fin: datetime
    min_capacidad: int | None = Field(None, ge=0)
    page: int = Field(1, ge=1)
    page_size: int = Field(100, ge=1, le=MAX_PAGE_SIZE)


class FeedQuery(Schema):
    sala: str | None = Field(None, description="A room's code: that room's feed instead of yours.")


class CancelQuery(Schema):
    serie: Literal["0", "1"] = Field("0", description="1: also every later occurrence of its series.")
