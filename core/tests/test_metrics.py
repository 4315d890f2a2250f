"""GET /metrics on one node: who may read it, and its counters moving (bookings: reservas/tests/test_metrics.py)."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from core.metric_buffer import flush_all

pytestmark = pytest.mark.django_db


def scrape(client, **extra) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_loopback_reads_the_figures(client):
    figures = scrape(client)
    names = {name for name, _labels in figures}
    assert {"salas_topology_epoch", "salas_primary_reachable", "salas_topology_changes"} <= names
    assert figures[("salas_topology_changes", (("kind", "failover"),))] >= 0


@pytest.mark.parametrize("address", ["10.1.2.3", "192.168.0.7", "2001:db8::1"])
def test_other_networks_are_refused(client, address):
    response = client.get("/metrics", REMOTE_ADDR=address)
    assert response.status_code == 403
    assert set(response.json()) == {"error", "fields"}


def test_a_configured_network_may_read(client, settings):
    settings.MONITORING_NETWORKS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics").status_code == 403


def reads_total() -> float:
    flush_all()  # what a scrape does first: counts taken on requests wait in memory until then
    samples = (
        sample for family in REGISTRY.collect() if family.name == "salas_reads" for sample in family.samples
    )
    return sum(sample.value for sample in samples if sample.name == "salas_reads_total")


def test_reads_are_counted_by_route(client):
    before = reads_total()
    client.get("/login")
    client.get("/api/status")
    assert reads_total() == before + 2


def test_a_scrape_shows_this_process_counts_up_to_the_moment(client):
    before = scrape(client)
    client.get("/api/status")
    client.get("/api/status")
    after = scrape(client)
    key = ("salas_request_duration_seconds_count", (("method", "GET"),))
    # The two requests and the first scrape itself, each timed once.
    assert after[key] == before.get(key, 0) + 3
    reads = sum(value for (name, _labels), value in after.items() if name == "salas_reads_total")
    assert reads == sum(value for (name, _labels), value in before.items() if name == "salas_reads_total") + 3


def test_a_locked_out_sign_in_is_counted(client, user, settings):
    before = value("salas_login_locked_out_total")
    for _attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        client.post("/login", {"username": user.username, "password": "wrong"})
    assert value("salas_login_locked_out_total") >= before + 1
