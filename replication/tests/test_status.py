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
