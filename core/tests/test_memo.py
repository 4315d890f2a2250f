from core.memo import BoundedMemo, forget_when_changed


def test_a_memo_is_forgotten_when_a_setting_it_depends_on_changes(settings):
    memo: BoundedMemo[int] = BoundedMemo(1024)
    forget_when_changed(memo, "SECRET_KEY")
    memo.put("verified", 1)
    settings.LANGUAGE_CODE = "en"  # another setting: kept
    assert memo.get("verified") == 1
    settings.SECRET_KEY = "another-key-for-this-test-only"
    assert memo.get("verified") is None
