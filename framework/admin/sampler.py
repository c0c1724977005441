"""What the dashboard charts and leads with, sampled from the metrics registry once a second.

Per method (``service/transport/method``): a point a second for two minutes, ``[t, requests/s,
errors/s, p50 ms, p99 ms]``. Per service and for the whole process: the last ten samples'
requests, failures and latency buckets, so the headline figures cover ten seconds (steadier
than one) and their percentiles are as exact as a histogram's (buckets are summed, never
percentiles averaged). Everything is read from the registry by name, so a supervisor's
dashboard shows its workers' calls.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Iterable

from ..metrics import percentiles, registry

__all__ = ["CallSampler"]

_HISTORY = 120  # points kept per method (one a second: two minutes)
_WINDOW = 10  # samples the headline figures (overall, per service) cover: the last 10 s


class CallSampler:
    def __init__(self) -> None:
        self.series: dict[str, deque[list[float]]] = {}
        self._last: dict[str, tuple[int, int, list[int]]] = {}
        # per service, and "" for the whole process: the last `_WINDOW` samples as
        # (requests, failures, {latency bucket: count})
        self._windows: dict[str, deque[tuple[int, int, dict[int, int]]]] = {}
        self._interval_s = 1.0
        self._latency_cap = 0.0  # the largest latency seen (a percentile never exceeds it)

    def summary(self, services: Iterable[str]) -> dict[str, Any]:
        """Requests/s, errors/s, error rate and p50/p99 (ms) over the last samples, and the
        lifetime request and failure counts, for the process ("overall") and each service."""
        totals: dict[str, list[int]] = {}
        for c in registry.counters():
            parts = c.name.split("/")
            if len(parts) == 5 and parts[0] == "srv" and parts[4] in ("requests", "failures"):
                for group in ("", parts[1]):
                    pair = totals.setdefault(group, [0, 0])
                    pair[parts[4] == "failures"] += int(c.value)
        groups = {"": "overall", **{name: name for name in services}}
        out: dict[str, Any] = {"window_s": 0.0, "services": {}}
        for group, label in groups.items():
            window = self._windows.get(group, ())
            seconds = len(window) * self._interval_s
            out["window_s"] = max(out["window_s"], seconds)
            requests = sum(w[0] for w in window)
            failures = sum(w[1] for w in window)
            buckets: dict[int, int] = {}
            for w in window:
                for i, n in w[2].items():
                    buckets[i] = buckets.get(i, 0) + n
            p50, p99 = _quantiles(buckets, (0.5, 0.99), self._latency_cap)
            figures = {
                "requests_per_s": round(requests / seconds, 2) if seconds else 0.0,
                "errors_per_s": round(failures / seconds, 2) if seconds else 0.0,
                "error_rate_pct": round(100 * failures / requests, 2) if requests else 0.0,
                "p50_ms": round(p50, 3),
                "p99_ms": round(p99, 3),
                "requests": totals.get(group, [0, 0])[0],
                "failures": totals.get(group, [0, 0])[1],
            }
            if group:
                out["services"][label] = figures
            else:
                out["overall"] = figures
        return out

    def sample(self, interval_s: float, services: Iterable[str]) -> None:
        """One point per method: rates since the last sample and latency over that window.
        Read from the registry by name, so a supervisor's dashboard shows its workers' calls."""
        now = round(time.time(), 3)
        counters = {c.name: c.value for c in registry.counters()}
        self._interval_s = interval_s
        groups: dict[str, list[Any]] = {"": [0, 0, {}], **{name: [0, 0, {}] for name in services}}
        for h in registry.histograms():
            parts = h.name.split("/")
            if len(parts) != 5 or parts[0] != "srv" or parts[4] != "request_latency_ms":
                continue
            key = "/".join(parts[1:4])
            counts = list(h.counts)
            requests, failures = counters.get(f"srv/{key}/requests", 0), counters.get(f"srv/{key}/failures", 0)
            last = self._last.get(key)
            self._last[key] = (requests, failures, counts)
            if last is None:
                last = (0, 0, [0] * len(counts))
            n = requests - last[0]
            window = [a - b for a, b in zip(counts, last[2])]
            total = sum(window)
            p50, p99 = percentiles(window, total, (0.5, 0.99), h.max) if total else (0.0, 0.0)
            points = self.series.get(key)
            if points is None:
                points = self.series[key] = deque(maxlen=_HISTORY)
            points.append([now, round(n / interval_s, 2), round((failures - last[1]) / interval_s, 2), round(p50, 3), round(p99, 3)])
            self._latency_cap = max(self._latency_cap, h.max)
            for group in ("", parts[1]):
                acc = groups.setdefault(group, [0, 0, {}])
                acc[0] += n
                acc[1] += failures - last[1]
                if total:
                    sparse = acc[2]
                    for i, k in enumerate(window):
                        if k:
                            sparse[i] = sparse.get(i, 0) + k
        for group, (n, failed, sparse) in groups.items():
            recent = self._windows.get(group)
            if recent is None:
                recent = self._windows[group] = deque(maxlen=_WINDOW)
            recent.append((n, failed, sparse))


def _quantiles(sparse: dict[int, int], quantiles: tuple[float, ...], cap: float) -> list[float]:
    """`percentiles` of sparse bucket counts ({bucket index: count})."""
    total = sum(sparse.values())
    if not total:
        return [0.0] * len(quantiles)
    dense = [0] * (max(sparse) + 1)
    for i, k in sparse.items():
        dense[i] = k
    return percentiles(dense, total, quantiles, cap)

