"""Process-wide metrics with Finagle's names (``srv/echo/thrift/requests``).

Counters and gauges are plain objects a hot path bumps with one attribute write; nothing is
formatted until someone asks for the export. Names use ``/`` as the scope separator, as
finagle-stats does, so dashboards written for Finagle services read Aviary's unchanged.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left, bisect_right
from itertools import repeat
from operator import add, sub
from typing import Any, Callable, Iterator, Mapping, TypeVar

__all__ = ["Counter", "Derived", "Gauge", "Histogram", "Registry", "registry", "PERCENTILES", "percentiles"]

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

FOLD_AT = 2048  # values a histogram holds before sorting them into its buckets (the cheapest batch)
_folding = threading.Lock()


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


class Derived(Gauge):
    """A counter worked out from other metrics when it is read (``success`` is calls done
    minus failures; a per-transport total is the sum of its methods'), so the hot path has
    nothing more to bump. Read like a `Gauge`, exported as a counter."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Derived({self.name}={self.value})"


def _folded(slot: str) -> Any:
    """A read-only `Histogram` attribute that folds pending values before reading `slot`."""

    def read(h: Histogram) -> Any:
        if h.pending:
            h.fold()
        return getattr(h, slot)

    return property(read)


class Histogram:
    """A distribution of values (latencies in ms, sizes in bytes) in fixed log buckets.

    `add` is on the hot path of every call, so it only appends to `pending`; values reach the
    buckets `FOLD_AT` at a time, sorted first (one sort and a walk along the bounds cost a
    third of a bisect per value). Reading `count`, `sum`, `min`, `max` or `counts` folds what
    is pending first, so a reader always sees every value added. `counts` is cumulative for
    the life of the process; a reader that wants a recent window (the dashboard) keeps the
    previous copy and subtracts."""

    __slots__ = ("name", "pending", "_count", "_sum", "_min", "_max", "_counts")

    def __init__(self, name: str) -> None:
        self.name = name
        self.pending: list[float] = []
        self._count = 0
        self._sum = 0.0
        self._min = math.inf
        self._max = 0.0
        self._counts = [0] * (len(_BOUNDS) + 1)

    def add(self, value: float) -> None:
        pending = self.pending
        pending.append(value)
        if len(pending) >= FOLD_AT:
            self.fold()

    def fold(self) -> None:
        """Move the pending values into the buckets."""
        pending = self.pending
        with _folding:  # a reader on another thread may fold at the same moment
            n = len(pending)
            if not n:
                return
            batch = sorted(pending[:n])
            del pending[:n]  # values appended meanwhile stay for the next fold
            self._count += n
            self._sum += sum(batch)
            self._min = min(self._min, batch[0])
            self._max = max(self._max, batch[-1])
            # Bucket i holds the values in (bound i-1, bound i]. The batch is sorted, so how
            # many values each bucket gets is the difference of where consecutive bounds fall
            # in it: a handful of C-level maps over the bounds the batch spans, no Python loop.
            top = len(_BOUNDS)
            first = bisect_left(_BOUNDS, batch[0])
            if first == top:  # every value is past the last bound
                self._counts[top] += n
                return
            last = min(bisect_left(_BOUNDS, batch[-1], first), top - 1) + 1
            ends = list(map(bisect_right, repeat(batch), _BOUNDS[first:last]))
            counts = self._counts
            counts[first:last] = map(add, counts[first:last], map(sub, ends, [0, *ends[:-1]]))
            counts[top] += n - ends[-1]

    def merge(self, count: int, total: float, low: float, high: float, buckets: Mapping[int, int]) -> None:
        """Add another histogram's values (as `_sparse` sends them) to this one."""
        if not count:
            return
        self.fold()
        self._count += count
        self._sum += total
        self._min = min(self._min, low)
        self._max = max(self._max, high)
        for i, k in buckets.items():
            self._counts[i] += k

    # What readers see: the folded figures, with whatever is pending folded in first.
    count: int = _folded("_count")  # type: ignore[assignment]
    sum: float = _folded("_sum")  # type: ignore[assignment]
    min: float = _folded("_min")  # type: ignore[assignment]
    max: float = _folded("_max")  # type: ignore[assignment]
    counts: list[int] = _folded("_counts")  # type: ignore[assignment]

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
        self._counters: dict[str, Counter | Derived] = {}
        self._gauges: dict[str, Gauge] = {}
        self._histograms: dict[str, Histogram] = {}
        self._remote: dict[str, Snapshot] = {}  # source -> its latest snapshot
        self._retired: list[Snapshot] = []

    def histogram(self, *scope: str) -> Histogram:
        """The histogram at ``a/b/c`` (created on first use; the same object afterwards)."""
        return self._one(self._histograms, Histogram, scope)

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
        c = self._one(self._counters, Counter, scope)
        assert isinstance(c, Counter), f"{c.name} is a derived counter"
        return c

    def derived(self, fn: Callable[[], float], *scope: str) -> Derived:
        """The counter at ``a/b/c`` whose value is ``fn()`` when read. The first definition of
        a name stands: a second caller gets that one back."""
        d = self._one(self._counters, lambda name: Derived(name, fn), scope)
        assert isinstance(d, Derived), f"{d.name} is a plain counter"
        return d

    def _one(self, table: dict[str, _M], make: Callable[[str], _M], scope: tuple[str, ...]) -> _M:
        # Lock-free when it exists (every call after the first); setdefault under the lock
        # so two threads creating it at once get the same object.
        name = "/".join(scope)
        m = table.get(name)
        if m is None:
            with self._lock:
                m = table.setdefault(name, make(name))
        return m

    def sum_of(self, prefix: str, suffix: str) -> float:
        """The sum of this process's counters named ``<prefix><one scope><suffix>`` (for a
        `derived` total: ``sum_of("srv/echo/http/", "/requests")`` adds up every method's)."""
        total = 0.0
        for name, c in list(self._counters.items()):
            scope = name[len(prefix) : len(name) - len(suffix)]
            if scope and "/" not in scope and name.startswith(prefix) and name.endswith(suffix):
                total += c.value
        return total

    def gauge(self, fn: Callable[[], float], *scope: str) -> Gauge:
        name = "/".join(scope)
        with self._lock:
            g = self._gauges[name] = Gauge(name, fn)
        return g

    def counters(self) -> Iterator[Counter | Derived]:
        if self._remote or self._retired:
            return iter(self._merged()[0].values())
        return iter(list(self._counters.values()))

    def gauges(self) -> Iterator[Gauge]:
        if self._remote:
            return iter(self._merged()[1].values())
        return iter(list(self._gauges.values()))

    def histograms(self) -> Iterator[Histogram]:
        if self._remote or self._retired:
            return iter(self._merged()[2].values())
        return iter(list(self._histograms.values()))

    def value(self, name: str) -> float:
        """One metric's current value (0 if it does not exist yet): handy in tests and tools."""
        counters, gauges, _ = self._merged() if (self._remote or self._retired) else (self._counters, self._gauges, None)
        m = counters.get(name) or gauges.get(name)
        return m.value if m is not None else 0

    # -- other processes' metrics (a supervisor shows its workers' as its own) -----------------
    def snapshot(self) -> Snapshot:
        """This process's metrics as plain data (histogram buckets sparse) for `absorb`."""
        return {
            "counters": {c.name: c.value for c in list(self._counters.values())},
            "gauges": {g.name: g.value for g in list(self._gauges.values())},
            "histograms": {h.name: _sparse(h) for h in list(self._histograms.values())},
        }

    def absorb(self, source: str, snap: Snapshot) -> None:
        """Show `source`'s latest `snapshot` in this registry's exports, added to its own."""
        self._remote[source] = snap

    def retire(self, source: str) -> None:
        """`source` is gone (a worker exited): keep its last counts so totals never go back
        when it is replaced; its gauges (what is open now) go with it."""
        snap = self._remote.pop(source, None)
        if snap is None:
            return
        # Folded into one snapshot: a worker restarting all day must not grow this.
        counters, _, histograms = _merge({}, {}, {}, [*self._retired, {"counters": snap["counters"], "gauges": {}, "histograms": snap["histograms"]}])
        self._retired = [{"counters": {c.name: c.value for c in counters.values()}, "gauges": {}, "histograms": {h.name: _sparse(h) for h in histograms.values()}}]

    def _merged(self) -> tuple[dict[str, Counter], dict[str, Gauge], dict[str, Histogram]]:
        counters = {c.name: _copy_counter(c) for c in list(self._counters.values())}
        gauges = {g.name: g for g in list(self._gauges.values())}
        histograms = {h.name: _copy_histogram(h) for h in list(self._histograms.values())}
        return _merge(counters, gauges, histograms, [*self._retired, *self._remote.values()])


def _merge(
    counters: dict[str, Counter], gauges: dict[str, Gauge], histograms: dict[str, Histogram], snaps: list[Snapshot]
) -> tuple[dict[str, Counter], dict[str, Gauge], dict[str, Histogram]]:
    """Add `snaps` into the given (fresh) metric objects: counters and gauges sum, histograms
    add bucket by bucket (so merged percentiles are as exact as one process's)."""
    for snap in snaps:
        for name, value in snap["counters"].items():
            counters.setdefault(name, Counter(name)).value += value
        for name, value in snap["gauges"].items():
            base = gauges.get(name)
            gauges[name] = Gauge(name, lambda a=base, b=value: (a.value if a is not None else 0.0) + b)
        for name, (count, total, low, high, buckets) in snap["histograms"].items():
            histograms.setdefault(name, Histogram(name)).merge(count, total, low, high, {int(i): n for i, n in buckets.items()})
    return counters, gauges, histograms


def _sparse(h: Histogram) -> list[Any]:
    return [h.count, h.sum, h.min if h.count else 0.0, h.max, {str(i): n for i, n in enumerate(h.counts) if n}]


Snapshot = dict[str, Any]


def _copy_counter(c: Counter | Derived) -> Counter:
    out = Counter(c.name)
    out.value = c.value
    return out


def _copy_histogram(h: Histogram) -> Histogram:
    out = Histogram(h.name)
    out.merge(h.count, h.sum, h.min, h.max, {i: n for i, n in enumerate(h.counts) if n})
    return out


registry = Registry()
