"""GET /api/status on the JSON API (its Router; salas_project/api.py mounts it)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router

from core.api import ERRORS
from replication import views

router = Router(tags=["status"])


@router.get(
    "/api/status",
    response={**ERRORS, 200: dict[str, Any], 503: dict[str, Any]},
    summary="This node's health",
)
def status(request: HttpRequest) -> HttpResponse:
    return views.status(request)
