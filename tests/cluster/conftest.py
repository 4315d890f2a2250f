"""Cluster tests run against the system `make up` started; each leaves it healthy."""

from __future__ import annotations

import pytest

from cluster.topology import STATUS_ORDER
from replication import sql
from tests.cluster import ha
from tests.cluster.harness import (
    DB_PORTS,
    DBS,
    FLAVOR,
    NGINX,
    NODES,
    REPLICAS,
    Supervisor,
    status,
    wait_until,
)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/cluster" in str(item.fspath):
            item.add_marker(pytest.mark.cluster)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Lets fixtures see whether the test failed (the browser test saves a screenshot).
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def supervisor() -> Supervisor:
    return Supervisor()


def _set_delay(name: str, seconds: int) -> None:
    db = DBS[name]
    connection = db.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.stop_replica(FLAVOR))
            cursor.execute(sql.set_delay(FLAVOR, seconds))
            cursor.execute(sql.start_replica(FLAVOR))
    finally:
        connection.close()


def _replicas_healthy() -> bool:
    for name in REPLICAS:
        row = DBS[name].status()
        if row.get("Slave_IO_Running") != "Yes" or row.get("Slave_SQL_Running") != "Yes":
            return False
    return True


def restore_cluster(supervisor: Supervisor) -> None:
    # Tests here stop db1 on purpose, longer than FAILOVER_AFTER_SECONDS: the
    # monitor must not fail over meanwhile (test_ha.py releases the hold).
    ha.hold_failover()
    ha.restore_topology(supervisor)
    for service in STATUS_ORDER:
        if supervisor.state(service) != "RUNNING":
            supervisor.start(service, wait=True)
    for name in DB_PORTS:
        wait_until(DBS[name].alive, timeout=60, what=f"{name} to answer")
    for name in REPLICAS:
        row = DBS[name].status()
        if int(row.get("SQL_Delay") or 0) != 0:
            _set_delay(name, 0)
        elif row.get("Slave_SQL_Running") != "Yes" or row.get("Slave_IO_Running") != "Yes":
            DBS[name].query(sql.start_replica(FLAVOR))
    wait_until(_replicas_healthy, timeout=60, what="both replicas replicating")
    for node, base in NODES.items():
        wait_until(lambda base=base: status(base)["status"] == "ok", timeout=30, what=f"{node} status ok")
    wait_until(lambda: status(NGINX)["status"] == "ok", timeout=30, what="nginx answering")


@pytest.fixture
def healthy_cluster(supervisor):
    """Start from, and give back, a fully healthy cluster (even when the test failed)."""
    restore_cluster(supervisor)
    yield supervisor
    restore_cluster(supervisor)


@pytest.fixture
def set_delay():
    changed: list[str] = []

    def apply(name: str, seconds: int) -> None:
        changed.append(name)
        _set_delay(name, seconds)

    yield apply
    for name in changed:
        _set_delay(name, 0)


@pytest.fixture
def replicas_delayed(set_delay):
    """Both replicas applying everything 3 s late: within the lag limit, so the nodes still read them."""
    for name in REPLICAS:
        set_delay(name, 3)
    for name in REPLICAS:
        wait_until(lambda name=name: DBS[name].status().get("SQL_Delay") == 3, what=f"delay on {name}")


@pytest.fixture(scope="session", autouse=True)
def _failover_hold_released():
    """Whatever happened, the cluster fails over by itself again after the session."""
    yield
    ha.release_failover()


@pytest.fixture
def ha_cluster(supervisor):
    """A healthy cluster with db1 the primary and automatic failover on; given back the same way."""
    restore_cluster(supervisor)
    ha.release_failover()
    yield supervisor
    restore_cluster(supervisor)
