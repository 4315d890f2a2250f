"""Settings for every salas node, read from the environment (12-factor).

One file serves development, tests and the three-node cluster: what differs
between them (node name, which replica a node reads, secrets, HTTPS) comes from
environment variables, optionally loaded from a git-ignored `.env`.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Variables already in the environment win over `.env`, so a test or a node can
# override one value without editing the file.
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Copy .env.example to .env (make up does it) "
            "or export it; only DJANGO_DEBUG=1 runs without one."
        )
    SECRET_KEY = "insecure-development-only-key"  # noqa: S105 - local development default, DEBUG only

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

# Identity of this node, echoed in the X-Node header and /api/status.
NODE_NAME = env("NODE_NAME", default="local")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    # django-ninja: its Swagger UI files (static) and docs template for /api/docs.
    "ninja",
    "core",
    "replication",
    "failover",
    "accounts",
    "salas",
    "reservas",
]

MIDDLEWARE = [
    "core.middleware.NodeHeaderMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.DatabaseUnavailableMiddleware",
    "replication.middleware.ReadRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's LocaleMiddleware and MessageMiddleware, without their per-request work a
    # request that uses neither URL language prefixes nor messages does not need.
    "core.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's AuthenticationMiddleware, the session's user remembered for a bounded time.
    "accounts.middleware.SessionUserMiddleware",
    "core.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "salas_project.urls"
# Only the benchmark's own gunicorn tier sets this (bench/floor.py): the project's URLs plus
# a minimal view to measure Django's own cost against (bench/minimal_view.py).
if env.bool("BENCH_VIEWS", default=False):
    ROOT_URLCONF = "bench.minimal_view"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.node",
            ],
        },
    },
]

WSGI_APPLICATION = "salas_project.wsgi.application"

# --- Databases ---------------------------------------------------------------
# `default` is the primary (db1): every write and every migration goes there.
# `replica` is the database this node reads from (db2 on node 2, db3 on node 3);
# node 1 has no REPLICA_DATABASE_URL and reads the primary. The router in
# replication/router.py decides per query; views never pick a database.
_DB_OPTIONS = {
    "charset": "utf8mb4",
    # Fail fast when a server is down so the router can fall back (or the view
    # can answer 503) instead of hanging a worker.
    "connect_timeout": env.int("DB_CONNECT_TIMEOUT", default=2),
    "read_timeout": env.int("DB_READ_TIMEOUT", default=15),
    "write_timeout": env.int("DB_WRITE_TIMEOUT", default=15),
    "isolation_level": "read committed",
}


def _database(url: str) -> dict:
    config = env.db_url_config(url)
    config["OPTIONS"] = {**_DB_OPTIONS, **config.get("OPTIONS", {})}
    # Persistent connections, checked before reuse: a node survives a database
    # restart without being restarted itself.
    config["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=300)
    config["CONN_HEALTH_CHECKS"] = True
    return config


def _with_password(url: str, variable: str) -> str:
    """`url` with the password held in `variable` when the URL names a user but no password.

    .env keeps each password once (make up generates them; rotation changes one line);
    a URL that carries its own password (Docker Compose builds them) is left as it is.
    """
    parts = urlsplit(url)
    if not url or not parts.username or parts.password is not None:
        return url
    password = env(variable, default="")
    if not password:
        raise ImproperlyConfigured(
            f"{variable} is not set (make up or `python3 -m cluster env` generates it)"
        )
    userinfo, _, hostport = parts.netloc.rpartition("@")
    return parts._replace(netloc=f"{userinfo}:{quote(password, safe='')}@{hostport}").geturl()


# Which account `default` logs in as: the app's (DML only) or, for `manage.py migrate`
# alone, the schema owner's (DDL): DATABASE_ACCOUNT=migrate (make up's migrate step
# and docker/migrate.sh set it). The app never holds CREATE/ALTER/DROP at run time.
DATABASE_ACCOUNT = env("DATABASE_ACCOUNT", default="app")
if DATABASE_ACCOUNT not in {"app", "migrate"}:
    raise ImproperlyConfigured("DATABASE_ACCOUNT must be 'app' or 'migrate'")
# The schema owner's URL; setup_replication creates that account on the primary.
MIGRATE_DATABASE_URL = _with_password(env("MIGRATE_DATABASE_URL", default=""), "DB_MIGRATE_PASSWORD")
if DATABASE_ACCOUNT == "migrate":
    _PRIMARY_URL = MIGRATE_DATABASE_URL
else:
    _PRIMARY_URL = _with_password(env("DATABASE_URL", default=""), "DB_APP_PASSWORD")
if not _PRIMARY_URL:
    raise ImproperlyConfigured(
        f"{'MIGRATE_DATABASE_URL' if DATABASE_ACCOUNT == 'migrate' else 'DATABASE_URL'} is not set "
        "(see .env.example; make up writes .env)."
    )
_REPLICA_URL = _with_password(env("REPLICA_DATABASE_URL", default=""), "DB_APP_PASSWORD")

# The server this node reads (node i reads server i, whatever its role after a
# switchover or failover). Set, both aliases follow the topology (see below).
NODE_DATABASE = env("NODE_DATABASE", default="")

DATABASES = {
    "default": _database(_PRIMARY_URL),
    "replica": _database(_REPLICA_URL or _PRIMARY_URL),
}
# Both aliases use replication/backend: `default` connects to whichever server the
# topology (replication/topology.py) names as primary, so writes follow a
# switchover or failover without a restart; `replica` to this node's own server
# (or, while that one is the primary, to the next one, read only while the
# primary is down). The URLs' credentials and database name are kept.
DATABASES["default"]["ENGINE"] = "replication.backend"
DATABASES["default"]["SALAS_ROLE"] = "primary"
if NODE_DATABASE:
    DATABASES["replica"]["ENGINE"] = "replication.backend"
    DATABASES["replica"]["SALAS_ROLE"] = "node-read"
# A hung replica must not hold a request long: reads have the primary to go to.
DATABASES["replica"]["OPTIONS"]["read_timeout"] = env.int("REPLICA_READ_TIMEOUT", default=3)
# In unit tests the replica alias is the primary itself; replication proper is
# tested against the real cluster (tests/cluster).
DATABASES["replica"]["TEST"] = {"MIRROR": "default"}

DATABASE_ROUTERS = ["replication.router.PrimaryReplicaRouter"]

# Whether this node has a replica to read from.
READ_REPLICA_ENABLED = bool(_REPLICA_URL or NODE_DATABASE)
# "replica": read the replica while it is fit (nodes 2 and 3). "primary": read the
# primary, and the replica only while the primary is down (node 1, whose replica
# is a fallback so that it keeps serving reads through a primary outage).
READ_PREFERENCE = env("READ_PREFERENCE", default="replica")
if READ_PREFERENCE not in {"replica", "primary"}:
    raise ImproperlyConfigured("READ_PREFERENCE must be 'replica' or 'primary'")
# Above this lag (seconds) reads leave the replica for the primary.
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=5.0)
# How long a replica health verdict is reused before the replica is asked again.
REPLICA_HEALTH_TTL_SECONDS = env.float("REPLICA_HEALTH_TTL_SECONDS", default=1.0)
# How long a read waits for the replica to apply the client's own last write
# before it goes to the primary instead.
READ_YOUR_WRITES_WAIT_SECONDS = env.float("READ_YOUR_WRITES_WAIT_SECONDS", default=0.05)
# How long a node reuses a server's state (its GTID position) before asking again:
# a reader who has not written may see a page this much older than the server;
# a reader who wrote is always shown its write (replication.remembered.recent_state).
STATE_RECHECK_SECONDS = env.float("STATE_RECHECK_SECONDS", default=0.05)

# --- Cache ------------------------------------------------------------------------
# Hot reads (replication.StateCache: the room list) are cached per worker process, each
# entry keyed by the database state it was read from, so entries never go stale, they
# just stop being asked for; the size limit bounds a worker's memory (a 100-room page is
# ~18 KB).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "salas",
        "TIMEOUT": 300,
        "OPTIONS": {"MAX_ENTRIES": 256},
    }
}

# --- Bookings (reservas) ----------------------------------------------------------
# Shortest and longest booking, and how far ahead one may be made.
RESERVA_MIN_MINUTES = env.int("RESERVA_MIN_MINUTES", default=15)
RESERVA_MAX_HOURS = env.int("RESERVA_MAX_HOURS", default=12)
RESERVA_HORIZON_DAYS = env.int("RESERVA_HORIZON_DAYS", default=365)
# Per-person quotas (staff exempt): confirmed bookings not yet ended, and hours booked
# in one week (Monday to Sunday, local time). Refused with a 409 naming the limit.
RESERVA_MAX_FUTURE_PER_USER = env.int("RESERVA_MAX_FUTURE_PER_USER", default=100)
RESERVA_MAX_HOURS_PER_WEEK = env.int("RESERVA_MAX_HOURS_PER_WEEK", default=40)

# --- Replication setup (manage.py setup_replication / replication_status) ----
# Administrative connections (not the app user): the primary and each replica,
# as `name=url` pairs. The source host/port is the primary as the replicas see
# it (127.0.0.1:3308 locally, db1:3306 under Docker Compose).
REPLICATION_PRIMARY_URL = _with_password(env("REPLICATION_PRIMARY_URL", default=""), "DB_ADMIN_PASSWORD")
REPLICATION_REPLICA_URLS = {
    name: _with_password(url, "DB_ADMIN_PASSWORD")
    for name, url in env.dict("REPLICATION_REPLICA_URLS", default={}).items()
}
REPLICATION_SOURCE_HOST = env("REPLICATION_SOURCE_HOST", default="127.0.0.1")
REPLICATION_SOURCE_PORT = env.int("REPLICATION_SOURCE_PORT", default=3308)
REPLICATION_USER = env("REPLICATION_USER", default="repl")
REPLICATION_PASSWORD = env("REPLICATION_PASSWORD", default="")

# --- High availability (replication/topology.py; the failover app) ----------
# Every database server as name=host:port, as the app reaches it. Empty: taken
# from REPLICATION_PRIMARY_URL (db1) and REPLICATION_REPLICA_URLS.
DATABASE_SERVERS = env.dict("DATABASE_SERVERS", default={})
# Which server is the primary now (written by setup_replication, switchover and
# failover; read by every node). Shared by all nodes: a shared volume under Docker.
TOPOLOGY_FILE = env("TOPOLOGY_FILE", default=str(BASE_DIR / ".state" / "topology.json"))
# The monitor (manage.py monitor) fails over by itself when this is on and the
# primary has not answered for FAILOVER_AFTER_SECONDS, confirmed by the replicas.
FAILOVER_AUTO = env.bool("FAILOVER_AUTO", default=False)
FAILOVER_AFTER_SECONDS = env.float("FAILOVER_AFTER_SECONDS", default=3.0)
# Semi-synchronous replication: the primary answers a commit only once a replica
# has it. The timeout after which MariaDB/MySQL would silently fall back to
# asynchronous replication is set far beyond any client's wait (DB_READ_TIMEOUT),
# so that fallback never happens while the service runs: with no replica left,
# writes wait and the app answers 503 (outcome unknown), never 201.
SEMI_SYNC = env.bool("SEMI_SYNC", default=True)
SEMI_SYNC_TIMEOUT_MS = env.int("SEMI_SYNC_TIMEOUT_MS", default=4_294_967_295)
# How reclone stops and starts a server (local cluster: the cluster package, run as a directory).
SERVER_CONTROL_COMMAND = env(
    "SERVER_CONTROL_COMMAND", default=f"python3 {BASE_DIR / 'cluster'} {{action}} {{name}}"
)

# The Django admin account `manage.py ensure_admin` creates (make up runs it).
# With no password, one is generated and written once to `password_file` (0600),
# never to a log: the command prints only the file's path.
BOOTSTRAP_ADMIN = {
    "username": env("DJANGO_ADMIN_USERNAME", default="admin"),
    "email": env("DJANGO_ADMIN_EMAIL", default="admin@example.com"),
    "password": env("DJANGO_ADMIN_PASSWORD", default=""),
    "password_file": env("DJANGO_ADMIN_PASSWORD_FILE", default=str(BASE_DIR / ".state" / "admin-password")),
}

# --- Auth ----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.UsernameOrEmailBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "salas:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions live in signed cookies: no session row can ever be read from a
# lagging replica, and any node can serve any request. accounts/sessions.py
# verifies each cookie once per process instead of on every request.
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)
# How long a node reuses its verdict on a session's user (read from the primary) before
# reading it again: the bound within which a logout, a password change or a deactivation
# is honoured on every node (accounts/sessions.py).
SESSION_USER_CACHE_SECONDS = env.float("SESSION_USER_CACHE_SECONDS", default=1.0)
CSRF_COOKIE_SAMESITE = "Lax"
# Reject CSRF failures with our own JSON/HTML shape.
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

# Login throttling (django-axes): attempts are stored on the primary, so a
# lockout holds on every node.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(seconds=env.int("AXES_COOLOFF_SECONDS", default=15 * 60))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Beside the per-(account, address) limit above: this many failures from one address,
# whatever the accounts, lock that address out (accounts.throttling).
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=30)
AXES_HANDLER = "accounts.throttling.AddressAwareHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout"
AXES_CLIENT_IP_CALLABLE = "core.http.client_ip"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.throttling.lockout_username"
AXES_VERBOSE = False
# Successful sign-ins are already in the node logs; one write fewer per login.
AXES_DISABLE_ACCESS_LOG = True

# --- Mail (password reset) ---------------------------------------------------------
# EMAIL_URL as django-environ reads it: smtp://user:password@host:25,
# smtp+tls://...:587, smtp+ssl://...:465; `make up` points the nodes at
# smtp://127.0.0.1:8025 (README). Unset, mail is printed to the log only with DEBUG on
# (a reset link is a secret: no log that persists may hold it); otherwise there is no
# mail, and a password reset answers 503 saying so.
EMAIL_URL = env("EMAIL_URL", default="consolemail://" if DEBUG else "")
if EMAIL_URL:
    vars().update(env.email_url_config(EMAIL_URL))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="salas <no-reply@localhost>")
# A mail server that does not answer must not hold a worker long.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# The host (and port) reset links name. Empty: the request's Host, which
# ALLOWED_HOSTS bounds but whose port a client chooses: set it in a deployment.
SITE_DOMAIN = env("SITE_DOMAIN", default="")
# A reset link works once, and for this long.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 2)

# --- Security headers ----------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
# HTTPS: TLS=1 (nginx ends TLS, make up) or DJANGO_HTTPS=1 (a TLS proxy in front of nginx,
# listed in TLS_PROXY_NETWORKS) turns on everything `check --deploy` asks for. Whether a
# request came over HTTPS is wsgi.url_scheme, which gunicorn takes from X-Forwarded-Proto
# only on nginx's unix socket (or from FORWARDED_ALLOW_IPS: cluster/gunicorn.conf.py); nginx
# sets that header from its own scheme or a listed proxy's word. No SECURE_PROXY_SSL_HEADER:
# Django would believe the header from any local process that reaches a node's TCP port.
if env.bool("DJANGO_HTTPS", default=False) or env.bool("TLS", default=False):
    SECURE_SSL_REDIRECT = True
    # Health probes (make status, a load balancer) reach the nodes' ports over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^api/status$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# Balancers whose X-Real-IP header names the client over TCP: the compose network
# under Docker. None locally, where nginx comes over unix sockets and anything on
# a loopback port is some local process, not the balancer.
TRUSTED_PROXY_NETWORKS = env.list("TRUSTED_PROXY_NETWORKS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Clients that see /api/status in full (servers, GTID positions, failover history);
# everyone else gets ok/degraded/down and the node. Staff see it from anywhere.
# Only this machine's own address by default: other loopback addresses
# (127.0.0.2...) are other clients, which the cluster tests use to stand in for one.
MONITORING_NETWORKS = env.list("MONITORING_NETWORKS", default=["127.0.0.1/32", "::1/128"])

# --- I18n ------------------------------------------------------------------------
LANGUAGE_CODE = "es"
LANGUAGES = [("es", "Español"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The original system's users are in Ecuador. Bookings are stored in UTC and
# shown, expanded (recurrences) and parsed (bare dates) in this zone.
TIME_ZONE = env("TIME_ZONE", default="America/Guayaquil")
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Logging ---------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "node": {"format": f"%(asctime)s {NODE_NAME} %(levelname)s %(name)s: %(message)s"},
    },
    "filters": {
        "suspicious_as_warning": {"()": "core.logging.SuspiciousRequestAsWarning"},
        "mask_feed_tokens": {"()": "core.logging.MaskFeedTokens"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "node", "filters": ["mask_feed_tokens"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # Logger filters are not inherited: name each refusal Django logs per request.
        **{
            f"django.security.{name}": {"filters": ["suspicious_as_warning"]}
            for name in (
                "DisallowedHost",
                "DisallowedRedirect",
                "RequestDataTooBig",
                "SuspiciousOperation",
                "TooManyFieldsSent",
                "TooManyFilesSent",
            )
        },
    },
}
