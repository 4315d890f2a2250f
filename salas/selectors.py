"""Reads on rooms. The router decides which database answers; these never do."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from replication import StateCache
from salas.models import Sala

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500

# The fields a room shows in lists and in the API, fetched as plain values: the
# read path is the hottest code in the system and model instances cost ~2x.
_LIST_FIELDS = ("id", "nombre", "codigo", "capacidad", "owner_id", "owner__username", "created_at")


@dataclass(frozen=True)
class SalaPage:
    items: list[dict[str, Any]]
    count: int
    page: int
    pages: int
    page_size: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def sala_queryset(*, q: str = "", min_capacidad: int | None = None) -> QuerySet[Sala]:
    queryset = Sala.objects.all()
    if q:
        queryset = queryset.filter(Q(nombre__icontains=q) | Q(codigo__icontains=q))
    if min_capacidad is not None:
        queryset = queryset.filter(capacidad__gte=min_capacidad)
    return queryset


def sala_page(
    *, q: str = "", min_capacidad: int | None = None, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
) -> SalaPage:
    """One page of rooms, newest first: two queries whatever the page size."""
    return sala_page_of(sala_queryset(q=q, min_capacidad=min_capacidad), page=page, page_size=page_size)


# The dashboard's pages, reused while the database this request reads is unchanged.
_pages: StateCache[SalaPage] = StateCache("sala-page")


def sala_page_cached(
    *, q: str = "", min_capacidad: int | None = None, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
) -> SalaPage:
    """sala_page(), from Django's cache while the database this request reads is unchanged."""
    return _pages.get_or_compute(
        (q, min_capacidad, page, page_size),
        lambda: sala_page(q=q, min_capacidad=min_capacidad, page=page, page_size=page_size),
    )


def sala_page_of(
    queryset: QuerySet[Sala], *, page: int, page_size: int, count: int | None = None
) -> SalaPage:
    """One page of the rooms `queryset` selects, in the list's shape (bookings use it for free rooms).

    `count`: how many it selects, when the caller knows it without counting them.
    """
    if count is None:
        count = queryset.count()
    pages = max(1, math.ceil(count / page_size))
    offset = (page - 1) * page_size
    rows = list(queryset.values(*_LIST_FIELDS)[offset : offset + page_size]) if offset < count else []
    return SalaPage(
        items=[_row_to_dict(row) for row in rows], count=count, page=page, pages=pages, page_size=page_size
    )


def sala_get(*, codigo: str) -> Sala:
    """The room with this access code, compared case-insensitively, or Http404."""
    sala = Sala.objects.select_related("owner").filter(codigo__iexact=codigo).first()
    if sala is None:
        raise Http404(codigo)
    return sala


def sala_to_dict(sala: Sala) -> dict[str, Any]:
    return {
        "id": sala.pk,
        "nombre": sala.nombre,
        "codigo": sala.codigo,
        "capacidad": sala.capacidad,
        "owner": {"id": sala.owner_id, "username": sala.owner.username},
        "created_at": sala.created_at,
    }


def _row_to_dict(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "nombre": row["nombre"],
        "codigo": row["codigo"],
        "capacidad": row["capacidad"],
        "owner": {"id": row["owner_id"], "username": row["owner__username"]},
        "created_at": row["created_at"],
    }
