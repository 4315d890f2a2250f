"""GET /metrics: the node's figures in Prometheus' text format, for MONITORING_NETWORKS only.

Under gunicorn each worker writes its counters to files in PROMETHEUS_MULTIPROC_DIR
(cluster/gunicorn.conf.py makes one per node) and the worker answering a scrape sums
them all, so one scrape covers the whole node. Without that variable (tests, a shell)
the process's own registry answers. The servers' state is read at scrape time
(replication.metrics_collector()).
"""

from __future__ import annotations

import os

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from core.http import address_in, client_ip, json_error
from replication import metrics_collector


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not address_in(client_ip(request), "MONITORING_NETWORKS"):
        return json_error(403, _("No tienes permiso para esta acción."))
    live = CollectorRegistry(auto_describe=False)
    live.register(metrics_collector())
    body = generate_latest(_counters()) + generate_latest(live)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


def _counters() -> CollectorRegistry:
    """Every worker's counters of this node, or this process's own outside gunicorn."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry(auto_describe=False)
    MultiProcessCollector(registry)
    return registry
