import pytest
from django.contrib.auth.models import Group

from replication.health import PRIMARY
from replication.snapshot import PositionCache

# Outside a test transaction: the primary's cache works on committed state.
pytestmark = pytest.mark.django_db(transaction=True)


def test_primary_pages_are_reused_until_anything_commits(user):
    cache = PositionCache("test")
    computed: list[int] = []

    def compute() -> bytes:
        computed.append(Group.objects.count())
        return str(computed[-1]).encode()

    assert cache.get_or_compute(PRIMARY, "k", compute) == b"0"
    assert cache.get_or_compute(PRIMARY, "k", compute) == b"0"
    assert computed == [0]  # the second answer came from the cache
    Group.objects.create(name="any commit")
    assert cache.get_or_compute(PRIMARY, "k", compute) == b"1"
    assert computed == [0, 1]


def test_entries_are_separate_per_key(user):
    cache = PositionCache("test")
    for key in ("a", "b"):
        cache.get_or_compute(PRIMARY, key, lambda key=key: key.encode())
    calls: list[str] = []
    assert cache.get_or_compute(PRIMARY, "a", lambda: calls.append("a") or b"a2") == b"a"
    assert cache.get_or_compute(PRIMARY, "b", lambda: calls.append("b") or b"b2") == b"b"
    assert calls == []


def test_reads_inside_a_transaction_are_never_cached(user):
    from django.db import transaction

    cache = PositionCache("test")
    calls: list[int] = []
    with transaction.atomic():
        for _ in range(2):
            cache.get_or_compute(PRIMARY, "k", lambda: calls.append(1) or b"x")
    assert calls == [1, 1]


def test_the_same_coordinates_on_another_server_are_another_state(monkeypatch):
    """After a switchover `default` reaches another server, whose binlog may stand at equal coordinates."""
    from django.db import connections

    from replication import snapshot, topology

    monkeypatch.setattr(snapshot, "primary_binlog_coordinates", lambda: "binlog.000002:4242")
    here = connections["default"].settings_dict

    def primary_is(name: str) -> None:
        # The same test server under another name: what the backend sees after a switchover.
        address = topology.Address(name, here["HOST"], int(here["PORT"]))
        monkeypatch.setattr(topology, "targets", lambda: topology.Targets(address, None))

    primary_is("db1")
    before = snapshot.current_token("default")
    primary_is("db2")
    after = snapshot.current_token("default")
    assert before.startswith("db1|") and after.startswith("db2|")
    assert before != after


def test_a_page_is_filed_under_the_requests_token_only_if_its_snapshot_saw_all_of_it(user, monkeypatch):
    """SHOW MASTER STATUS counts a transaction waiting for its semi-sync acknowledgement,
    which a snapshot taken meanwhile does not see: such a page must not answer for that token."""
    from replication import snapshot

    server = snapshot.on_server(PRIMARY, "")  # the token's server part, as the cache writes it
    request_token = f"{server}db1-bin.000001:2000"  # includes a transaction still committing
    snapshot_at = {"token": f"{server}db1-bin.000001:1500"}
    real = snapshot._compute_in_consistent_snapshot  # noqa: SLF001

    def snapshot_before_that_commit(compute):
        value = real(compute)[1]
        return snapshot_at["token"], value

    monkeypatch.setattr(snapshot, "_compute_in_consistent_snapshot", snapshot_before_that_commit)
    cache = PositionCache("test")
    computed: list[str] = []
    page = lambda: computed.append("x") or b"page"  # noqa: E731
    cache.get_or_compute(PRIMARY, "k", page, token=request_token)
    cache.get_or_compute(PRIMARY, "k", page, token=request_token)
    assert computed == ["x", "x"]  # not served for the token its snapshot did not cover
    assert cache.get(PRIMARY, "k", snapshot_at["token"]) == b"page"  # but for its own coordinates
    snapshot_at["token"] = request_token  # a snapshot that saw everything up to the token
    cache.get_or_compute(PRIMARY, "k", page, token=request_token)
    cache.get_or_compute(PRIMARY, "k", page, token=request_token)
    assert computed == ["x", "x", "x"]


@pytest.mark.parametrize(
    ("snapshot_token", "token", "expected"),
    [
        ("db1|b.000001:2000", "db1|b.000001:2000", True),
        ("db1|b.000001:2500", "db1|b.000001:2000", True),
        ("db1|b.000001:1500", "db1|b.000001:2000", False),
        ("db2|b.000001:2000", "db1|b.000001:2000", False),
        ("db1|b.000002:4", "db1|b.000001:2000", False),  # another file: not compared, not reused
        ("db1|", "db1|b.000001:2000", False),
    ],
)
def test_snapshot_coordinates_cover_a_token(snapshot_token, token, expected):
    from replication import snapshot

    assert snapshot._sees_all_of(snapshot_token, token) is expected  # noqa: SLF001


def test_the_last_states_results_are_served_without_the_caches_copy(user):
    cache = PositionCache("test")
    token = snapshot_token()
    cache.get_or_compute(PRIMARY, "bytes", lambda: (b"page", "etag"), token=token)
    cache.get_or_compute(PRIMARY, "list", lambda: [1, 2], token=token)
    # An immutable result: the very object remembered. A mutable one: each caller its own copy.
    assert cache.get(PRIMARY, "bytes", token) is cache.get(PRIMARY, "bytes", token)
    first = cache.get(PRIMARY, "list", token)
    first.append(3)
    assert cache.get(PRIMARY, "list", token) == [1, 2]


def test_clearing_forgets_the_remembered_results_of_every_cache(user):
    pages, details = PositionCache("test-pages"), PositionCache("test-details")
    token = snapshot_token()
    for cache in (pages, details):
        cache.get_or_compute(PRIMARY, "k", lambda: b"old", token=token)
    pages.clear()  # as Django's cache.clear(): every name's entries
    for cache in (pages, details):
        assert cache.get(PRIMARY, "k", token) is None
        assert cache.get_or_compute(PRIMARY, "k", lambda: b"new", token=token) == b"new"


def test_a_remembered_result_answers_only_for_its_own_token(user):
    cache = PositionCache("test")
    token = snapshot_token()
    cache.get_or_compute(PRIMARY, "k", lambda: b"then", token=token)
    assert cache.get(PRIMARY, "k", token) == b"then"
    assert cache.get(PRIMARY, "k", token + "0") is None  # another state: not this one's page
    assert cache.get_or_compute(PRIMARY, "k", lambda: b"now", token=token + "0") == b"now"


def snapshot_token() -> str:
    """The primary's present state, as a request's token names it."""
    from replication import snapshot

    return snapshot.current_token(PRIMARY) or ""
