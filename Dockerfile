# salas images, built by docker-compose.yml, all on one Debian 12 base:
#   target `db`: MariaDB 10.11 from Debian's packages (db1, db2, db3);
#   target `nginx`: nginx from Debian's packages with the rendered config and the
#       collectstatic output baked in (a shared volume would keep serving the files of
#       the first build after a rebuild);
#   target `app` (the default, last stage): one gunicorn node on Debian's Python 3.11;
#       app1-app3, setup_replication, migrate and the monitor all run it.
#
# BASE_IMAGE is debian:bookworm-slim: pulled where a registry answers, otherwise made by
# docker/base-image.sh (debootstrap) under the same tag, so this file is the same for both.
# Server configs come from the one source, mysql/local/ and nginx/ rendered by
# cluster/render.py in the `configs` stage.
#
# Only the classic builder's features are used (no RUN --mount, no heredocs): Debian's
# docker-compose 1.29 builds with it. The classic builder builds every stage before the
# target, so the cheap, shared stages come first.

ARG BASE_IMAGE=debian:bookworm-slim

# --- Debian, as every image starts -----------------------------------------------------
FROM ${BASE_IMAGE} AS debian
ENV DEBIAN_FRONTEND=noninteractive \
    LANG=C.UTF-8

# --- Python 3.11 from Debian, with the client library mysqlclient links to -------------
FROM debian AS python-base
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv libmariadb3 \
    && rm -rf /var/lib/apt/lists/*
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
WORKDIR /app

# --- configs: my.cnf of each server and nginx.conf, from the templates `make up` uses ---
FROM python-base AS configs
# docker-compose.yml passes its SALAS_FRONTEND_PREFIX (the host's connections come
# from that network's gateway, which nginx's abuse limits exempt as they do 127.0.0.1).
ARG FRONTEND_PREFIX=172.30.84
COPY cluster/ /src/cluster/
COPY mysql/local/ /src/mysql/local/
COPY nginx/nginx.conf.template /src/nginx/nginx.conf.template
RUN cd /src && python3 -c "import sys; from pathlib import Path; from cluster.render import container_configs; \
print(*container_configs(Path('/configs'), sys.argv[1]))" "$FRONTEND_PREFIX"

# --- db: MariaDB 10.11 ------------------------------------------------------------------
FROM debian AS db
# The package's own data dir goes: docker/db-entrypoint.sh initialises each server's
# volume itself, with the flags `make up` uses.
RUN apt-get update \
    && apt-get install -y --no-install-recommends mariadb-server \
    && rm -rf /var/lib/apt/lists/* /var/lib/mysql/* /etc/mysql/mariadb.conf.d/50-server.cnf
COPY --from=configs /configs/db1.cnf /configs/db2.cnf /configs/db3.cnf /etc/mysql/salas/
COPY docker/db-entrypoint.sh /usr/local/bin/salas-db
VOLUME /var/lib/mysql
EXPOSE 3306
# Over the socket as root (unix_socket authentication): no password in the check. The
# admin account exists before the server answers (--init-file runs first).
HEALTHCHECK --interval=2s --timeout=5s --start-period=60s --retries=30 \
    CMD ["mariadb", "--socket=/run/mysqld/mysqld.sock", "-uroot", "-e", "SELECT 1"]
# mariadbd needs time to flush InnoDB on TERM (docker-compose.yml: stop_grace_period).
ENTRYPOINT ["salas-db"]

# --- builder: the virtualenv, from wheels built on the host when present ---------------
FROM python-base AS builder
RUN python3 -m venv /opt/venv
COPY requirements.txt /build/requirements.txt
# docker/wheels/: `pip wheel -r requirements.txt` on the host (the compose front door
# does it), since pip in a build container cannot reach the index the host's pip uses.
# Without them (or when they do not match requirements.txt) the index is used, with a
# compiler for mysqlclient that stays in this stage.
COPY docker/wheels/ /wheels/
RUN pip install --no-index --find-links /wheels -r /build/requirements.txt \
    || { apt-get update \
        && apt-get install -y --no-install-recommends gcc libc6-dev pkg-config libmariadb-dev python3-dev \
        && pip install --find-links /wheels -r /build/requirements.txt; }

# --- source: the checkout without the wheels (COPY . copies them too) ------------------
FROM debian AS source
COPY . /app
RUN rm -rf /app/docker/wheels

# --- runtime: the virtualenv and the source ---------------------------------------------
FROM python-base AS runtime
COPY --from=builder /opt/venv /opt/venv
COPY --from=source /app /app

# --- static: collectstatic, in a stage of its own so its dummy key stays out of `app` --
FROM runtime AS static
# BUILD-TIME DUMMY, NOT A SECRET: settings refuse to load without a key and
# collectstatic signs nothing with it. Containers get the real DJANGO_SECRET_KEY from
# .env at run time (docker-compose.yml).
ARG COLLECTSTATIC_SECRET_KEY=build-time-dummy-not-a-secret
# DATABASE_URL too is required by the settings; collectstatic never connects to it.
RUN DJANGO_SECRET_KEY="$COLLECTSTATIC_SECRET_KEY" DATABASE_URL="mysql://build:unused@127.0.0.1:1/none" \
    python manage.py collectstatic --noinput

# --- nginx: the balancer ----------------------------------------------------------------
FROM debian AS nginx
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx \
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/* \
    && mkdir -p /run/nginx
COPY --from=configs /configs/nginx.conf /etc/nginx/salas.conf
COPY --from=static /app/staticfiles /srv/staticfiles
EXPOSE 8084
# Healthy once it answers HTTP at all (a node's 503 is still nginx answering). No curl in
# the slim image: bash's /dev/tcp.
HEALTHCHECK --interval=2s --timeout=5s --start-period=10s --retries=15 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8084 && printf 'GET /api/status HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3 && head -c 9 <&3 | grep -q '^HTTP/'"]
CMD ["nginx", "-c", "/etc/nginx/salas.conf", "-g", "daemon off;"]

# --- app: one salas node ----------------------------------------------------------------
FROM runtime AS app
RUN groupadd --system salas \
    && useradd --system --gid salas --home-dir /app --no-create-home --shell /usr/sbin/nologin salas \
    && mkdir -p /var/lib/salas /var/lib/salas-admin \
    && chown salas:salas /var/lib/salas /var/lib/salas-admin && chmod 0700 /var/lib/salas-admin
# /var/lib/salas: the topology volume's mount point, /var/lib/salas-admin the generated admin
# password's (a new named volume takes the owner and mode of its mount point).
# WhiteNoise needs the manifest (staticfiles.json) at run time as well.
COPY --from=static /app/staticfiles /app/staticfiles
USER salas
# cluster/gunicorn.conf.py sets workers, threads, timeouts and logs; only the bind
# differs from local mode. GUNICORN_CMD_ARGS overrides the config file.
ENV GUNICORN_CMD_ARGS="--bind 0.0.0.0:8000"
EXPOSE 8000
# Healthy when /api/status answers 200: the node can serve reads (503 otherwise). The
# request's Host is 127.0.0.1, so DJANGO_ALLOWED_HOSTS must keep 127.0.0.1 (its default).
# No curl in the slim image: Python's urllib.
HEALTHCHECK --interval=2s --timeout=5s --start-period=30s --retries=15 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/status', timeout=4)"]
CMD ["gunicorn", "-c", "cluster/gunicorn.conf.py", "salas_project.wsgi:application"]
