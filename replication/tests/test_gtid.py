import pytest

from replication.gtid import covers
from replication.sql import Flavor

MARIADB = Flavor("mariadb", (10, 11, 19))
MYSQL = Flavor("mysql", (8, 4, 3))
UUID = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
OTHER = "4a6d1b2c-0000-11e1-9e33-c80aa9429562"


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
def test_mariadb_positions(position, wanted, expected):
    assert covers(MARIADB, position, wanted) is expected


@pytest.mark.parametrize(
    ("position", "wanted", "expected"),
    [
        (f"{UUID}:1-120", f"{UUID}:1-120", True),
        (f"{UUID}:1-120", f"{UUID}:1-121", False),
        (f"{UUID}:1-50:52-120", f"{UUID}:1-120", False),
        (f"{UUID}:1-50:52-120", f"{UUID}:52-60", True),
        (f"{UUID}:1-120,{OTHER}:1-3", f"{OTHER}:2", True),
        (f"{UUID}:1-120", f"{OTHER}:1", False),
        (f"{UUID.upper()}:1-5", f"{UUID}:1-5", True),
        (f"{UUID}:tag:1-5", f"{UUID}:1-5", False),
    ],
)
def test_mysql_sets(position, wanted, expected):
    assert covers(MYSQL, position, wanted) is expected
