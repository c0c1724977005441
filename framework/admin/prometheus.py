"""`/metrics`: the registry in Prometheus' text exposition format (version 0.0.4).

Finagle's ``srv/echo/thrift/echo/requests`` becomes ``srv_echo_thrift_echo_requests``; a
histogram becomes a summary (``{quantile="0.99"}`` samples, ``_sum``, ``_count``).
"""

from __future__ import annotations

import re

from ..metrics import PERCENTILES, Registry, percentiles

__all__ = ["render", "metric_name"]

_BAD = re.compile(r"[^a-zA-Z0-9_:]")


def metric_name(name: str) -> str:
    n = _BAD.sub("_", name)
    return n if not n[:1].isdigit() else "_" + n


def _num(v: float) -> str:
    if v != v:
        return "NaN"
    return repr(float(v)) if isinstance(v, float) else str(v)


def render(reg: Registry) -> str:
    lines: list[str] = []
    for c in sorted(reg.counters(), key=lambda m: m.name):
        n = metric_name(c.name)
        lines += [f"# TYPE {n} counter", f"{n} {_num(c.value)}"]
    for g in sorted(reg.gauges(), key=lambda m: m.name):
        n = metric_name(g.name)
        lines += [f"# TYPE {n} gauge", f"{n} {_num(g.value)}"]
    for h in sorted(reg.histograms(), key=lambda m: m.name):
        n = metric_name(h.name)
        lines.append(f"# TYPE {n} summary")
        qs = percentiles(list(h.counts), h.count, [q for _, q in PERCENTILES], h.max)
        for (_, q), v in zip(PERCENTILES, qs):
            lines.append(f'{n}{{quantile="{q}"}} {_num(float(v))}')
        lines += [f"{n}_sum {_num(float(h.sum))}", f"{n}_count {h.count}"]
    return "\n".join(lines) + "\n"
