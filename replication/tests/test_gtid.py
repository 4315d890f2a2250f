import pytest

from replication import gtid, sql

MARIADB = sql.detect_flavor("10.11.19-MariaDB-0+deb12u1")


def test_mariadb_positions_compare_by_sequence_within_each_domain():
    ahead = gtid.parse(MARIADB, "0-1-120")
    # After a failover db2 writes domain 0 on: its seq continues the old primary's.
    promoted = gtid.parse(MARIADB, "0-2-125")
    assert promoted.holds(ahead) and not ahead.holds(promoted)
    assert gtid.parse(MARIADB, "0-1-120").holds(gtid.parse(MARIADB, "0-1-120"))


def test_mariadb_positions_need_every_domain():
    two = gtid.parse(MARIADB, "0-1-10,1-3-7")
    one = gtid.parse(MARIADB, "0-1-50")
    assert not one.holds(two) and not two.holds(one)
    assert gtid.parse(MARIADB, " 0-1-10,\n1-3-8").holds(two)
    assert gtid.parse(MARIADB, "").holds(gtid.parse(MARIADB, ""))
    assert not gtid.parse(MARIADB, "").holds(one)


def test_mariadb_missing_counts_the_transactions_beyond_a_position():
    old_primary = gtid.parse(MARIADB, "0-1-503")
    promotion_point = gtid.parse(MARIADB, "0-1-500")
    assert old_primary.missing_from(promotion_point) == 3
    assert promotion_point.missing_from(old_primary) == 0
    assert gtid.parse(MARIADB, "0-1-5,1-1-2").missing_from(gtid.parse(MARIADB, "0-1-5")) == 2


def test_a_former_primary_lacks_nothing_once_its_last_gtid_reached_the_primary():
    # db2 replicated db1's 0-1-8420 after a switchover back: db1 holds it.
    assert gtid.maria_lacking("0-1-8420", "0-2-8112,0-1-8500") == 0
    # db1 wrote 0-1-503 and 0-1-502 unacknowledged; db2 was promoted at 0-1-500.
    assert gtid.maria_lacking("0-1-503", "0-1-500,0-2-640") == 3
    # Same sequence numbers, other server: the new primary never had them.
    assert gtid.maria_lacking("0-1-640", "0-1-500,0-2-640") == 140
    assert gtid.maria_lacking("", "0-1-5") == 0


# What read-your-writes asks (replication.remembered.recent_state).


@pytest.mark.parametrize(
    ("position", "wanted", "expected"),
    [
        ("0-1-115", "0-1-115", True),
        ("0-1-116", "0-1-115", True),
        ("0-1-114", "0-1-115", False),
        # The server id does not matter within a domain (a promoted primary continues it).
        ("0-2-120", "0-1-115", True),
        ("0-1-115,1-2-7", "1-2-7", True),
        ("0-1-115", "0-1-115,1-2-7", False),
        ("", "0-1-1", False),
        ("0-1-5", "", True),
        ("garbage", "0-1-1", False),
        ("0-1-5", "0-1-x", False),
    ],
)
def test_covers_mariadb_positions(position, wanted, expected):
    assert gtid.covers(MARIADB, position, wanted) is expected
