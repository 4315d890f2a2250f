"""Login throttling keys for django-axes."""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest

from accounts.identifiers import user_by_identifier
from accounts.models import User
from replication import use_primary

# AccessAttempt.username holds 255 characters.
MAX_KEY_LENGTH = 150


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """One failure budget per account, whether it is named by username or by email.

    The name is resolved exactly as the sign-in backend resolves it
    (accounts.identifiers), so both names of an account share one budget. An
    unknown name keeps a budget of its own, so a lockout looks the same
    whether the account exists or not.
    """
    raw = (credentials or {}).get("username") or request.POST.get("username") or ""
    identifier = str(raw).strip().lower()
    if not identifier:
        return ""
    with use_primary("lockout"):
        user = user_by_identifier(User.objects.only("username"), identifier)
    if user is not None:
        return user.username.lower()
    if len(identifier) > MAX_KEY_LENGTH:
        return "sha256:" + hashlib.sha256(identifier.encode()).hexdigest()
    return identifier
