"""Property-based: schemathesis sends the API what its own schema allows; no 500, no answer outside the schema.

Bounded: a few examples per operation (API_EXAMPLES, default 6), each request with a timeout,
one signed-in user per operation (POST /auth/logout ends a session). Every operation is
tried; the failures of all are reported together.
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.cluster.harness import NGINX, csrf, signed_up_user

EXAMPLES = int(os.environ.get("API_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def exercise(operation) -> None:
    """EXAMPLES generated cases of one operation, as one fresh signed-in user."""
    session, _name = signed_up_user()
    headers = {"X-CSRFToken": csrf(session), "Accept": "application/json"}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        case.call_and_validate(base_url=NGINX, session=session, headers=headers, checks=CHECKS, timeout=15)

    check()


def test_the_api_keeps_to_its_schema():
    loaded = schemathesis.openapi.from_url(f"{NGINX}/api/openapi.json")
    failures: dict[str, str] = {}
    for result in loaded.get_all_operations():
        operation = result.ok()
        try:
            exercise(operation)
        # schemathesis reports its findings as a BaseExceptionGroup.
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every operation is tried; all are reported
            failures[operation.label] = f"{type(exc).__name__}: {exc}"[:3000]
    assert not failures, "\n\n".join(f"{label}: {text}" for label, text in failures.items())
