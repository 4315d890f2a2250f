"""The token cached reads are filed under: a remembered state only when it holds the client's own write."""

from __future__ import annotations

import time

import pytest

from replication import remembered, snapshot, state
from replication.sql import Flavor
from replication.state import REPLICA

MARIADB = Flavor("mariadb", (10, 11, 0))


def server() -> str:
    return remembered._target_server(REPLICA)  # noqa: SLF001 - the state must name the server asked


@pytest.fixture
def states(monkeypatch):
    """The replica's remembered state holds 0-1-5; asking the server again finds 0-1-9."""
    remembered.forget_recent_states()
    asked: list[str] = []

    def read_state(alias: str) -> remembered.RecentState:
        asked.append(alias)
        return remembered.RecentState(
            server(),
            "fresh",
            "0-1-9",
            MARIADB,
            time.monotonic(),
        )

    monkeypatch.setattr(remembered, "_read_state", read_state)
    monkeypatch.setattr(snapshot, "current_token", lambda alias: "present")
    remembered._recent[REPLICA] = remembered.RecentState(  # noqa: SLF001
        server(),
        "remembered",
        "0-1-5",
        MARIADB,
        time.monotonic(),
    )
    yield asked
    remembered.forget_recent_states()


def token_for(**route: object) -> str | None:
    with state.routed(state.ReadRoute(REPLICA, "test", **route)):  # type: ignore[arg-type]
        return remembered.request_token(REPLICA)


def test_a_reader_without_writes_gets_the_remembered_state(states):
    assert token_for() == "remembered"
    assert states == []


def test_a_remembered_state_holding_the_clients_write_is_used(states):
    assert token_for(written="0-1-3") == "remembered"
    assert states == []


def test_a_remembered_state_lacking_the_clients_write_is_read_again(states):
    assert token_for(written="0-1-7") == "fresh"
    assert states == [REPLICA]


def test_after_its_own_write_a_request_reads_the_present_state(states):
    assert token_for(wrote=True) == "present"


def test_a_state_older_than_the_recheck_is_read_again(states, settings):
    settings.STATE_RECHECK_SECONDS = 0
    assert token_for() == "fresh"
