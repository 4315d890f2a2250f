from replication import sql
from replication.ha_status import semi_sync_from_rows

MARIADB = sql.detect_flavor("10.11.19-MariaDB-0+deb12u1")


def test_semi_sync_state_from_status_and_variables():
    state = semi_sync_from_rows(
        MARIADB,
        {
            "rpl_semi_sync_master_enabled": "ON",
            "Rpl_semi_sync_master_status": "OFF",
            "Rpl_semi_sync_master_clients": "0",
            "rpl_semi_sync_master_wait_point": "AFTER_SYNC",
        },
    )
    assert state["enabled"] and not state["active"] and state["replicas_acknowledging"] == 0
    state = semi_sync_from_rows(
        MARIADB, {"Rpl_semi_sync_master_status": b"ON", "rpl_semi_sync_master_timeout": "9"}
    )
    assert state["active"] and not state["enabled"] and state["timeout_ms"] == 9
