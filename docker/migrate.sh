#!/bin/sh
# The one-shot `migrate` service of docker-compose.yml: schema, admin account, demo rooms.
#
# It starts only after `setup_replication` has created the app database and user on the
# primary and attached the replicas, so every statement here replicates to db2 and db3.
# Each step is idempotent: the service runs on every `docker compose up`.
set -eu

echo "==> migrate (as the schema owner, MIGRATE_DATABASE_URL)"
DATABASE_ACCOUNT=migrate python manage.py migrate --noinput
echo "==> ensure_admin (a generated password goes to DJANGO_ADMIN_PASSWORD_FILE, not here)"
python manage.py ensure_admin
echo "==> seed_demo"
python manage.py seed_demo --owner "${DJANGO_ADMIN_USERNAME:-admin}"
echo "==> done"
