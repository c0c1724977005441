"""Bounds on every port's connections, in time and in number.

A peer that opens connections and never finishes (or never starts) a request must not hold
them forever, and must not take every file descriptor of the process. Per port (Thrift, REST,
admin alike):

* ``max_connections``: past this many open connections a new one is refused at once (closed
  as it is accepted), so the process keeps descriptors for the calls it serves and for its
  own admin port; counted as ``…/connections_refused`` and logged once a minute at most;
* HTTP: the request head (request line and headers) must arrive within
  ``http_header_timeout_s`` of the connection opening or of its first byte (408 and close);
  an idle keep-alive connection closes after uvicorn's ``timeout_keep_alive`` (5 s);
* Thrift: a connection with no call running and nothing received for
  ``thrift_idle_timeout_s`` is closed (0, the default, as Finagle's servers: never).

The process's soft limit on open files is raised to its hard limit at start-up
(`raise_descriptor_limit`, as the JVM and Go's runtime do): many systems start services with a
soft limit of 1024, far below what ``max_connections`` allows.

Timing costs nothing per call: a port's `Sweeper` ticks a few times per timeout and looks at
its connections; a connection only records the tick it last saw activity at.
"""

from __future__ import annotations

import asyncio
import logging
import math
import resource
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from .metrics import registry

if TYPE_CHECKING:
    from .config import Settings

__all__ = ["Limits", "Sweeper", "Refusals", "raise_descriptor_limit"]

log = logging.getLogger("aviary.connections")

_MAX_TICK_S = 1.0  # a timeout fires at most this much late
_REFUSAL_LOG_EVERY_S = 60.0


@dataclass(frozen=True)
class Limits:
    """The connection bounds of the process, from its settings."""

    max_connections: int
    http_header_timeout_s: float
    thrift_idle_timeout_s: float

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(settings.max_connections, settings.http_header_timeout_s, settings.thrift_idle_timeout_s)

    @classmethod
    def defaults(cls) -> Limits:
        """The settings' defaults (`framework.config.HOST_SETTINGS`)."""
        from .config import HOST_SETTINGS

        default = {s.name: s.default for s in HOST_SETTINGS}
        return cls(default["max_connections"], default["http_header_timeout_s"], default["thrift_idle_timeout_s"])


class Sweeper:
    """A repeating timer for one port: every tick it calls `sweep` with the tick number.
    `ticks(timeout_s)` says how many ticks make a timeout, so one period serves a port whose
    check is "no activity since tick t"."""

    def __init__(self, timeout_s: float, sweep: Callable[[int], None]) -> None:
        self.period_s = min(_MAX_TICK_S, max(timeout_s / 4, 0.01))
        self.tick = 0
        self._sweep = sweep
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def ticks(self, timeout_s: float) -> int:
        """Ticks that pass before a connection quiet since tick t is over `timeout_s`."""
        return max(1, math.ceil(timeout_s / self.period_s))

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._handle = self._loop.call_later(self.period_s, self._run)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _run(self) -> None:
        self.tick += 1
        try:
            self._sweep(self.tick)
        except Exception:  # pragma: no cover - a sweep must never stop the port's timer
            log.exception("sweeping connections failed")
        assert self._loop is not None
        self._handle = self._loop.call_later(self.period_s, self._run)


class Refusals:
    """Connections a port refused for ``max_connections``: counted, and logged at most once a
    minute (a peer hammering a full port must not flood the log)."""

    def __init__(self, label: str, *metric_scope: str) -> None:
        self.label = label
        self.counter = registry.counter(*metric_scope, "connections_refused")
        self._logged_at = -math.inf
        self._since_logged = 0

    def refused(self, open_now: int, limit: int) -> None:
        self.counter.value += 1
        self._since_logged += 1
        now = time.monotonic()
        if now - self._logged_at >= _REFUSAL_LOG_EVERY_S:
            more = f" ({self._since_logged} refused since the last such line)" if self._logged_at != -math.inf else ""
            log.warning("%s: %d connections open (max_connections = %d): refusing new ones%s", self.label, open_now, limit, more)
            self._logged_at = now
            self._since_logged = 0


def raise_descriptor_limit() -> None:
    """Raise the soft limit on open files (RLIMIT_NOFILE) to the hard limit, so that the
    ``max_connections`` bound, not a low soft limit, decides when connections are refused."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = hard if hard != resource.RLIM_INFINITY else 1 << 20  # Linux's default fs.nr_open
        if soft != resource.RLIM_INFINITY and soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            log.debug("raised the open-files limit from %d to %d", soft, target)
    except (ValueError, OSError) as e:  # pragma: no cover - a platform that refuses: keep what we have
        log.debug("could not raise the open-files limit: %s", e)
