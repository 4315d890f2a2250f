"""Log filters for the nodes."""

from __future__ import annotations

import logging


class SuspiciousRequestAsWarning(logging.Filter):
    """Django's refusals of hostile input (django.security.*) as one WARNING line, no traceback.

    Django answers them itself (400); a client can send one per request, so a
    traceback at ERROR each time would flood the node's log and bury real errors.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info, record.exc_text = None, None
        return True
