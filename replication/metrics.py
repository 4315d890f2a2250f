"""The data tier's figures for GET /metrics (core/metrics.py serves them).

Two kinds. Counters of what requests did (where each read went, how read-your-writes
checks ended) are counted on the request path, in memory, and handed to
prometheus_client once a second (core.metric_buffer); in gunicorn's multiprocess
mode it sums them over the node's workers. Gauges of the servers' state
(this node's replica: usable, lag; the primary: reachable, semi-sync; the topology
record: epoch, switchovers and failovers) are read when a scrape asks, from the same
cached verdicts the router uses, so a scrape adds at most one health query per TTL.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterator

from prometheus_client import Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from core.metric_buffer import BufferedCounter
from replication import ha_status, health, topology
from replication.state import REPLICA

READS = BufferedCounter(
    Counter(
        "salas_reads",
        "Read requests (GET, HEAD, OPTIONS) by the server that answered them and the router's reason.",
        ["route", "reason"],
    )
)
READ_YOUR_WRITES = BufferedCounter(
    Counter(
        "salas_read_your_writes_checks",
        "Reads carrying the client's last write: the replica had applied it in time (replica), "
        "or the read went to the primary (primary).",
        ["outcome"],
    )
)


def count_read(alias: str, reason: str) -> None:
    READS.inc("replica" if alias == REPLICA else "primary", reason)


def count_read_your_writes(replica_had_it: bool) -> None:
    READ_YOUR_WRITES.inc("replica" if replica_had_it else "primary")


class ReplicationCollector(Collector):
    """Gauges of the servers as this node sees them, computed at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        current = topology.current()
        yield from self._topology(current)
        primary = health.primary_health()
        reachable = GaugeMetricFamily(
            "salas_primary_reachable",
            "Whether this node reaches the primary (1) or not (0).",
            labels=["server"],
        )
        reachable.add_metric([current.primary], 1 if primary.reachable else 0)
        yield reachable
        yield from self._replica(current)
        if primary.reachable:
            yield from self._semi_sync()

    @staticmethod
    def _topology(current: topology.Topology) -> Iterator[GaugeMetricFamily]:
        epoch = GaugeMetricFamily("salas_topology_epoch", "Changes of primary since the cluster was set up.")
        epoch.add_metric([], current.epoch)
        yield epoch
        kinds = Tally(str(change.get("kind")) for change in current.history)
        changes = GaugeMetricFamily(
            "salas_topology_changes",
            f"Switchovers and failovers in the topology record (its last {topology.HISTORY_KEPT}).",
            labels=["kind"],
        )
        for kind in ("switchover", "failover"):
            changes.add_metric([kind], kinds.get(kind, 0))
        yield changes
        primary = GaugeMetricFamily(
            "salas_topology_primary", "The primary named by the topology record.", labels=["server"]
        )
        primary.add_metric([current.primary], 1)
        yield primary

    @staticmethod
    def _replica(current: topology.Topology) -> Iterator[GaugeMetricFamily]:
        server = topology.node_server()
        if server is None or server == current.primary:
            return  # this node reads the primary: it has no replica to report on
        verdict = health.replica_health()
        if verdict.reason == health.REASON_DISABLED:
            return
        usable = GaugeMetricFamily(
            "salas_replica_usable",
            "Whether this node's replica may serve reads (1) or reads go to the primary (0).",
            labels=["server", "reason"],
        )
        usable.add_metric([server, verdict.reason], 1 if verdict.usable else 0)
        yield usable
        lag = GaugeMetricFamily(
            "salas_replica_lag_seconds",
            "Seconds_Behind_Master of this node's replica (NaN while replication is stopped or down).",
            labels=["server"],
        )
        lag.add_metric([server], float("nan") if verdict.lag is None else verdict.lag)
        yield lag

    @staticmethod
    def _semi_sync() -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        state = ha_status.semi_sync_body()
        if state is None:
            return
        for name, key, text in (
            ("enabled", "enabled", "Semi-synchronous replication is switched on at the primary."),
            ("active", "active", "Semi-sync is in force (0 while enabled: fell back to asynchronous)."),
            ("replicas_acknowledging", "replicas_acknowledging", "Replicas acknowledging commits."),
        ):
            gauge = GaugeMetricFamily(f"salas_semi_sync_{name}", text)
            gauge.add_metric([], float(state[key] or 0))
            yield gauge
        for name, key, text in (
            (
                "acknowledged_commits",
                "acknowledged_commits",
                "Commits a replica acknowledged (primary's count).",
            ),
            ("unacknowledged_commits", "unacknowledged_commits", "Commits made without an acknowledgement."),
        ):
            if state[key] is not None:
                yield CounterMetricFamily(f"salas_semi_sync_{name}", text, value=state[key])
