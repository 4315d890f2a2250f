-- Runs once, last, when the MySQL 8.4 image initialises a replica's empty data dir
-- (mount this folder as /docker-entrypoint-initdb.d on db2 and db3 only; scripts that
-- must write, such as creating an admin account with sql_log_bin=0, sort before it).
-- Why not in replica.cnf: see the comment there. SET PERSIST writes mysqld-auto.cnf in
-- the data dir, so the setting survives restarts.
SET PERSIST super_read_only = ON;
