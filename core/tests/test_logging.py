import logging
import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config

from core.logging import MaskFeedTokens


def test_feed_tokens_are_masked_whatever_the_logger_and_arguments():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/ical/7-abc123/sala/X.ics",), None
    )
    assert MaskFeedTokens().filter(record)
    assert record.getMessage() == "Not Found: /ical/***/sala/X.ics"


def test_gunicorns_access_log_masks_feed_tokens_even_percent_encoded():
    conf = runpy.run_path(str(Path(__file__).resolve().parents[2] / "cluster" / "gunicorn.conf.py"))
    logger = conf["logger_class"](Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/%69cal/7-abcdef/mias.ics",
        "PATH_INFO": "/ical/7-abcdef/mias.ics",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    atoms = logger.atoms(response, SimpleNamespace(headers=[]), environ, timedelta(seconds=0.1))
    assert atoms["r"] == "GET /ical/***/mias.ics HTTP/1.1" and atoms["U"] == "/ical/***/mias.ics"
