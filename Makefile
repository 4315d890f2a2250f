# salas: the one front door. `make` or `make help` lists the targets.
# The work is done by the cluster package (python3 -m cluster; standard library only, runs before .venv exists).

PYTHON ?= python3
CLUSTER := $(PYTHON) -m cluster
VENV_BIN := .venv/bin
# start/stop/restart/logs: SERVICE=nginx|app1|app2|app3|db1|db2|db3
SERVICE ?=
# logs: FOLLOW=1 follows the log
FOLLOW ?=
# rotate-secret: NAME=DJANGO_SECRET_KEY|DB_APP_PASSWORD|DB_MIGRATE_PASSWORD|DB_ADMIN_PASSWORD|REPLICATION_PASSWORD
NAME ?=
# test: extra pytest arguments, e.g. PYTEST_ARGS="-k rooms -x"
PYTEST_ARGS ?=
# The settings refuse to load without a secret key and a primary URL. Lint only imports them
# (nothing signed, nothing stored), so without .env it gets harmless values unless the
# environment has real ones, as the Dockerfile's collectstatic step does; the server list
# points at a closed port, so that the one connection makemigrations tries is refused.
LINT_ENV := $(if $(wildcard .env),,DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-lint-only-not-a-secret}" \
	DATABASE_URL="$${DATABASE_URL:-mysql://lint:unused@127.0.0.1:1/none}" \
	REPLICATION_PRIMARY_URL="$${REPLICATION_PRIMARY_URL:-mysql://lint:unused@127.0.0.1:1}")

.DEFAULT_GOAL := help
.PHONY: help deps deps-test up status start stop restart logs env rotate-secret reload down clean lint migrations-check test loadtest bench chaos messages metrics

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

deps: ## OS packages (apt-get, only what is missing) and .venv
	$(CLUSTER) deps

deps-test: ## deps plus test-only packages: chromium, chromium-driver, docker-compose
	$(CLUSTER) deps --test

up: ## start db1..db3, app1..app3, nginx (idempotent); CLUSTER_SKIP_DJANGO=1: dbs + nginx only
	$(CLUSTER) up

status: ## supervisor state and a health probe of each service (exit 3 if one is unhealthy)
	$(CLUSTER) status

start: ## start one service: make start SERVICE=db2
	$(CLUSTER) start "$(SERVICE)"

stop: ## stop one service (it stays stopped): make stop SERVICE=db2
	$(CLUSTER) stop "$(SERVICE)"

restart: ## restart one service; app nodes reload gracefully (HUP): make restart SERVICE=app1
	$(CLUSTER) restart "$(SERVICE)"

logs: ## last 100 lines of a service's log: make logs SERVICE=nginx [FOLLOW=1]
	$(CLUSTER) logs "$(SERVICE)" $(if $(FOLLOW),--follow)

env: ## create .env from .env.example and generate every missing secret (set values are kept)
	$(CLUSTER) env

rotate-secret: ## a new value for one secret on the running cluster: make rotate-secret NAME=DB_APP_PASSWORD
	$(CLUSTER) rotate-secret "$(NAME)"

reload: ## apply .env to the running cluster: nginx (TLS), app nodes (graceful), monitor
	$(CLUSTER) reload

down: ## stop everything, supervisord included (data kept)
	$(CLUSTER) down

clean: ## down, then delete all cluster state, databases included
	$(CLUSTER) clean

lint: ## ruff check, ruff format --check, mypy (django-stubs), the catalogue compiles, migrations-check
	$(VENV_BIN)/ruff check .
	$(VENV_BIN)/ruff format --check .
	$(LINT_ENV) $(VENV_BIN)/mypy
	msgfmt --check --output-file=/dev/null locale/en/LC_MESSAGES/django.po
	$(MAKE) --no-print-directory migrations-check

# The migration-history consistency check needs a reachable database; lint does not (the
# check that models and migrations agree reads none), so its warning is silenced.
migrations-check: ## fail when a model change has no migration (makemigrations --check --dry-run)
	$(LINT_ENV) $(VENV_BIN)/python -W "ignore:Got an error checking a consistent migration history:RuntimeWarning" \
		manage.py makemigrations --check --dry-run

test: ## deps-test, up, lint, pytest against the cluster (which stays up: make down)
	$(CLUSTER) deps --test
	$(CLUSTER) up
	$(MAKE) --no-print-directory lint
	$(CLUSTER) pytest $(PYTEST_ARGS)

loadtest: ## Locust web UI on http://127.0.0.1:8089 against nginx (form prefilled: 20 users, 5 min)
	$(VENV_BIN)/locust -f locustfile.py --host http://127.0.0.1:8084 --web-host 127.0.0.1 --web-port 8089 -u 20 -r 10 -t 5m

bench: ## benchmark through nginx (wrk + Locust, SQL per request, RSS); BENCH_ARGS="--duration 10"
	$(VENV_BIN)/python bench/run.py $(BENCH_ARGS)

chaos: ## failover under load (write gap, lost and failed writes) and creates/s with semi-sync on vs off
	$(VENV_BIN)/python bench/chaos.py $(CHAOS_ARGS)

messages: ## refresh locale/en/LC_MESSAGES/django.po from the sources (then translate the new msgids)
	$(LINT_ENV) $(VENV_BIN)/python manage.py makemessages --locale=en --no-location --ignore=".*" --ignore=staticfiles

metrics: ## scrape GET /metrics on each node (Prometheus text; loopback only, nginx does not serve it)
	@for url in $$($(PYTHON) -c "from cluster.topology import APPS; print(' '.join(a.url for a in APPS))"); do \
		echo "# --- $$url/metrics"; curl -fsS "$$url/metrics" || exit 1; done
