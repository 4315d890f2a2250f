#!/bin/sh
# The database image's entrypoint: one MariaDB 10.11 server (db1, db2 or db3).
#
#   SALAS_DB=db2 DB_ADMIN_USER=... DB_ADMIN_PASSWORD=... salas-db
#
# Its settings are /etc/mysql/salas/$SALAS_DB.cnf, rendered at build time from
# mysql/local/*.cnf.template by cluster/render.py: the same file `make up` runs, with
# container paths. Every server starts read-only; setup_replication picks the primary.
#
# An empty data volume is initialised with the flags `make up` uses (no binlog, no test
# database, root only over the socket). The administrative account is (re)created on
# every start by an --init-file with sql_log_bin=0: each server has it on its own and
# none reaches a replica through replication (a CREATE USER replayed on a server that
# already has the account stops replication with error 1396).
set -eu

name=${SALAS_DB:?SALAS_DB is not set (db1, db2 or db3; docker-compose.yml sets it)}
cnf=/etc/mysql/salas/$name.cnf
[ -f "$cnf" ] || { echo "salas-db: no $cnf (SALAS_DB must be db1, db2 or db3)" >&2; exit 1; }
admin_user=${DB_ADMIN_USER:?DB_ADMIN_USER is not set (.env, see .env.example)}
admin_password=${DB_ADMIN_PASSWORD:?DB_ADMIN_PASSWORD is not set (.env, see .env.example)}
datadir=/var/lib/mysql
marker=$datadir/.salas-initialised

mkdir -p /run/mysqld
chown mysql:mysql /run/mysqld "$datadir"
chmod 0750 /run/mysqld

if [ ! -f "$marker" ]; then
    # A data dir without the marker is a half-done initialisation: start it again.
    find "$datadir" -mindepth 1 -delete
    echo "salas-db: initialising $datadir for $name"
    mariadb-install-db --defaults-file="$cnf" --skip-test-db --skip-log-bin \
        --auth-root-authentication-method=socket --user=mysql --datadir="$datadir" >/dev/null
    touch "$marker"
fi

# A single-quoted SQL string: backslashes and quotes escaped.
sql_string() {
    printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")"
}
account="$(sql_string "$admin_user")@'%'"
secret=$(sql_string "$admin_password")
init=/run/mysqld/salas-init.sql
umask 077
cat >"$init" <<SQL
SET SESSION sql_log_bin = 0;
CREATE USER IF NOT EXISTS $account IDENTIFIED BY $secret;
ALTER USER $account IDENTIFIED BY $secret;
GRANT ALL PRIVILEGES ON *.* TO $account WITH GRANT OPTION;
SQL
chown mysql:mysql "$init"

exec mariadbd --defaults-file="$cnf" --user=mysql --init-file="$init" "$@"
