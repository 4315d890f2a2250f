import pytest

from replication import sql

MARIADB = sql.detect_flavor("10.11.19-MariaDB-0+deb12u1")
MYSQL = sql.detect_flavor("8.4.3")


def test_detect_flavor():
    assert MARIADB.is_mariadb and MARIADB.version == (10, 11, 19)
    assert not MYSQL.is_mariadb and MYSQL.version == (8, 4, 3)
    with pytest.raises(ValueError):
        sql.detect_flavor("8.0.36")
    with pytest.raises(ValueError):
        sql.detect_flavor("nonsense")


def test_change_source_mariadb_uses_gtid_slave_pos():
    statement = sql.change_source(MARIADB, host="127.0.0.1", port=3308, user="repl", password="p'w")
    assert statement.startswith("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=3308")
    assert "MASTER_USE_GTID=slave_pos" in statement
    assert "MASTER_CONNECT_RETRY=1" in statement
    assert "MASTER_PASSWORD='p\\'w'" in statement
    assert "MASTER_DELAY=0" in statement


def test_change_source_mysql_uses_auto_position_and_public_key():
    statement = sql.change_source(MYSQL, host="db1", port=3306, user="repl", password="pw", delay=3)
    assert statement.startswith("CHANGE REPLICATION SOURCE TO SOURCE_HOST='db1', SOURCE_PORT=3306")
    assert "SOURCE_AUTO_POSITION=1" in statement and "GET_SOURCE_PUBLIC_KEY=1" in statement
    assert "SOURCE_DELAY=3" in statement
    assert "MASTER" not in statement


@pytest.mark.parametrize(
    ("flavor", "expected"),
    [
        (
            MARIADB,
            ["START SLAVE", "STOP SLAVE SQL_THREAD", "SHOW SLAVE STATUS", "SELECT MASTER_GTID_WAIT(%s, %s)"],
        ),
        (
            MYSQL,
            [
                "START REPLICA",
                "STOP REPLICA SQL_THREAD",
                "SHOW REPLICA STATUS",
                "SELECT WAIT_FOR_EXECUTED_GTID_SET(%s, %s)",
            ],
        ),
    ],
)
def test_thread_control_and_waits(flavor, expected):
    assert [
        sql.start_replica(flavor),
        sql.stop_replica(flavor, "sql"),
        sql.show_replica_status(flavor),
        sql.wait_for_gtid(flavor),
    ] == expected


def test_read_only_is_super_read_only_on_mysql():
    assert sql.read_only_on(MARIADB) == ["SET GLOBAL read_only = ON"]
    assert "SET GLOBAL super_read_only = ON" in sql.read_only_on(MYSQL)


def test_gtid_queries_per_flavour():
    assert sql.primary_gtid_position(MARIADB) == "SELECT @@GLOBAL.gtid_binlog_pos"
    assert sql.primary_gtid_position(MYSQL) == "SELECT @@GLOBAL.gtid_executed"


def test_app_user_grants_never_bypass_read_only():
    for flavor in (MARIADB, MYSQL):
        grants = " ".join(sql.grant_app_user(flavor, user="salas", database="salas"))
        for privilege in ("SUPER", "READ ONLY ADMIN", "ALL PRIVILEGES", "CONNECTION_ADMIN"):
            assert privilege not in grants
    assert "GRANT SLAVE MONITOR, BINLOG MONITOR ON *.*" in " ".join(
        sql.grant_app_user(MARIADB, user="u", database="d")
    )
    assert "GRANT REPLICATION CLIENT ON *.*" in " ".join(sql.grant_app_user(MYSQL, user="u", database="d"))


def test_app_user_is_granted_no_ddl_and_loses_the_ddl_it_had():
    statements = sql.grant_app_user(MARIADB, user="salas", database="salas")
    granted = " ".join(s for s in statements if s.startswith("GRANT"))
    for privilege in ("CREATE", "ALTER", "DROP", "INDEX", "LOCK TABLES", "SUPER", "READ ONLY ADMIN"):
        assert privilege not in granted
    assert f"REVOKE {sql.SCHEMA_PRIVILEGES} ON `salas`.*" in " ".join(statements)


def test_parse_status_of_both_flavours():
    mariadb = sql.parse_replica_status(
        {
            "Master_Host": "127.0.0.1",
            "Master_Port": 3308,
            "Slave_IO_Running": "Yes",
            "Slave_SQL_Running": "Yes",
            "Seconds_Behind_Master": 0,
            "Using_Gtid": "Slave_Pos",
            "Last_SQL_Error": "",
            "Last_IO_Error": "",
            "SQL_Delay": 3,
        }
    )
    assert mariadb.healthy and mariadb.source_port == 3308 and mariadb.sql_delay == 3
    mysql = sql.parse_replica_status(
        {
            "Source_Host": "db1",
            "Source_Port": 3306,
            "Replica_IO_Running": "Connecting",
            "Replica_SQL_Running": "Yes",
            "Seconds_Behind_Source": None,
            "Last_IO_Error": "error connecting",
        }
    )
    assert not mysql.healthy and mysql.seconds_behind is None and mysql.last_error == "error connecting"
    assert not sql.parse_replica_status(None).configured


def test_mariadb_accounts_are_created_by_hash_so_the_binlog_holds_no_password():
    assert sql.native_password_hash("password") == "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"
    statements = " ".join(sql.create_user(MARIADB, "repl", "s3cret-value"))
    assert "s3cret-value" not in statements
    assert "IDENTIFIED BY PASSWORD '*" in statements
