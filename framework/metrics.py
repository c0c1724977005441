"""Process-wide metrics with Finagle's names (``srv/echo/thrift/requests``).

Counters and gauges are plain objects a hot path bumps with one attribute write; nothing is
formatted until someone asks for the export. Names use ``/`` as the scope separator, as
finagle-stats does, so dashboards written for Finagle services read Aviary's unchanged.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left
from typing import Callable, Iterator, TypeVar

__all__ = ["Counter", "Gauge", "Histogram", "Registry", "registry", "PERCENTILES", "percentiles"]

# Finagle's histogram export: name suffix -> quantile (util-stats HistogramFormatter).
PERCENTILES: tuple[tuple[str, float], ...] = (
    ("p50", 0.5),
    ("p90", 0.9),
    ("p95", 0.95),
    ("p99", 0.99),
    ("p9990", 0.999),
    ("p9999", 0.9999),
)

# Bucket upper bounds, log-spaced 2% apart from 1 µs to ~17 minutes (in the histogram's unit,
# milliseconds for latencies): a quantile read from them is within 2% of the true value, and
# `add` is one C-level bisect over ~1000 floats.
_BOUNDS: list[float] = [0.001 * 1.02**i for i in range(int(math.log(1e9) / math.log(1.02)) + 2)]


class Counter:
    __slots__ = ("name", "value")

    def __init__(self, name: str) -> None:
        self.name = name
        self.value = 0

    def incr(self, n: int = 1) -> None:
        self.value += n

    def __repr__(self) -> str:
        return f"Counter({self.name}={self.value})"


class Gauge:
    """A value read when exported (connections open, queue depth)."""

    __slots__ = ("name", "fn")

    def __init__(self, name: str, fn: Callable[[], float]) -> None:
        self.name = name
        self.fn = fn

    @property
    def value(self) -> float:
        try:
            return self.fn()
        except Exception:  # a gauge must never break an export
            return 0.0


class Histogram:
    """A distribution of values (latencies in ms, sizes in bytes) in fixed log buckets.

    `add` is the hot path: four attribute updates and a bisect. Quantiles are read from the
    buckets at export time. `counts` is cumulative for the life of the process; a reader that
    wants a recent window (the dashboard) keeps the previous copy and subtracts."""

    __slots__ = ("name", "count", "sum", "min", "max", "counts")

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0
        self.sum = 0.0
        self.min = math.inf
        self.max = 0.0
        self.counts = [0] * (len(_BOUNDS) + 1)

    def add(self, value: float) -> None:
        self.count += 1
        self.sum += value
        if value < self.min:
            self.min = value
        if value > self.max:
            self.max = value
        self.counts[bisect_left(_BOUNDS, value)] += 1

    def quantile(self, q: float) -> float:
        return percentiles(self.counts, self.count, (q,), self.max)[0]

    def export(self) -> dict[str, float]:
        """Finagle's flat form: ``name.count`` always; the rest only once something was added."""
        out: dict[str, float] = {f"{self.name}.count": self.count}
        if self.count:
            out[f"{self.name}.sum"] = _round(self.sum)
            out[f"{self.name}.min"] = _round(self.min)
            out[f"{self.name}.max"] = _round(self.max)
            out[f"{self.name}.avg"] = _round(self.sum / self.count)
            qs = percentiles(self.counts, self.count, [q for _, q in PERCENTILES], self.max)
            for (suffix, _), v in zip(PERCENTILES, qs):
                out[f"{self.name}.{suffix}"] = _round(v)
        return out

    def __repr__(self) -> str:
        return f"Histogram({self.name}: count={self.count})"


def percentiles(counts: list[int], total: int, quantiles: "list[float] | tuple[float, ...]", cap: float = math.inf) -> list[float]:
    """The values at `quantiles` (ascending) of bucket `counts` holding `total` values: each
    is its bucket's upper bound, capped at the largest value seen."""
    out: list[float] = []
    if total <= 0:
        return [0.0] * len(quantiles)
    seen = 0
    i = 0
    last = len(counts) - 1
    for q in quantiles:
        rank = max(1, math.ceil(q * total))
        while seen + counts[i] < rank and i < last:
            seen += counts[i]
            i += 1
        bound = _BOUNDS[i] if i < len(_BOUNDS) else cap
        out.append(min(bound, cap))
    return out


def _round(v: float) -> float:
    return round(v, 3)


_M = TypeVar("_M")


class Registry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, Counter] = {}
        self._gauges: dict[str, Gauge] = {}
        self._histograms: dict[str, Histogram] = {}

    def histogram(self, *scope: str) -> Histogram:
        """The histogram at ``a/b/c`` (created on first use; the same object afterwards)."""
        return self._one(self._histograms, Histogram, scope)

    def histograms(self) -> Iterator[Histogram]:
        return iter(list(self._histograms.values()))

    def flat(self) -> dict[str, float]:
        """Every metric as Finagle's ``/admin/metrics.json`` has it: one flat map, keys sorted."""
        out: dict[str, float] = {}
        for c in self.counters():
            out[c.name] = c.value
        for g in self.gauges():
            out[g.name] = g.value
        for h in self.histograms():
            out.update(h.export())
        return dict(sorted(out.items()))

    def counter(self, *scope: str) -> Counter:
        """The counter at ``a/b/c`` (created on first use; the same object afterwards)."""
        return self._one(self._counters, Counter, scope)

    def _one(self, table: dict[str, _M], make: Callable[[str], _M], scope: tuple[str, ...]) -> _M:
        # Lock-free when it exists (every call after the first); setdefault under the lock
        # so two threads creating it at once get the same object.
        name = "/".join(scope)
        m = table.get(name)
        if m is None:
            with self._lock:
                m = table.setdefault(name, make(name))
        return m

    def gauge(self, fn: Callable[[], float], *scope: str) -> Gauge:
        name = "/".join(scope)
        with self._lock:
            g = self._gauges[name] = Gauge(name, fn)
        return g

    def counters(self) -> Iterator[Counter]:
        return iter(list(self._counters.values()))

    def gauges(self) -> Iterator[Gauge]:
        return iter(list(self._gauges.values()))

    def value(self, name: str) -> float:
        """One metric's current value (0 if it does not exist yet): handy in tests and tools."""
        if name in self._counters:
            return self._counters[name].value
        if name in self._gauges:
            return self._gauges[name].value
        return 0


registry = Registry()
