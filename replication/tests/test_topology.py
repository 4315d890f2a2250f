import json

from replication import topology


def test_no_record_means_the_first_configured_server(settings, tmp_path):
    settings.TOPOLOGY_FILE = str(tmp_path / "topology.json")
    settings.DATABASE_SERVERS = {"db1": "127.0.0.1:3308", "db2": "127.0.0.1:3309", "db3": "127.0.0.1:3310"}
    assert topology.current().primary == "db1"
    assert topology.primary_address() == topology.Address("db1", "127.0.0.1", 3308)


def test_a_recorded_change_is_seen_and_nodes_read_their_own_server(settings, tmp_path):
    settings.TOPOLOGY_FILE = str(tmp_path / "topology.json")
    settings.DATABASE_SERVERS = {"db1": "h1:3306", "db2": "h2:3306", "db3": "h3:3306"}
    settings.NODE_DATABASE = "db2"
    with topology.changing() as current:
        topology.record(current, "db2", {"kind": "failover", "from": "db1", "to": "db2", "position": "0-1-9"})
    assert json.loads((tmp_path / "topology.json").read_text())["epoch"] == 1
    assert topology.current().primary == "db2" and topology.primary_address().host == "h2"
    # Its own server is the primary now: it reads the primary, db3 only while that is down.
    assert topology.read_preference() == "primary" and topology.read_address().name == "db3"
    settings.NODE_DATABASE = "db1"
    assert topology.read_preference() == "replica" and topology.read_address().name == "db1"
    assert topology.current().last_change["kind"] == "failover"


def test_connection_targets_follow_each_record_and_each_settings_change(settings, tmp_path):
    settings.TOPOLOGY_FILE = str(tmp_path / "topology.json")
    settings.DATABASE_SERVERS = {"db1": "h1:3306", "db2": "h2:3306", "db3": "h3:3306"}
    settings.NODE_DATABASE = "db3"
    assert topology.targets() == topology.Targets(topology.primary_address(), topology.read_address())
    assert (topology.targets().primary.name, topology.targets().node_read.name) == ("db1", "db3")
    with topology.changing() as current:
        topology.record(current, "db3", {"kind": "switchover", "from": "db1", "to": "db3"})
    assert (topology.targets().primary.name, topology.targets().node_read.name) == ("db3", "db1")
    settings.DATABASE_SERVERS = {"db1": "h1:3306", "db2": "h2:3306", "db3": "other:3307"}
    assert topology.targets().primary == topology.Address("db3", "other", 3307)


def test_the_failover_hold_expires(settings, tmp_path):
    import os

    settings.TOPOLOGY_FILE = str(tmp_path / "topology.json")
    assert not topology.failover_held()
    topology.hold_path().touch()
    assert topology.failover_held()
    old = topology.hold_path().stat().st_mtime - topology.HOLD_MAX_AGE_SECONDS - 1
    os.utime(topology.hold_path(), (old, old))
    assert not topology.failover_held()


def test_another_record_file_is_read_at_once_whatever_was_remembered(settings, tmp_path):
    """The record is re-read at most every RECHECK_SECONDS, but never across files.

    A test's record naming db2 once outlived the test by those 50 ms: the next
    test's connection went to the real db2, a read-only replica, as an admin
    that may write there (an errant transaction that broke replication).
    """
    settings.DATABASE_SERVERS = {"db1": "h1:3306", "db2": "h2:3306", "db3": "h3:3306"}
    for name, primary in (("a.json", "db2"), ("b.json", "db3")):
        (tmp_path / name).write_text(json.dumps({"primary": primary, "epoch": 1}))
    settings.TOPOLOGY_FILE = str(tmp_path / "a.json")
    assert topology.current().primary == "db2"
    settings.TOPOLOGY_FILE = str(tmp_path / "b.json")
    assert topology.current().primary == "db3"
