import logging

from core.logging import MaskFeedTokens


def test_feed_tokens_are_masked_whatever_the_logger_and_arguments():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/ical/7-abc123/sala/X.ics",), None
    )
    assert MaskFeedTokens().filter(record)
    assert record.getMessage() == "Not Found: /ical/***/sala/X.ics"
