"""The replication statements of the server we run on: MariaDB 10.11, locally and in
the Docker images (the engine supported and tested).

They are plain functions, unit-tested without a server. They still take the server's
Flavor (from `SELECT VERSION()`), which callers pass along; detect_flavor refuses any
server that is not MariaDB, so no statement of another engine is ever needed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Literal

FlavorName = Literal["mariadb"]


@dataclass(frozen=True)
class Flavor:
    name: FlavorName
    version: tuple[int, int, int]

    def __str__(self) -> str:
        return f"MariaDB {'.'.join(map(str, self.version))}"


def detect_flavor(version_string: str) -> Flavor:
    """Flavor from `SELECT VERSION()`, e.g. '10.11.19-MariaDB-0+deb12u1'; any other engine is refused."""
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", version_string)
    if not match:
        raise ValueError(f"unrecognised server version: {version_string!r}")
    version = (int(match[1]), int(match[2]), int(match[3]))
    if "mariadb" not in version_string.lower():
        raise ValueError(f"{version_string} is not MariaDB: MariaDB 10.11 is the engine supported and tested")
    return Flavor("mariadb", version)


def quote_literal(value: str) -> str:
    """A string literal for the statements that take no placeholders (CHANGE MASTER TO)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def change_source(
    flavor: Flavor, *, host: str, port: int, user: str, password: str, delay: int = 0, connect_retry: int = 1
) -> str:
    """Point a replica at the primary with GTID auto-positioning.

    A 1 s connect retry (instead of 60 s) lets replicas reconnect within a
    second of the primary coming back.
    """
    return (
        f"CHANGE MASTER TO MASTER_HOST={quote_literal(host)}, MASTER_PORT={int(port)}, "
        f"MASTER_USER={quote_literal(user)}, MASTER_PASSWORD={quote_literal(password)}, "
        f"MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY={int(connect_retry)}, "
        f"MASTER_DELAY={int(delay)}"
    )


def set_delay(flavor: Flavor, seconds: int) -> str:
    """Delay applying events on a replica (tests use it to make lag visible)."""
    return f"CHANGE MASTER TO MASTER_DELAY={int(seconds)}"


def start_replica(flavor: Flavor, thread: Literal["", "sql", "io"] = "") -> str:
    suffix = {"": "", "sql": " SQL_THREAD", "io": " IO_THREAD"}[thread]
    return "START SLAVE" + suffix


def stop_replica(flavor: Flavor, thread: Literal["", "sql", "io"] = "") -> str:
    suffix = {"": "", "sql": " SQL_THREAD", "io": " IO_THREAD"}[thread]
    return "STOP SLAVE" + suffix


def show_replica_status(flavor: Flavor) -> str:
    return "SHOW SLAVE STATUS"


def read_only_on(flavor: Flavor) -> list[str]:
    """Make a replica refuse writes (from any account without READ ONLY ADMIN)."""
    return ["SET GLOBAL read_only = ON"]


def primary_gtid_position(flavor: Flavor) -> str:
    """The query for every GTID the primary has written so far."""
    return "SELECT @@GLOBAL.gtid_binlog_pos"


def wait_for_gtid(flavor: Flavor) -> str:
    """Block until the replica has applied a GTID position, or a timeout (seconds) passes.

    Returns 0 when the position was reached, -1 on timeout. Takes two parameters:
    the position and the timeout.
    """
    return "SELECT MASTER_GTID_WAIT(%s, %s)"


def native_password_hash(password: str) -> str:
    """MariaDB's mysql_native_password hash: '*' and SHA1(SHA1(password)) in upper-case hex."""
    # S324: SHA1 is what the server's mysql_native_password plugin defines, not a choice made here.
    return "*" + hashlib.sha1(hashlib.sha1(password.encode()).digest()).hexdigest().upper()  # noqa: S324


def create_user(flavor: Flavor, user: str, password: str, host: str = "%") -> list[str]:
    """Create or re-password a user.

    By its hash: these statements are binlogged (that is how the replicas get the
    account), and SHOW BINLOG EVENTS, open to BINLOG MONITOR (the app account's), shows a
    statement's text; the hash cannot be used to log in.
    """
    who = f"{quote_literal(user)}@{quote_literal(host)}"
    secret = f"IDENTIFIED BY PASSWORD {quote_literal(native_password_hash(password))}"
    return [f"CREATE USER IF NOT EXISTS {who} {secret}", f"ALTER USER {who} {secret}"]


