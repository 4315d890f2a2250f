from replication import sql
from replication.ha_status import semi_sync_from_rows

MARIADB = sql.detect_flavor("10.11.19-MariaDB-0+deb12u1")
MYSQL = sql.detect_flavor("8.4.3")


def test_semi_sync_state_reads_either_flavour():
    mysql_rows = {
        "rpl_semi_sync_source_enabled": "ON",
        "Rpl_semi_sync_source_status": "OFF",
        "Rpl_semi_sync_source_clients": "0",
        "rpl_semi_sync_source_wait_point": "AFTER_SYNC",
    }
    state = semi_sync_from_rows(MYSQL, mysql_rows)
    assert state["enabled"] and not state["active"] and state["replicas_acknowledging"] == 0
    state = semi_sync_from_rows(
        MARIADB, {"Rpl_semi_sync_master_status": b"ON", "rpl_semi_sync_master_timeout": "9"}
    )
    assert state["active"] and not state["enabled"] and state["timeout_ms"] == 9
