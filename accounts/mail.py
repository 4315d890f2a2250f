"""Whether mail can be sent now, asked before a password reset promises a mail."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import get_connection


class MailUnavailable(Exception):
    """No mail server is configured, or the configured one does not answer."""


def mail_server_check() -> None:
    """Open (and close) a connection to the mail server; MailUnavailable if that fails.

    A no-op for backends that need no server (the console backend with DEBUG).
    """
    if not settings.EMAIL_URL:
        raise MailUnavailable("EMAIL_URL is not set")
    try:
        with get_connection(fail_silently=False):
            pass
    except (OSError, smtplib.SMTPException) as exc:
        raise MailUnavailable(f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}: {exc}") from exc
