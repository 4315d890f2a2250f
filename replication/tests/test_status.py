import pytest

pytestmark = pytest.mark.django_db


def test_status_names_the_node_and_its_read_source(client, settings):
    response = client.get("/api/status")
    assert response.status_code == 200
    body = response.json()
    assert body["node"] == settings.NODE_NAME == response["X-Node"]
    assert body["status"] == "ok"
    assert body["reads_from"] == "primary"
    assert body["primary"]["reachable"] is True


DETAIL = {"reads_from", "reason", "read_server_id", "primary", "replica", "writes", "topology", "semi_sync"}


def test_an_anonymous_client_elsewhere_gets_the_status_only(client, settings):
    response = client.get("/api/status", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    assert response.json() == {"node": settings.NODE_NAME, "status": "ok"}


def test_staff_and_monitoring_networks_get_the_detail(client, staff_user, settings):
    settings.MONITORING_NETWORKS = ["198.51.100.0/24"]
    assert response_keys(client, "198.51.100.7") >= DETAIL
    assert not DETAIL & response_keys(client, "127.0.0.1")
    client.force_login(staff_user)
    assert response_keys(client, "203.0.113.9") >= DETAIL


def response_keys(client, address: str) -> set[str]:
    return set(client.get("/api/status", REMOTE_ADDR=address).json())
