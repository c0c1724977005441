"""Backup requests: a second copy of a slow idempotent call, as Finagle's BackupRequestFilter.

A client made with ``backups=0.01`` (the extra load it may add, 1 %) keeps a window of its recent
call latencies. A call to an idempotent method (``(idempotent = "true")`` on the method in the
IDL, or named in the client's ``idempotent``) that has not answered after the window's
``1 - backups`` percentile (p99 for 1 %) is sent once more, to another member; the first answer
wins and the other copy is cancelled (a ThriftMux ``Tdiscarded``; a plain Thrift or HTTP
connection is closed). A budget (Finagle's: ``backups`` of the calls of the last 10 s, no
minimum) bounds the extra load, so a member that is slow for everyone does not get twice the
calls. Counted under ``clnt/<service>/backups/{sent,won,budget_exhausted}``; the current
trigger is the gauge ``clnt/<service>/backups/send_after_ms``.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any, Awaitable, Callable

from ..errors import ConfigError
from ..metrics import registry
from .balancer import RetryBudget

__all__ = ["BackupRequests"]

_WINDOW = 2048  # recent latencies the percentile is taken over
_MIN_SAMPLES = 20  # no backups before the window says what "slow" is
_REFRESH = 64  # calls between recomputing the percentile


class BackupRequests:
    def __init__(self, service: str, max_extra_load: float, min_send_after_s: float = 0.001) -> None:
        if not 0.0 < max_extra_load < 1.0:
            raise ConfigError("backups", f"the extra load backups may add is a fraction between 0 and 1 (0.01 is 1 %), got {max_extra_load!r}")
        self.percentile = 1.0 - max_extra_load
        self.min_send_after_s = min_send_after_s
        self.budget = RetryBudget(percent=max_extra_load, min_per_s=0.0)
        self._latencies: deque[float] = deque(maxlen=_WINDOW)
        self._since_refresh = 0
        self.send_after_s: float | None = None
        self.sent = registry.counter("clnt", service, "backups", "sent")
        self.won = registry.counter("clnt", service, "backups", "won")
        self.exhausted = registry.counter("clnt", service, "backups", "budget_exhausted")
        registry.gauge(lambda: (self.send_after_s or 0.0) * 1000, "clnt", service, "backups", "send_after_ms")

    def _record(self, seconds: float) -> None:
        self._latencies.append(seconds)
        self._since_refresh += 1
        if self._since_refresh >= _REFRESH or (self.send_after_s is None and len(self._latencies) >= _MIN_SAMPLES):
            self._since_refresh = 0
            ordered = sorted(self._latencies)
            self.send_after_s = max(self.min_send_after_s, ordered[min(len(ordered) - 1, int(self.percentile * len(ordered)))])

    async def race(self, attempt: Callable[[bool], Awaitable[Any]]) -> Any:
        """Run ``attempt(False)``; if it is slower than the trigger and the budget allows, also
        ``attempt(True)`` (the backup, sent elsewhere); the first success wins."""
        self.budget.deposit()
        start = time.monotonic()
        first = asyncio.ensure_future(attempt(False))
        after = self.send_after_s
        if after is not None:
            done, _ = await asyncio.wait((first,), timeout=after)
            if not done:
                if self.budget.try_withdraw():
                    return await self._both(first, asyncio.ensure_future(attempt(True)), start)
                self.exhausted.value += 1
        try:
            result = await first
        except BaseException:
            first.cancel()
            raise
        self._record(time.monotonic() - start)
        return result

    async def _both(self, first: asyncio.Future[Any], backup: asyncio.Future[Any], start: float) -> Any:
        self.sent.value += 1
        pending: set[asyncio.Future[Any]] = {first, backup}
        try:
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for t in done:
                    if not t.cancelled() and t.exception() is None:
                        if t is backup:
                            self.won.value += 1
                        self._record(time.monotonic() - start)
                        return t.result()
            return first.result()  # both failed: the original's error, as if no backup was sent
        finally:
            for t in pending:  # the loser: cancelled, its outcome retrieved so nothing is logged
                t.cancel()
                t.add_done_callback(_retrieve)


def _retrieve(t: asyncio.Future[Any]) -> None:
    if not t.cancelled():
        t.exception()
