# salas images, built by docker-compose.yml:
#   target `app` (the default, last stage): one gunicorn node; app1-app3, setup_replication
#       and migrate all run it.
#   target `nginx`: nginx with nginx/nginx.conf.template and the collectstatic output baked
#       in, so the balancer always serves the static files of the code it fronts (a shared
#       volume would keep serving the files of the first build after a rebuild).
#
# Only the classic builder's features are used (no RUN --mount, no heredocs): Debian's
# docker-compose 1.29 builds with it.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NGINX_IMAGE=nginx:1.27-alpine

# --- common base -----------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS python-base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
WORKDIR /app

# --- builder: compiles mysqlclient; its compiler and headers stay in this stage --------
FROM python-base AS builder
# libc6-dev: gcc without its recommended packages has no C library headers.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev pkg-config libmariadb-dev \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
COPY requirements.txt .
# Runtime requirements only; requirements-dev.txt (pytest, ruff, playwright) stays out.
RUN pip install -r requirements.txt

# --- runtime base: the client library, the virtualenv and the source -----------------
FROM python-base AS runtime
# libmariadb3 carries the caching_sha2_password plugin that MySQL 8.4 accounts use.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmariadb3 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=builder /opt/venv /opt/venv
COPY . .

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
FROM ${NGINX_IMAGE} AS nginx
# The image's entrypoint renders /etc/nginx/templates/*.template into
# NGINX_ENVSUBST_OUTPUT_DIR at start, substituting only variables whose names contain
# NGINX_ENVSUBST_FILTER: the template's ${SALAS_*} placeholders (set in
# docker-compose.yml), never nginx's own $variables.
ENV NGINX_ENVSUBST_OUTPUT_DIR=/etc/nginx \
    NGINX_ENVSUBST_FILTER=SALAS_
COPY nginx/nginx.conf.template /etc/nginx/templates/nginx.conf.template
COPY --from=static /app/staticfiles /srv/staticfiles
EXPOSE 8084

# --- app: one salas node ----------------------------------------------------------------
FROM runtime AS app
RUN groupadd --system salas \
    && useradd --system --gid salas --home-dir /app --no-create-home --shell /usr/sbin/nologin salas \
    && mkdir -p /var/lib/salas && chown salas:salas /var/lib/salas
# /var/lib/salas: the topology volume's mount point (a new named volume takes its owner).
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
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/status', timeout=4)"]
CMD ["gunicorn", "-c", "cluster/gunicorn.conf.py", "salas_project.wsgi:application"]
