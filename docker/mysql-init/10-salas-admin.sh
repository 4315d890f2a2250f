#!/bin/bash
# The administrative account (DB_ADMIN_USER, salas_admin by default) on one MySQL 8.4
# server, created once when the official image initialises an empty data dir.
#
# docker-compose.yml mounts this file on db1, db2 and db3 as
# /docker-entrypoint-initdb.d/10-salas-admin.sh. The image's entrypoint sources a .sh
# file that is not executable (this one is kept 0644), so docker_process_sql, the
# image's own helper that logs in as root over the socket of the temporary init
# server, is available here.
#
# Why sql_log_bin=0: the account is created on every server by this script, so it must
# not also reach the replicas through replication. If the primary wrote it to its binary
# log, a replica would replay CREATE USER for an account it already has and stop with
# error 1396, the classic Docker init pitfall.
#
# It sorts before mysql/docker/replica-initdb/99-super-read-only.sql, which makes the
# replicas refuse writes from then on.
#
# Everything runs in a subshell: when sourced, `set -eu` and the helper function do not
# leak into the entrypoint, and a failure still fails the container's initialisation.
(
    set -eu
    admin_user=${DB_ADMIN_USER:?DB_ADMIN_USER is not set (docker-compose.yml passes it from .env)}
    admin_password=${DB_ADMIN_PASSWORD:?DB_ADMIN_PASSWORD is not set (docker-compose.yml passes it from .env)}

    if ! declare -F docker_process_sql >/dev/null; then
        echo "10-salas-admin.sh: must be sourced by the mysql image's entrypoint (keep it non-executable)" >&2
        exit 1
    fi

    # A single-quoted SQL string literal: backslashes and quotes escaped.
    sql_string() {
        local value=${1//\\/\\\\}
        printf "'%s'" "${value//\'/\'\'}"
    }

    account="$(sql_string "$admin_user")@'%'"
    secret=$(sql_string "$admin_password")
    echo "10-salas-admin.sh: creating ${admin_user}@'%' (not written to the binary log)"
    docker_process_sql <<SQL
SET SESSION sql_log_bin = 0;
CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ${secret};
GRANT ALL PRIVILEGES ON *.* TO ${account} WITH GRANT OPTION;
SQL
)
