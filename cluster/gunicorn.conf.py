"""gunicorn settings for one salas node (app1..app3 locally, an app container in Docker).

Started by supervisord as
    gunicorn salas_project.wsgi:application -c cluster/gunicorn.conf.py \
        --bind 127.0.0.1:5000 --name app1 --pid .state/run/app1.pid
with NODE_NAME set per node. Everything here can be overridden on the command line.

Sizing (local cluster on a 2-core machine): 3 nodes x 2 workers x 4 threads.
- 2 worker processes per node, 6 in all: the GIL lets one thread per process run
  Python at a time, so 6 processes keep both cores busy even while some threads
  wait on MariaDB, without so many that context switches and memory (~60 MiB each)
  grow. A worker that dies or is recycled leaves its sibling serving.
- 4 threads per worker (gthread): most request time is spent waiting on the
  database, and threads overlap that wait. That makes 8 requests in flight per
  node, 24 in all, before nginx queues.
- Database connections: with CONN_MAX_AGE each thread keeps at most one
  connection to the primary and one to its replica, so at most 3 x 8 = 24 per
  server, far below max_connections=300.
GUNICORN_WORKERS and GUNICORN_THREADS override the numbers (a Docker host with more
cores, a benchmark).

Reloads: `make restart SERVICE=app1` sends HUP. gunicorn re-reads this file, starts
new workers (which import the code afresh, since preload_app is off) and retires
the old ones gracefully, so no request is dropped.
"""

import os
import shutil
import tempfile

from gunicorn.glogging import Logger

# gunicorn has put the checkout (its working directory) on sys.path by now.
from core.logging import mask_feed_tokens

_node = os.environ.get("NODE_NAME", "local")

worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# Same limit as nginx's proxy_read_timeout: a request nginx gave up on is not worth
# finishing.
timeout = 30
# On HUP or TERM a worker may finish its requests for this long; supervisord's
# stopwaitsecs (30) is longer.
graceful_timeout = 20
# Longer than nginx's upstream keepalive_timeout (4 s), so nginx closes idle
# connections first (see nginx/nginx.conf.template).
keepalive = 5
# Recycle workers now and then (bounds slow leaks); the jitter stops all six from
# restarting at the same moment. A restart costs ~0.5 s of CPU (Django reloads), so the
# count is high: at saturation a low one spent a visible share of both cores on restarts
# (the README's benchmark history), while a worker's memory stays flat (every per-process
# cache is bounded: settings.CACHES, core.memo).
max_requests = 1_000_000
max_requests_jitter = 100_000

# The default control socket (~/.gunicorn/gunicorn.ctl) is shared by every instance
# on the machine, so three nodes would clash; supervisord signals are enough here.
control_socket_disable = True
# Heartbeat files in memory, not on a possibly slow disk (gunicorn's advice; S108: each
# worker's file is created by gunicorn with a random name, mkstemp-style).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
proc_name = f"salas-{_node}"

# The error log goes to stderr: supervisord writes it to .state/logs/<node>.log,
# Docker to the container log. No access log by default: nginx's already records
# every request with the node that answered, its status, time and request id, and
# a second line per request here cost 0.17 ms of CPU (the cached read path went
# from about 2,000 to 3,000 req/s without it). GUNICORN_ACCESS_LOG=1 turns it on,
# to watch a node that is hit directly; the request id is the one nginx set.
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG") == "1" else None
errorlog = "-"


class FeedTokenMaskingLogger(Logger):
    """The access log above, with calendar feed tokens written /ical/*** (reservas.feeds).

    Masked on the decoded path, so a percent-encoded request line is masked too.
    """

    def atoms(self, resp, req, environ, request_time):  # untyped, as gunicorn declares it
        atoms = super().atoms(resp, req, environ, request_time)
        path = environ.get("PATH_INFO", "")
        if path.startswith("/ical/"):
            atoms["U"] = mask_feed_tokens(path)
            atoms["r"] = f"{environ['REQUEST_METHOD']} {atoms['U']} {environ['SERVER_PROTOCOL']}"
        return atoms


logger_class = FeedTokenMaskingLogger
access_log_format = f'%(h)s %(t)s "%(r)s" %(s)s %(b)s %(L)ss node={_node} rid=%({{x-request-id}}i)s "%(a)s"'

# Which connections may say the request came over HTTPS (X-Forwarded-Proto: https, the one
# scheme header believed): nginx's unix socket always (gunicorn trusts every connection
# without an address), TCP peers only when listed in FORWARDED_ALLOW_IPS (nginx's address
# under Docker). None by default: a local process on a node's port cannot claim HTTPS.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# GET /metrics (core/metrics.py): prometheus_client's multiprocess mode. Each worker
# writes its counters to files in this dir and a scrape sums them, so the figures are
# the node's, whichever worker answers. One fresh dir per gunicorn master (a restart
# starts from zero; nodes and checkouts never share one); HUP keeps it, so counters
# survive a graceful reload. A dir given in the environment is used as it is.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(
        prefix=f"salas-metrics-{_node}-", dir=worker_tmp_dir
    )
    os.environ["SALAS_METRICS_DIR_MADE"] = os.environ["PROMETHEUS_MULTIPROC_DIR"]


def on_exit(server):
    made = os.environ.get("SALAS_METRICS_DIR_MADE")
    if made:
        shutil.rmtree(made, ignore_errors=True)
