"""Counters and histograms kept as plain numbers, exported through a collector when scraped.

prometheus_client's own `Counter` and `Histogram` take a lock for every add (and a
histogram one for its sum and one for its bucket), which is what they need when any
thread may count. openpal counts only on its event loop (the store wrapper and the
HTTP middleware run there; steps' threads count nothing), so here an event is a dict
lookup and an integer add, about a fifth of the time, and the lock-free numbers are
turned into metric families only when `/metrics` is read. The exposition is the one
prometheus_client's classes write: same names, `_total` / `_bucket` / `_count` /
`_sum` samples, `le` labels, unlabelled series present from the start at zero
(tests/unit/test_metric_series.py compares the two, byte for byte).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence

from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString

__all__ = ["KeptCounter", "KeptHistogram", "KeptSeries"]

INF = float("inf")


class KeptCounter:
    """A counter: label values (in the order of `labels`) → count. Event loop only."""

    def __init__(self, name: str, documentation: str, labels: Sequence[str] = ()) -> None:
        self.name, self.documentation, self.labels = name, documentation, tuple(labels)
        self.counts: dict[tuple[str, ...], int] = {} if labels else {(): 0}

    def inc(self, key: tuple[str, ...] = ()) -> None:
        """Add one to the series of these label values."""
        counts = self.counts
        counts[key] = counts.get(key, 0) + 1

    def family(self) -> Metric:
        found = CounterMetricFamily(self.name, self.documentation, labels=self.labels)
        for key, count in self.counts.copy().items():  # a copy: one C call, never torn
            found.add_metric(key, count)
        return found


class KeptHistogram:
    """A histogram: label values → one count per bucket (not cumulative) and the sum."""

    def __init__(
        self,
        name: str,
        documentation: str,
        buckets: Sequence[float],
        labels: Sequence[str] = (),
    ) -> None:
        self.name, self.documentation, self.labels = name, documentation, tuple(labels)
        bounds = [float(b) for b in buckets]
        if bounds != sorted(bounds) or INF in bounds:
            raise ValueError(f"{name}: bucket bounds must be finite and ascending")
        self.bounds = (*bounds, INF)
        self._le = [floatToGoString(b) for b in self.bounds]  # type: ignore[no-untyped-call]
        self.series: dict[tuple[str, ...], list[float]] = {}
        if not labels:
            self.series[()] = self._empty()

    def _empty(self) -> list[float]:
        return [0] * len(self.bounds) + [0.0]  # the buckets' counts, then the sum

    def observe(self, value: float, key: tuple[str, ...] = ()) -> None:
        """Count `value` in the first bucket whose bound is ≥ it (as prometheus_client)."""
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = self._empty()
        series[bisect_left(self.bounds, value)] += 1
        series[-1] += value

    def family(self) -> Metric:
        found = HistogramMetricFamily(self.name, self.documentation, labels=self.labels)
        for key, series in self.series.copy().items():
            counts, total = series[:-1], series[-1]  # a slice: a consistent copy
            buckets, seen = [], 0.0
            for le, count in zip(self._le, counts, strict=True):
                seen += count
                buckets.append((le, seen))
            found.add_metric(key, buckets, float(total))
        return found


class KeptSeries:
    """The collector of a registry's kept counters and histograms, in the order given."""

    def __init__(self, *metrics: KeptCounter | KeptHistogram) -> None:
        self.metrics = metrics

    def describe(self) -> list[Metric]:
        """Names only (the registry checks them for duplicates when registering)."""
        return [
            CounterMetricFamily(m.name, m.documentation, labels=m.labels)
            if isinstance(m, KeptCounter)
            else HistogramMetricFamily(m.name, m.documentation, labels=m.labels)
            for m in self.metrics
        ]

    def collect(self) -> Iterator[Metric]:
        for metric in self.metrics:
            yield metric.family()
