"""The statements that change a server's role: semi-sync on/off, promotion, demotion.

MariaDB 10.11 (the engine supported and tested) has semi-sync built in
(rpl_semi_sync_master_* / _slave_*). Plain functions, unit-tested without a server,
like replication/sql.py; they take the server's Flavor as those do. The statements
that only read semi-sync's state are the data tier's (replication/ha_status.py:
/api/status shows them).
"""

from __future__ import annotations

from replication.sql import Flavor

SOURCE = "rpl_semi_sync_master"
REPLICA = "rpl_semi_sync_slave"


def semi_sync_source_on(flavor: Flavor, timeout_ms: int) -> list[str]:
    """Make a primary wait for one replica's ack before answering a commit (lossless AFTER_SYNC).

    wait_no_slave stays ON: with no replica connected the primary waits (for
    `timeout_ms`) instead of switching to asynchronous at once.
    """
    return [
        f"SET GLOBAL {SOURCE}_wait_point = 'AFTER_SYNC'",
        f"SET GLOBAL {SOURCE}_timeout = {int(timeout_ms)}",
        f"SET GLOBAL {SOURCE}_wait_no_slave = ON",
        f"SET GLOBAL {SOURCE}_enabled = ON",
    ]


def semi_sync_source_off(flavor: Flavor) -> str:
    return f"SET GLOBAL {SOURCE}_enabled = OFF"


def semi_sync_replica_on(flavor: Flavor) -> str:
    """Takes effect when the IO thread (re)connects."""
    return f"SET GLOBAL {REPLICA}_enabled = ON"


def read_only_off(flavor: Flavor) -> list[str]:
    return ["SET GLOBAL read_only = OFF"]


def fence(flavor: Flavor, lock_wait_seconds: int = 5) -> list[str]:
    """Make a server refuse the app's writes, waiting at most `lock_wait_seconds` for commits in flight."""
    return [f"SET SESSION lock_wait_timeout = {int(lock_wait_seconds)}", "SET GLOBAL read_only = ON"]


def forget_source(flavor: Flavor) -> list[str]:
    """Stop replicating and drop the replica configuration (a promoted server)."""
    return ["STOP SLAVE", "RESET SLAVE ALL"]


def applied_position(flavor: Flavor) -> str:
    """Every transaction this server has applied or written."""
    return "SELECT @@GLOBAL.gtid_current_pos"


def written_position(flavor: Flavor) -> str:
    """Every transaction in this server's own binlog, including any it wrote as a primary."""
    return "SELECT @@GLOBAL.gtid_binlog_pos"


def demote_suffix(flavor: Flavor) -> str:
    """Added to CHANGE MASTER TO for a former primary: start from what it has written itself.

    MASTER_DEMOTE_TO_SLAVE=1 merges gtid_binlog_pos into gtid_slave_pos.
    """
    return ", MASTER_DEMOTE_TO_SLAVE=1"


def heartbeat_suffix(flavor: Flavor, seconds: float) -> str:
    """A heartbeat so a replica notices a frozen primary within slave_net_timeout."""
    return f", MASTER_HEARTBEAT_PERIOD={float(seconds)}"
