import pytest
from django.contrib.auth.models import Group
from django.db import transaction

from replication import state
from replication.router import PrimaryReplicaRouter

# Any routed model will do; the data tier imports no domain app, not even in its tests.
router = PrimaryReplicaRouter()


@pytest.fixture
def route():
    with state.routed(state.ReadRoute("replica", "replica")) as current:
        yield current


def test_writes_and_migrations_go_to_the_primary():
    assert router.db_for_write(Group) == "default"
    assert router.allow_migrate("default", "salas")
    assert not router.allow_migrate("replica", "salas")


def test_reads_follow_the_request_route(route):
    assert router.db_for_read(Group) == "replica"
    route.pin_to_primary("read-your-writes")
    assert router.db_for_read(Group) == "default"


def test_after_a_write_the_request_reads_the_primary(route):
    state.note_write()
    assert router.db_for_read(Group) == "default"
    assert route.reason == "own-write"


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_primary_transaction_stay_on_the_primary(route):
    with transaction.atomic(using="default"):
        assert router.db_for_read(Group) == "default"
    assert router.db_for_read(Group) == "replica"


def test_login_throttling_state_is_always_read_from_the_primary(route):
    from axes.models import AccessAttempt

    assert router.db_for_read(AccessAttempt) == "default"


def test_without_a_replica_reads_use_the_primary(settings):
    settings.READ_REPLICA_ENABLED = False
    assert router.db_for_read(Group) == "default"


def test_write_requests_read_from_the_primary(rf, settings):
    from replication.middleware import ReadRoutingMiddleware

    settings.READ_REPLICA_ENABLED = True
    for method in ("POST", "PATCH", "DELETE"):
        route = ReadRoutingMiddleware.choose_route(rf.generic(method, "/sala/create"))
        assert (route.alias, route.reason) == ("default", "write-request")
