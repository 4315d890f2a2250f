"""Login throttling keys for django-axes."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest

from accounts.models import User

# AccessAttempt.username holds 255 characters; a longer name would fail the insert.
MAX_KEY_LENGTH = 150


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """One failure budget per account, whether it is named by username or by email.

    An unknown name keeps its own (normalised) budget, so a lockout looks the
    same whether the account exists or not.
    """
    raw = (credentials or {}).get("username") or request.POST.get("username") or ""
    identifier = str(raw).strip().lower()[:MAX_KEY_LENGTH]
    if not identifier:
        return ""
    username = (
        User.objects.using("default")
        .filter(Q(username__iexact=identifier) | Q(email__iexact=identifier))
        .order_by("id")
        .values_list("username", flat=True)
        .first()
    )
    return (username or identifier).lower()
