"""A per-process memo bounded in bytes, for values derived from what clients send.

Clients choose the keys (cookies, query strings, host headers), so a memo keyed
by them must stay small whatever they send: each entry is charged the size of
its key, and the oldest entries go first once the budget is spent.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

from django.core.signals import setting_changed

V = TypeVar("V")

# What an entry costs beyond its key: the dict slot, the tuple, a small value.
_ENTRY_OVERHEAD = 200


def key_size(key: Hashable) -> int:
    if isinstance(key, str | bytes):
        return len(key)
    if isinstance(key, tuple):
        return sum(key_size(part) for part in key)
    if dataclasses.is_dataclass(key):
        return sum(key_size(getattr(key, field.name)) for field in dataclasses.fields(key))
    return 16


class BoundedMemo(Generic[V]):
    """Least recently used entries evicted once their keys' bytes pass `max_bytes`."""

    def __init__(self, max_bytes: int, *, max_key_bytes: int = 8192, value_bytes: int = 0):
        self._entries: OrderedDict[Hashable, tuple[int, V]] = OrderedDict()
        self._lock = threading.Lock()
        self._bytes = 0
        self.max_bytes = max_bytes
        # A key larger than this is not remembered at all: recomputing is cheaper.
        self.max_key_bytes = max_key_bytes
        # What one value costs, for values larger than the entry overhead (a model instance).
        self.value_bytes = value_bytes

    def get(self, key: Hashable) -> V | None:
        # Readers take the lock too, here and in the other LRU tables (PositionCache,
        # RecordedHeaders). Unlocked, OrderedDict.move_to_end crashes the interpreter when
        # another thread changes the table while a key's Python __eq__ runs (CPython issue
        # 142637; the tests that use core/tests/hammer.py die of it). Readers that never
        # wait for the lock (the move made only if it is free) served 0.79-1.08x the list
        # requests/s of these in 8 paired rounds of bench/pipeline.py: no gain to keep.
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: Hashable, value: V) -> None:
        size = key_size(key)
        if size > self.max_key_bytes:
            return
        cost = size + _ENTRY_OVERHEAD + self.value_bytes
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[0]
            self._entries[key] = (cost, value)
            self._bytes += cost
            while self._bytes > self.max_bytes and self._entries:
                _, (evicted, _) = self._entries.popitem(last=False)
                self._bytes -= evicted

    def pop(self, key: Hashable) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[0]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    @property
    def size_in_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)


def forget_when_changed(memo: BoundedMemo[Any], *setting_names: str) -> None:
    """Empty `memo` whenever one of these settings changes (override_settings in tests).

    For memos of things verified under a setting (a signature under SECRET_KEY):
    what was verified under the old value is verified again under the new one.
    """
    names = frozenset(setting_names)

    def receiver(*, setting: str, **kwargs: Any) -> None:
        if setting in names:
            memo.clear()

    # Held by the signal strongly: the memo lives as long as the process.
    setting_changed.connect(receiver, weak=False)