def grant_replication(user: str, host: str = "%") -> str:
    return f"GRANT REPLICATION SLAVE ON *.* TO {quote_literal(user)}@{quote_literal(host)}"


# What the app account may not hold at run time (a migration's DDL): revoked from an
# account created before the schema got its own owner.
SCHEMA_PRIVILEGES = "CREATE, ALTER, INDEX, DROP, REFERENCES, CREATE TEMPORARY TABLES, LOCK TABLES"


def grant_app_user(flavor: Flavor, *, user: str, database: str, host: str = "%") -> list[str]:
    """Rows in, rows out (DML) and the replication state a node reads; no DDL, nothing that
    bypasses read_only.

    On MariaDB 10.11: SLAVE MONITOR for SHOW SLAVE STATUS (replication/health.py: a node's
    replica's lag and threads), BINLOG MONITOR for SHOW MASTER STATUS (replication/snapshot.py:
    the primary's binlog coordinates a cached page is filed under). The GTID positions (@@gtid_binlog_pos, @@gtid_slave_pos), MASTER_GTID_WAIT
    and SHOW GLOBAL STATUS / VARIABLES need no privilege. `manage.py migrate` logs in as the
    schema owner instead (grant_schema_owner).
    """
    who = f"{quote_literal(user)}@{quote_literal(host)}"
    monitor = "SLAVE MONITOR, BINLOG MONITOR"
    return [
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON `{database}`.* TO {who}",
        f"REVOKE {SCHEMA_PRIVILEGES} ON `{database}`.* FROM {who}",
        f"GRANT {monitor} ON *.* TO {who}",
    ]


def grant_schema_owner(*, user: str, database: str, host: str = "%") -> list[str]:
    """The migration account: everything on the app database (DDL, and the rows migrations
    and post_migrate write), nothing on other databases, no global privilege."""
    return [f"GRANT ALL PRIVILEGES ON `{database}`.* TO {quote_literal(user)}@{quote_literal(host)}"]


@dataclass(frozen=True)
class ReplicaStatus:
    """One replica's SHOW SLAVE STATUS, in the names the callers use."""

    configured: bool
    source_host: str = ""
    source_port: int = 0
    io_running: str = "No"
    sql_running: str = "No"
    seconds_behind: int | None = None
    using_gtid: str = ""
    gtid_io_pos: str = ""
    last_io_error: str = ""
    last_sql_error: str = ""
    last_io_errno: int = 0
    last_sql_errno: int = 0
    sql_delay: int = 0

    @property
    def healthy(self) -> bool:
        return self.configured and self.io_running == "Yes" and self.sql_running == "Yes"

    @property
    def last_error(self) -> str:
        return self.last_sql_error or self.last_io_error

    @property
    def last_errno(self) -> int:
        return self.last_sql_errno or self.last_io_errno


def parse_replica_status(row: dict[str, Any] | None) -> ReplicaStatus:
    """Normalise a SHOW SLAVE STATUS row (a dict of column name to value)."""
    if not row:
        return ReplicaStatus(configured=False)

    def pick(*names: str, default: Any = "") -> Any:
        for name in names:
            if name in row and row[name] is not None:
                value = row[name]
                return value.decode() if isinstance(value, bytes) else value
        return default

    behind = pick("Seconds_Behind_Master", default=None)
    return ReplicaStatus(
        configured=True,
        source_host=pick("Master_Host"),
        source_port=int(pick("Master_Port", default=0) or 0),
        io_running=pick("Slave_IO_Running", default="No"),
        sql_running=pick("Slave_SQL_Running", default="No"),
        seconds_behind=None if behind in (None, "") else int(behind),
        using_gtid=str(pick("Using_Gtid")),
        gtid_io_pos=str(pick("Gtid_IO_Pos")),
        last_io_error=pick("Last_IO_Error"),
        last_sql_error=pick("Last_SQL_Error"),
        last_io_errno=int(pick("Last_IO_Errno", default=0) or 0),
        last_sql_errno=int(pick("Last_SQL_Errno", default=0) or 0),
        sql_delay=int(pick("SQL_Delay", default=0) or 0),
    )
