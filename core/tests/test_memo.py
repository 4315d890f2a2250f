from core.memo import BoundedMemo, forget_when_changed
from core.tests.hammer import KEYS, Key, hammer, in_child


def test_a_memo_is_forgotten_when_a_setting_it_depends_on_changes(settings):
    memo: BoundedMemo[int] = BoundedMemo(1024)
    forget_when_changed(memo, "SECRET_KEY")
    memo.put("verified", 1)
    settings.LANGUAGE_CODE = "en"  # another setting: kept
    assert memo.get("verified") == 1
    settings.SECRET_KEY = "another-key-for-this-test-only"
    assert memo.get("verified") is None


def memo_under_threads() -> None:
    """Readers (equal keys, never the stored objects: __eq__ runs), a writer, pops and clears."""
    one = BoundedMemo[Key](10**6)
    one.put(KEYS[0], KEYS[0])
    cost = one.size_in_bytes
    memo = BoundedMemo[Key](20 * cost)  # room for half of the keys

    def read(call: int) -> None:
        key = KEYS[call % len(KEYS)]
        assert memo.get(Key(key.name)) in (None, key)

    def write(call: int) -> None:
        memo.put(KEYS[call % len(KEYS)], KEYS[call % len(KEYS)])

    def drop(call: int) -> None:
        memo.pop(KEYS[call % len(KEYS)])
        if call % 50 == 0:
            memo.clear()

    hammer(read, read, read, write, drop)
    assert len(memo) <= 20
    assert memo.size_in_bytes == len(memo) * cost


def test_threads_reading_while_others_evict_and_clear_neither_crash_nor_miscount():
    in_child("core.tests.test_memo", "memo_under_threads")
