"""Counts and timings taken on every request, gathered in the process and handed to prometheus_client once a second.

Under gunicorn prometheus_client runs in multiprocess mode: each increment takes
a lock and writes to an mmap'ed file, about 20 us per labelled increment under
load, several times a request. Here a request only adds to a dict in memory
(under a lock: gthread workers run several requests at once); a daemon thread
of the process moves the sums into the real metrics every FLUSH_SECONDS, at
process exit, and before this process answers a scrape (core/metrics.py). So a
scrape shows this worker's figures up to the moment and the node's other
workers' up to FLUSH_SECONDS old; a worker killed outright loses at most its
last FLUSH_SECONDS of counts.
"""

from __future__ import annotations

import atexit
import bisect
import logging
import os
import threading
import time
from collections.abc import Sequence
from typing import Any

from prometheus_client import Counter, Histogram

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 1.0


class _Buffer:
    """Pending figures per label values, taken whole by the flush; registered for flush_all()."""

    def __init__(self) -> None:
        self._pending: dict[tuple[str, ...], Any] = {}
        _process.buffers.append(self)

    def take(self) -> dict[tuple[str, ...], Any]:
        with _process.lock:
            pending, self._pending = self._pending, {}
        return pending

    def forget(self) -> None:
        self._pending = {}

    def flush(self) -> None:
        raise NotImplementedError


class _Process:
    """This process's buffers and its flushing thread (started on the first count)."""

    def __init__(self) -> None:
        self.buffers: list[_Buffer] = []
        self.lock = threading.Lock()
        self.flusher_started = False

    def start_flusher(self) -> None:
        with self.lock:
            if self.flusher_started:
                return
            self.flusher_started = True
        threading.Thread(target=_flush_forever, name="metrics-flush", daemon=True).start()

    def forked(self) -> None:
        # A fork copies the pending counts but not the thread: the child starts its own,
        # counting afresh (the parent still hands over what it had).
        self.lock = threading.Lock()
        self.flusher_started = False
        for buffer in self.buffers:
            buffer.forget()


_process = _Process()


class BufferedCounter(_Buffer):
    """A labelled Counter whose increments reach prometheus_client every FLUSH_SECONDS."""

    def __init__(self, counter: Counter):
        super().__init__()
        self.counter = counter

    def inc(self, *labels: str) -> None:
        """Count one, under these label values (in the Counter's label order)."""
        with _process.lock:
            self._pending[labels] = self._pending.get(labels, 0) + 1
        if not _process.flusher_started:
            _process.start_flusher()

    def flush(self) -> None:
        for labels, count in self.take().items():
            self.counter.labels(*labels).inc(count)


class BufferedHistogram(_Buffer):
    """A labelled Histogram whose observations reach prometheus_client every FLUSH_SECONDS."""

    def __init__(self, histogram: Histogram, buckets: Sequence[float]):
        super().__init__()
        self.histogram = histogram
        # The Histogram's own upper bounds, +Inf last; an observation counts in the first bound >= it.
        self.bounds = [*buckets, float("inf")]

    def observe(self, value: float, *labels: str) -> None:
        index = bisect.bisect_left(self.bounds, value)
        with _process.lock:
            entry = self._pending.get(labels)
            if entry is None:
                # A count per bucket, then the sum of the observations.
                entry = self._pending[labels] = [0] * (len(self.bounds) + 1)
            entry[index] += 1
            entry[-1] += value
        if not _process.flusher_started:
            _process.start_flusher()

    def flush(self) -> None:
        for labels, entry in self.take().items():
            child = self.histogram.labels(*labels)
            # prometheus_client has no public way to add many observations at once; its
            # per-bucket values (one mmap'ed file entry each in multiprocess mode) are what
            # observe() itself increments. core/tests/test_metric_buffer.py checks the result.
            for bucket, count in zip(child._buckets, entry[:-1], strict=True):  # noqa: SLF001
                if count:
                    bucket.inc(count)
            child._sum.inc(entry[-1])  # noqa: SLF001


def flush_all() -> None:
    """Hand every pending count and timing of this process to prometheus_client now."""
    for buffer in list(_process.buffers):
        buffer.flush()


def forget_buffer(buffer: _Buffer) -> None:
    """Stop flushing `buffer` (a test's own metrics)."""
    _process.buffers.remove(buffer)


def _flush_forever() -> None:
    while True:
        time.sleep(FLUSH_SECONDS)
        try:
            flush_all()
        except Exception:  # a failed flush (a full /dev/shm) must not end the thread
            logger.exception("could not write the request metrics")


os.register_at_fork(after_in_child=_process.forked)
atexit.register(flush_all)
