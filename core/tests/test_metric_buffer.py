"""Counts and timings gathered in memory: they reach prometheus_client whole, once flushed."""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Histogram

from core.metric_buffer import BufferedCounter, BufferedHistogram, flush_all, forget_buffer


def test_counts_reach_the_counter_only_when_flushed():
    registry = CollectorRegistry()
    counter = BufferedCounter(Counter("t_hits", "test", ["kind"], registry=registry))
    try:
        counter.inc("a")
        counter.inc("a")
        counter.inc("b")
        assert registry.get_sample_value("t_hits_total", {"kind": "a"}) is None
        flush_all()
        assert registry.get_sample_value("t_hits_total", {"kind": "a"}) == 2
        assert registry.get_sample_value("t_hits_total", {"kind": "b"}) == 1
        flush_all()  # nothing new: nothing counted twice
        assert registry.get_sample_value("t_hits_total", {"kind": "a"}) == 2
    finally:
        forget_buffer(counter)


def test_no_count_is_lost_between_threads():
    registry = CollectorRegistry()
    counter = BufferedCounter(Counter("t_race", "test", ["kind"], registry=registry))
    try:

        def hammer() -> None:
            for _ in range(5000):
                counter.inc("x")

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for thread in threads:
            thread.start()
        for _ in range(20):
            flush_all()  # flushes racing the increments
        for thread in threads:
            thread.join()
        flush_all()
        assert registry.get_sample_value("t_race_total", {"kind": "x"}) == 20000
    finally:
        forget_buffer(counter)


def test_timings_land_in_the_histograms_buckets_and_sum():
    registry = CollectorRegistry()
    buckets = (0.01, 0.1, 1.0)
    histogram = BufferedHistogram(
        Histogram("t_seconds", "test", ["method"], buckets=buckets, registry=registry), buckets
    )
    try:
        for seconds in (0.005, 0.01, 0.05, 0.5, 3.0):
            histogram.observe(seconds, "GET")
        flush_all()

        def sample(suffix: str, **labels: str) -> float | None:
            return registry.get_sample_value(f"t_seconds{suffix}", {"method": "GET", **labels})

        # Cumulative, as Prometheus' buckets are: "le" is inclusive.
        assert [sample("_bucket", le=le) for le in ("0.01", "0.1", "1.0", "+Inf")] == [2, 3, 4, 5]
        assert sample("_count") == 5
        assert sample("_sum") == 3.565
    finally:
        forget_buffer(histogram)
