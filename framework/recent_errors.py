"""The process's recent internal errors: a small bounded ring the admin dashboard lists.

A handler's unexpected exception is logged with its traceback under a fresh error id, and the
caller sees only that id (`framework.service`). An operator handed an id wants to find the
call without grepping logs first: the last `CAPACITY` errors are kept here (id, service.method,
exception type, time, trace id), oldest dropped first. Not the message: it may carry what the
caller was not told (the admin port's reads are open), and the log line under the same id has
it. A worker sends its new errors to its supervisor with its metrics, so the supervisor's
dashboard lists every worker's. Appending is one ``deque.append``, safe from handler threads; nothing is formatted until
the dashboard asks.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import asdict, dataclass

__all__ = ["RecentError", "RecentErrors", "recent_errors", "CAPACITY"]

CAPACITY = 50  # enough for a screen of recent trouble; an error storm costs no more memory


@dataclass(frozen=True)
class RecentError:
    error_id: str
    service: str
    method: str
    type: str
    time: float  # seconds since the epoch
    trace: str  # the call's trace id (hex), '' when it had none

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = asdict(self)
        out["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.time))
        return out


class RecentErrors:
    """The last `capacity` internal errors, newest last."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._ring: deque[RecentError] = deque(maxlen=capacity)
        self.total = 0  # every error recorded, including those dropped from the ring

    def record(self, error_id: str, service: str, method: str, error: BaseException, trace: str = "") -> None:
        self._ring.append(RecentError(error_id, service, method, type(error).__name__, time.time(), trace))
        self.total += 1

    def newest_first(self) -> list[RecentError]:
        return list(reversed(self._ring))

    def since(self, total: int) -> list[dict[str, object]]:
        """The errors recorded after the first `total` (those still in the ring), oldest
        first, as plain data: what a worker has not yet sent its supervisor (`absorb`)."""
        new = min(self.total - total, len(self._ring))
        return [asdict(e) for e in list(self._ring)[len(self._ring) - new :]] if new > 0 else []

    def absorb(self, errors: list[dict[str, object]]) -> None:
        """Record another process's errors (a worker's, from `since`) as this one's."""
        for e in errors:
            self._ring.append(RecentError(**e))  # type: ignore[arg-type]
            self.total += 1


recent_errors = RecentErrors()
