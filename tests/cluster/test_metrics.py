"""GET /metrics on every node: served to loopback, never through nginx, and the figures move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.cluster.harness import (
    NGINX,
    NODES,
    create_room,
    post_json,
    signed_up_user,
    unique_code,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("healthy_cluster")

Figures = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(base: str) -> Figures:
    response = requests.get(f"{base}/metrics", timeout=10)
    assert response.status_code == 200, response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def total(figures: Figures, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(
        value
        for (found, found_labels), value in figures.items()
        if found == name and wanted <= set(found_labels)
    )


def test_every_node_serves_its_figures_and_nginx_does_not():
    for node, base in NODES.items():
        figures = scrape(base)
        assert total(figures, "salas_primary_reachable") == 1, node
        assert total(figures, "salas_semi_sync_enabled") == 1, node
        assert total(figures, "salas_topology_epoch") >= 1, node
    # Each replica's own node reports it usable, with its lag.
    for node, server in (("app2", "db2"), ("app3", "db3")):
        figures = scrape(NODES[node])
        assert total(figures, "salas_replica_usable", server=server) == 1, node
        assert total(figures, "salas_replica_lag_seconds", server=server) >= 0, node
    response = requests.get(f"{NGINX}/metrics", timeout=10)
    assert response.status_code == 404
    assert set(response.json()) == {"error", "fields"}


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "No encontrado."),
        ({"Accept-Language": "en-US,en;q=0.9"}, "Not found."),
        ({"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}, "No encontrado."),
        ({"Accept-Language": "es-ES", "Cookie": "django_language=en"}, "Not found."),
    ],
)
def test_nginx_answers_in_the_page_language(headers, message):
    # nginx's own answers (this 404, its 429s and 502) pick the language as the nodes do.
    response = requests.get(f"{NGINX}/metrics", headers=headers, timeout=10)
    assert response.status_code == 404 and response.json() == {"error": message, "fields": {}}


def test_a_booking_conflict_moves_the_conflict_count():
    session, _name = signed_up_user()
    codigo = unique_code("MET")
    assert create_room(session, codigo).status_code == 201
    start = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    body = {"sala": codigo, "titulo": "m", "asistentes": 1, "inicio": start.isoformat()}
    before = sum(total(scrape(base), "salas_bookings_total", result="conflict") for base in NODES.values())
    first = post_json(
        session, f"{NGINX}/reserva/create", {**body, "fin": (start + timedelta(hours=1)).isoformat()}
    )
    assert first.status_code == 201, first.text
    clash = post_json(
        session, f"{NGINX}/reserva/create", {**body, "fin": (start + timedelta(minutes=30)).isoformat()}
    )
    assert clash.status_code == 409, clash.text
    wait_until(
        lambda: (
            sum(total(scrape(base), "salas_bookings_total", result="conflict") for base in NODES.values())
            >= before + 1
        ),
        timeout=10,
        what="the conflict counted on the node that refused it",
    )


def test_a_stopped_replica_shows_unusable_and_its_reads_move_to_the_primary(healthy_cluster):
    supervisor, app3 = healthy_cluster, NODES["app3"]
    before = total(scrape(app3), "salas_reads_total", route="primary", reason="replica-down")
    supervisor.stop("db3")
    wait_until(
        lambda: (
            total(scrape(app3), "salas_replica_usable", server="db3", reason="replica-down") == 0
            and ("salas_replica_usable", (("reason", "replica-down"), ("server", "db3"))) in scrape(app3)
        ),
        timeout=15,
        what="app3 reporting db3 unusable",
    )
    for _ in range(3):
        assert requests.get(f"{app3}/api/status", timeout=10).status_code == 200
    # The node's other worker hands its counts over once a second (core/metric_buffer.py).
    wait_until(
        lambda: (
            total(scrape(app3), "salas_reads_total", route="primary", reason="replica-down") >= before + 3
        ),
        timeout=10,
        what="app3 counting its reads on the primary",
    )


def test_request_latency_is_measured_on_every_node():
    def timed(base: str) -> float:
        return total(scrape(base), "salas_request_duration_seconds_count", method="GET")

    before = {node: timed(base) for node, base in NODES.items()}
    for node, base in NODES.items():
        for _ in range(3):
            assert requests.get(f"{base}/api/status", timeout=10).status_code == 200
        wait_until(
            lambda base=base, node=node: timed(base) >= before[node] + 3, timeout=10, what=f"{node} timing"
        )
        figures = scrape(base)
        # Every timed request is in the +Inf bucket, and the slowest took some time.
        assert total(figures, "salas_request_duration_seconds_bucket", method="GET", le="+Inf") == total(
            figures, "salas_request_duration_seconds_count", method="GET"
        )
        assert total(figures, "salas_request_duration_seconds_sum", method="GET") > 0
