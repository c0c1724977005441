"""The example service: `idl/echo.thrift`, served over Thrift and REST by one handler.

`async def` methods run on the event loop; `find` is a plain `def` to show that blocking code
is welcome too (it runs on the handler thread pool).
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

from framework import Service, load_idl, locate_idl

IDL = load_idl(locate_idl("echo.thrift"))
echo = IDL.module  # the IDL's types: echo.Message, echo.NotFound, ...

MAX_TIMES = 1000


class EchoHandler:
    def __init__(self) -> None:
        self._store: dict[int, Any] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()  # `find` runs on a worker thread
        self._notes = 0

    async def echo(self, message: Any) -> Any:
        return message

    async def repeat(self, text: str, times: int) -> str:
        if not 0 <= times <= MAX_TIMES:
            raise echo.Rejected(field="times", reason=f"must be between 0 and {MAX_TIMES}")
        return " ".join([text] * times)

    async def put(self, message: Any) -> Any:
        if not message.text.strip():
            raise echo.Rejected(field="message.text", reason="must not be blank")
        with self._lock:
            ident = next(self._ids)
            message.id = ident
            stored = echo.Stored(id=ident, message=message, storedAtMs=int(time.time() * 1000))
            self._store[ident] = stored
        return stored

    async def get(self, id: int) -> Any:
        stored = self._store.get(id)
        if stored is None:
            raise echo.NotFound(id=id, reason="no message has this id")
        return stored

    def find(self, tag: str, limit: int) -> list[Any]:
        with self._lock:
            found = [s for s in self._store.values() if s.message.tags and tag in s.message.tags]
        found.sort(key=lambda s: s.id, reverse=True)
        return found[: max(limit, 0)]

    async def remove(self, id: int) -> None:
        with self._lock:
            if self._store.pop(id, None) is None:
                raise echo.NotFound(id=id, reason="no message has this id")

    async def note(self, text: str) -> None:
        self._notes += 1

    async def notes(self) -> int:
        return self._notes


def create() -> Service:
    """Entry point ``echo`` in the ``aviary.services`` group."""
    return Service(IDL, EchoHandler(), name="echo")
