"""The statements that change a server's role: semi-sync on/off, promotion, demotion, per flavour.

MariaDB 10.11 has semi-sync built in (rpl_semi_sync_master_* / _slave_*);
MySQL 8.4 has it as the rpl_semi_sync_source / rpl_semi_sync_replica plugins
(loaded by mysql/docker/*.cnf), with "source"/"replica" in every name. Plain
functions of a Flavor, unit-tested without a server, like replication/sql.py.
The statements that only read semi-sync's state are the data tier's
(replication/ha_status.py: /api/status shows them).
"""

from __future__ import annotations

from replication.sql import Flavor


def _source(flavor: Flavor) -> str:
    return "rpl_semi_sync_master" if flavor.is_mariadb else "rpl_semi_sync_source"


def _replica(flavor: Flavor) -> str:
    return "rpl_semi_sync_slave" if flavor.is_mariadb else "rpl_semi_sync_replica"


def semi_sync_source_on(flavor: Flavor, timeout_ms: int) -> list[str]:
    """Make a primary wait for one replica's ack before answering a commit (lossless AFTER_SYNC).

    wait_no_slave/replica stays ON: with no replica connected the primary waits
    (for `timeout_ms`) instead of switching to asynchronous at once.
    """
    prefix = _source(flavor)
    no_replica = "wait_no_slave" if flavor.is_mariadb else "wait_no_replica"
    return [
        f"SET GLOBAL {prefix}_wait_point = 'AFTER_SYNC'",
        f"SET GLOBAL {prefix}_timeout = {int(timeout_ms)}",
        f"SET GLOBAL {prefix}_{no_replica} = ON",
        f"SET GLOBAL {prefix}_enabled = ON",
    ]


def semi_sync_source_off(flavor: Flavor) -> str:
    return f"SET GLOBAL {_source(flavor)}_enabled = OFF"


def semi_sync_replica_on(flavor: Flavor) -> str:
    """Takes effect when the IO thread (re)connects."""
    return f"SET GLOBAL {_replica(flavor)}_enabled = ON"


def read_only_off(flavor: Flavor) -> list[str]:
    if flavor.is_mariadb:
        return ["SET GLOBAL read_only = OFF"]
    return ["SET GLOBAL super_read_only = OFF", "SET GLOBAL read_only = OFF"]


def fence(flavor: Flavor, lock_wait_seconds: int = 5) -> list[str]:
    """Make a server refuse the app's writes, waiting at most `lock_wait_seconds` for commits in flight."""
    only = ["SET GLOBAL read_only = ON"]
    if not flavor.is_mariadb:
        only.append("SET GLOBAL super_read_only = ON")
    return [f"SET SESSION lock_wait_timeout = {int(lock_wait_seconds)}", *only]


def forget_source(flavor: Flavor) -> list[str]:
    """Stop replicating and drop the replica configuration (a promoted server)."""
    if flavor.is_mariadb:
        return ["STOP SLAVE", "RESET SLAVE ALL"]
    return ["STOP REPLICA", "RESET REPLICA ALL"]


def applied_position(flavor: Flavor) -> str:
    """Every transaction this server has applied or written."""
    return "SELECT @@GLOBAL.gtid_current_pos" if flavor.is_mariadb else "SELECT @@GLOBAL.gtid_executed"


def written_position(flavor: Flavor) -> str:
    """Every transaction in this server's own binlog, including any it wrote as a primary."""
    return "SELECT @@GLOBAL.gtid_binlog_pos" if flavor.is_mariadb else "SELECT @@GLOBAL.gtid_executed"


def demote_suffix(flavor: Flavor) -> str:
    """Added to CHANGE MASTER TO for a former primary: start from what it has written itself.

    MariaDB: MASTER_DEMOTE_TO_SLAVE=1 merges gtid_binlog_pos into gtid_slave_pos;
    MySQL's auto-positioning uses gtid_executed, which already has it.
    """
    return ", MASTER_DEMOTE_TO_SLAVE=1" if flavor.is_mariadb else ""


def heartbeat_suffix(flavor: Flavor, seconds: float) -> str:
    """A heartbeat so a replica notices a frozen primary within slave_net_timeout."""
    keyword = "MASTER_HEARTBEAT_PERIOD" if flavor.is_mariadb else "SOURCE_HEARTBEAT_PERIOD"
    return f", {keyword}={float(seconds)}"
