"""The request journal: every request the mock saw, bounded (a ring buffer).

WireMock keeps an unbounded journal by default, and long runs run out of memory; here the
oldest entries make way once `limit` is reached, and `dropped` counts them.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterator

from .matching import Incoming, RequestPattern

__all__ = ["Journal", "Entry"]


@dataclass
class Entry:
    request: Incoming
    response: dict[str, Any]  # what was answered: {"status": ...} or {"kind": "result", ...}
    stub_id: str | None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    logged: float = field(default_factory=time.time)
    proxied: bool = False
    recorded: dict[str, Any] | None = None  # the stub a recording made of this exchange

    @property
    def matched(self) -> bool:
        return self.stub_id is not None or self.proxied

    def to_json(self) -> dict[str, Any]:
        req = self.request.to_json()
        req["loggedDate"] = int(self.logged * 1000)
        req["loggedDateString"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.logged))
        out: dict[str, Any] = {"id": self.id, "request": req, "responseDefinition": self.response, "wasMatched": self.matched}
        if self.stub_id is not None:
            out["stubMapping"] = {"id": self.stub_id}
        if self.proxied:
            out["proxied"] = True
        return out


class Journal:
    def __init__(self, limit: int = 1000) -> None:
        self.limit = limit
        self.dropped = 0
        self._entries: deque[Entry] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add(self, entry: Entry) -> Entry:
        with self._lock:
            if len(self._entries) == self.limit:
                self.dropped += 1
            self._entries.append(entry)
        return entry

    def __iter__(self) -> Iterator[Entry]:
        with self._lock:
            return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, eid: str) -> Entry | None:
        return next((e for e in self if e.id == eid), None)

    def remove(self, eid: str) -> bool:
        with self._lock:
            for e in self._entries:
                if e.id == eid:
                    self._entries.remove(e)
                    return True
        return False

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def find(self, pattern: RequestPattern | None) -> list[Entry]:
        return [e for e in self if pattern is None or pattern.matches(e.request)]

    def remove_matching(self, pattern: RequestPattern) -> list[Entry]:
        with self._lock:
            gone = [e for e in self._entries if pattern.matches(e.request)]
            for e in gone:
                self._entries.remove(e)
        return gone

    def unmatched(self) -> list[Entry]:
        return [e for e in self if not e.matched]
