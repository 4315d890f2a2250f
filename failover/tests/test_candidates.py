import pytest

from failover.candidates import Candidate, NoSafeCandidate, choose
from replication import gtid, sql

MARIADB = sql.detect_flavor("10.11.19-MariaDB-0+deb12u1")


def replica(name: str, position: str, flavor=MARIADB, **overrides) -> Candidate:
    fields = {
        "reachable": True,
        "replicating_from_primary": True,
        "received": gtid.parse(flavor, position),
        "applied": gtid.parse(flavor, position),
        "applied_relay_log": True,
        **overrides,
    }
    return Candidate(name, **fields)


def test_the_most_advanced_replica_is_chosen():
    choice = choose([replica("db2", "0-1-100"), replica("db3", "0-1-104")])
    assert choice.chosen.name == "db3"
    assert "most advanced" in choice.reason


def test_equal_positions_go_to_the_first_in_configured_order():
    assert choose([replica("db2", "0-1-100"), replica("db3", "0-1-100")]).chosen.name == "db2"


def test_a_broken_replica_is_never_chosen_even_when_ahead():
    broken = replica("db3", "0-1-200", sql_error="Duplicate entry 'X' for key 'codigo'")
    assert choose([replica("db2", "0-1-100"), broken]).chosen.name == "db2"


def test_no_safe_replica_refuses_with_the_reasons():
    with pytest.raises(NoSafeCandidate, match=r"db2: replication broken.*db3: not a replica"):
        choose(
            [
                replica("db2", "0-1-1", sql_error="error 1062"),
                replica("db3", "0-1-1", replicating_from_primary=False),
            ]
        )


def test_an_unreachable_replica_refuses_unless_forced():
    lost = Candidate("db3", reachable=False, error="2002")
    with pytest.raises(NoSafeCandidate, match="db3 cannot be reached"):
        choose([replica("db2", "0-1-100"), lost])
    assert choose([replica("db2", "0-1-100"), lost], force=True).chosen.name == "db2"


def test_diverged_replicas_refuse():
    with pytest.raises(NoSafeCandidate, match="diverged"):
        choose([replica("db2", "0-1-10,1-2-5"), replica("db3", "0-1-12")])


def test_a_relay_log_not_applied_in_time_is_unsafe():
    slow = replica("db3", "0-1-300", applied_relay_log=False)
    assert choose([replica("db2", "0-1-100"), slow]).chosen.name == "db2"


def test_the_asked_for_replica_must_hold_everything():
    pool = [replica("db2", "0-1-100"), replica("db3", "0-1-104")]
    with pytest.raises(NoSafeCandidate, match="db2 lacks transactions db3 has"):
        choose(pool, preferred="db2")
    assert choose(pool, preferred="db3").chosen.name == "db3"
    with pytest.raises(NoSafeCandidate, match="not a replica"):
        choose(pool, preferred="db9")
