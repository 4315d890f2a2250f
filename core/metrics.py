"""GET /metrics: the node's figures in Prometheus' text format, for MONITORING_NETWORKS only.

Under gunicorn each worker writes its counters to files in PROMETHEUS_MULTIPROC_DIR
(cluster/gunicorn.conf.py makes one per node) and the worker answering a scrape sums
them all, so one scrape covers the whole node. Counts taken on every request reach
those files once a second (core/metric_buffer.py). Without that variable (tests, a shell)
the process's own registry answers. Figures read at scrape time (the servers' state)
come from collectors the apps register in their AppConfig.ready() (replication's):
core imports no app.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from core.http import address_in, client_ip, json_error
from core.metric_buffer import flush_all

# Each builds a collector read at scrape time; filled by add_live_collector().
_live_collectors: list[Callable[[], Collector]] = []


def add_live_collector(factory: Callable[[], Collector]) -> None:
    """Have every scrape include `factory()`'s figures (an app's AppConfig.ready() calls this)."""
    if factory not in _live_collectors:
        _live_collectors.append(factory)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not address_in(client_ip(request), "MONITORING_NETWORKS"):
        return json_error(403)
    flush_all()  # this worker's counts up to now; the node's other workers' at most a second old
    live = CollectorRegistry(auto_describe=False)
    for factory in _live_collectors:
        live.register(factory())
    body = generate_latest(_counters()) + generate_latest(live)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


def _counters() -> CollectorRegistry:
    """Every worker's counters of this node, or this process's own outside gunicorn."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry(auto_describe=False)
    MultiProcessCollector(registry)
    return registry
