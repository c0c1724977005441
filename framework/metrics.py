"""Process-wide metrics with Finagle's names (``srv/echo/thrift/requests``).

Counters and gauges are plain objects a hot path bumps with one attribute write; nothing is
formatted until someone asks for the export. Names use ``/`` as the scope separator, as
finagle-stats does, so dashboards written for Finagle services read Aviary's unchanged.
"""

from __future__ import annotations

import threading
from typing import Callable, Iterator

__all__ = ["Counter", "Gauge", "Registry", "registry"]


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


class Registry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, Counter] = {}
        self._gauges: dict[str, Gauge] = {}

    def counter(self, *scope: str) -> Counter:
        """The counter at ``a/b/c`` (created on first use; the same object afterwards)."""
        name = "/".join(scope)
        c = self._counters.get(name)
        if c is None:
            with self._lock:
                c = self._counters.setdefault(name, Counter(name))
        return c

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
