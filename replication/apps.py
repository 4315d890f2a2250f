from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReplicationConfig(AppConfig):
    name = "replication"
    verbose_name = _("Replicación")

    def ready(self) -> None:
        # GET /metrics (core/metrics.py) shows the servers' state; core imports no app.
        from core.metrics import add_live_collector
        from replication import metrics_collector

        add_live_collector(metrics_collector)
