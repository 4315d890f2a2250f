"""Login throttling keys for django-axes."""

from __future__ import annotations

import hashlib
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
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


class AddressAwareHandler(AxesDatabaseHandler):
    """django-axes' database handler plus a lockout per client address alone.

    Axes counts failures per (account, address), so one address trying one
    password on many accounts (or random names) never locks. Here the failures
    of every account from one address in the cool-off window are added up too,
    against a higher limit (AXES_ADDRESS_FAILURE_LIMIT): past it the address is
    refused for every account, with the same 429 as the per-account lockout.
    Not an axes lockout parameter, because a successful sign-in resets every
    parameter's attempts and would wipe the address's count with it.
    """

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        return (
            super().is_locked(request, credentials)
            or address_failures(request) >= settings.AXES_ADDRESS_FAILURE_LIMIT
        )

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        # Axes flags (for AxesMiddleware's 429) only its own lockouts; flag the address's too.
        if (
            request is not None
            and not getattr(request, "axes_locked_out", False)
            and address_failures(request) >= settings.AXES_ADDRESS_FAILURE_LIMIT
        ):
            request.axes_locked_out = True
            request.axes_credentials = credentials


def address_failures(request: HttpRequest) -> int:
    """Failed sign-ins from the request's address within the cool-off window, whatever the account."""
    recent = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address,  # type: ignore[attr-defined] # set by axes first
        attempt_time__gte=get_cool_off_threshold(request),
    )
    return recent.aggregate(n=Sum("failures_since_start"))["n"] or 0
