from failover import ha_sql
from replication import sql

MARIADB = sql.detect_flavor("10.11.19-MariaDB-0+deb12u1")


def test_semi_sync_on_is_lossless_and_never_falls_back_on_mariadb():
    statements = ha_sql.semi_sync_source_on(MARIADB, 4_294_967_295)
    assert statements == [
        "SET GLOBAL rpl_semi_sync_master_wait_point = 'AFTER_SYNC'",
        "SET GLOBAL rpl_semi_sync_master_timeout = 4294967295",
        "SET GLOBAL rpl_semi_sync_master_wait_no_slave = ON",
        "SET GLOBAL rpl_semi_sync_master_enabled = ON",
    ]
    assert ha_sql.semi_sync_replica_on(MARIADB) == "SET GLOBAL rpl_semi_sync_slave_enabled = ON"


def test_fencing_and_opening():
    assert ha_sql.fence(MARIADB, 2) == ["SET SESSION lock_wait_timeout = 2", "SET GLOBAL read_only = ON"]
    assert ha_sql.read_only_off(MARIADB) == ["SET GLOBAL read_only = OFF"]
    assert ha_sql.semi_sync_source_off(MARIADB) == "SET GLOBAL rpl_semi_sync_master_enabled = OFF"


def test_promotion_and_demotion_statements():
    assert ha_sql.forget_source(MARIADB) == ["STOP SLAVE", "RESET SLAVE ALL"]
    assert ha_sql.demote_suffix(MARIADB) == ", MASTER_DEMOTE_TO_SLAVE=1"
    assert ha_sql.heartbeat_suffix(MARIADB, 0.5) == ", MASTER_HEARTBEAT_PERIOD=0.5"
    assert ha_sql.applied_position(MARIADB) == "SELECT @@GLOBAL.gtid_current_pos"
    assert ha_sql.written_position(MARIADB) == "SELECT @@GLOBAL.gtid_binlog_pos"
