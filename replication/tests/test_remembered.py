"""The token cached reads are filed under: a remembered state only when it holds the client's own write."""

from __future__ import annotations

import threading
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


@pytest.fixture
def slow_reads(monkeypatch):
    """Each read of the state waits for `release`; they find 0-1-5, then 0-1-9."""
    remembered.forget_recent_states()
    asked: list[str] = []
    release = threading.Event()

    def read_state(alias: str) -> remembered.RecentState:
        asked.append(alias)
        release.wait(10)
        position = "0-1-5" if len(asked) == 1 else "0-1-9"
        return remembered.RecentState(server(), f"read {len(asked)}", position, MARIADB, time.monotonic())

    monkeypatch.setattr(remembered, "_read_state", read_state)
    yield asked, release
    release.set()
    remembered.forget_recent_states()


def _in_threads(count: int, call, asked: list[str], release: threading.Event) -> list:
    """`call` in a first thread until it reads the state, then in `count` more; the read then ends."""
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(call())) for _ in range(count + 1)]
    threads[0].start()
    deadline = time.monotonic() + 10
    while not asked and time.monotonic() < deadline:
        time.sleep(0.001)  # polling for the first thread to be inside its read
    for thread in threads[1:]:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(10)
    return results


def test_threads_finding_the_state_stale_together_share_one_read(slow_reads):
    asked, release = slow_reads
    states = _in_threads(3, lambda: remembered.recent_state(REPLICA), asked, release)
    assert asked == [REPLICA]
    assert [known.token for known in states] == ["read 1"] * 4


def test_a_waiting_thread_whose_write_the_shared_read_lacks_reads_again(slow_reads):
    asked, release = slow_reads
    # The first read finds 0-1-5, which lacks both threads' write (0-1-7): the first thread
    # gets no state (its reads then wait for the replica or go to the primary); the one
    # that waited for it reads again, and that read, 0-1-9, holds the write.
    results = _in_threads(1, lambda: remembered.recent_state(REPLICA, "0-1-7"), asked, release)
    assert asked == [REPLICA, REPLICA]
    assert {known.token if known else None for known in results} == {None, "read 2"}
