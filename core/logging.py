"""Log filters for the nodes."""

from __future__ import annotations

import logging
import re


class SuspiciousRequestAsWarning(logging.Filter):
    """Django's refusals of hostile input (django.security.*) as one WARNING line, no traceback.

    Django answers them itself (400); a client can send one per request, so a
    traceback at ERROR each time would flood the node's log and bury real errors.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info, record.exc_text = None, None
        return True


# A calendar feed URL's token is a password for that feed (reservas.feeds).
_FEED_TOKEN = re.compile(r"/ical/[^/\s\"']+")


class MaskFeedTokens(logging.Filter):
    """Every line through the handler shows /ical/***/... instead of a feed's token.

    On the handler, not a logger: whichever logger writes the path (django.request's
    "Not Found: ...", a traceback's message), the line is masked before it is written.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/ical/" in message:
            record.msg, record.args = mask_feed_tokens(message), None
        return True


def mask_feed_tokens(text: str) -> str:
    """The text with every /ical/<token> written /ical/*** (also used by gunicorn's access log)."""
    return _FEED_TOKEN.sub("/ical/***", text)
