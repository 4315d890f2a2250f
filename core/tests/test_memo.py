import dataclasses
import sys
import threading
import time
from collections.abc import Callable

from core.memo import BoundedMemo, forget_when_changed


def test_a_memo_is_forgotten_when_a_setting_it_depends_on_changes(settings):
    memo: BoundedMemo[int] = BoundedMemo(1024)
    forget_when_changed(memo, "SECRET_KEY")
    memo.put("verified", 1)
    settings.LANGUAGE_CODE = "en"  # another setting: kept
    assert memo.get("verified") == 1
    settings.SECRET_KEY = "another-key-for-this-test-only"
    assert memo.get("verified") is None


@dataclasses.dataclass(frozen=True)
class _Key:
    name: str


def test_readers_take_no_lock_and_survive_writers_evicting_what_they_read():
    """With the GIL handed over every microsecond, readers meet keys evicted between their
    get() and their LRU move (mark_used): they must not raise, nor break the writers' sizes.
    The keys compare in Python code (a dataclass's __eq__), as the lanes' parameters do."""
    keys = [_Key(f"k{i:02d}") for i in range(40)]  # all the same size
    one = BoundedMemo[_Key](10**6)
    one.put(keys[0], keys[0])
    cost = one.size_in_bytes
    memo = BoundedMemo[_Key](20 * cost)  # room for half of the keys
    errors: list[BaseException] = []
    deadline = time.monotonic() + 1.0

    def run(work: Callable[[_Key], None]) -> None:
        try:
            while time.monotonic() < deadline:
                for key in keys:
                    work(key)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    def read(key: _Key) -> None:
        assert memo.get(key) in (None, key)

    def write(key: _Key) -> None:
        memo.put(key, key)

    def drop(key: _Key) -> None:
        if key.name.endswith("7"):
            memo.pop(key)

    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=run, args=(w,)) for w in (read, read, read, write, drop)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(before)
    assert errors == []
    assert 0 < len(memo) <= 20
    assert memo.size_in_bytes == len(memo) * cost
