"""The compose suite: the system as docker-compose.yml runs it, on a real Docker engine.

Run by `make compose-test` (which brings the stack up with the databases published on
127.0.0.1:3308-3310, the local cluster's ports, and sets SALAS_COMPOSE), never by the
ordinary `make test`: both use the same ports. The cluster tests' harness
(tests/cluster/harness.py) talks to the containers unchanged.
"""

from __future__ import annotations

import json
import os

import pytest

ENABLED = "SALAS_COMPOSE" in os.environ


def pytest_collection_modifyitems(config, items):
    mine = [item for item in items if "tests/compose" in str(item.fspath)]
    for item in mine:
        item.add_marker(pytest.mark.compose)
    if not ENABLED and mine:
        # Deselected, not skipped: the ordinary run has a local cluster on these ports.
        config.hook.pytest_deselected(items=mine)
        items[:] = [item for item in items if item not in mine]


@pytest.fixture(scope="session")
def compose() -> list[str]:
    """The docker-compose command line (project, files) the stack was started with."""
    return json.loads(os.environ["SALAS_COMPOSE"])
