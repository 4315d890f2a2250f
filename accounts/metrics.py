"""Accounts' figures for GET /metrics: sign-ins refused by the lockout (django-axes)."""

from typing import Any

from axes.signals import user_locked_out
from django.dispatch import receiver
from prometheus_client import Counter

LOCKED_OUT = Counter(
    "salas_login_locked_out",
    "Sign-in attempts refused because the account and address were locked out (django-axes).",
)


@receiver(user_locked_out)
def count_lockout(**kwargs: Any) -> None:
    LOCKED_OUT.inc()
