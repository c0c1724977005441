"""Generated answers that remember deletions, as a REST resource does.

A method with an ``http.path`` template (``/messages/{id}``) names a resource by its path
arguments. When the mock answers a DELETE of such a resource with generated success, the
resource is gone: the methods on the same path with the same path arguments (its GET, its
DELETE again) answer the method's declared 404 exception until something re-creates it (a
generated PUT or POST on that path, or a generated write whose result names it, as echo's
``put`` answers ``Stored.id``) or ``/__admin/reset``. Without this, a client's
delete-then-read check (schemathesis' ``use_after_free``) sees the deleted resource still
there. Stubs always win: they say exactly what to answer.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any, Callable

from framework.idl import Field, Method
from framework.rest.openapi import error_status

from .generate import Generator

__all__ = ["Deletions"]

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Deletions:
    def __init__(self, generator: Generator) -> None:
        self.generator = generator
        self._gone: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def answer(self, method: Method, named: dict[str, Any]) -> BaseException | None:
        """Before a generated answer: the exception to raise instead, or None (generate). Also
        records what a generated answer of this call does to its resource."""
        path = method.annotations.get("http.path")
        params = _PARAM.findall(path) if path else []
        missing = _not_found(method)
        if not params or missing is None:
            return None
        key = (path, json.dumps([named.get(p) for p in params], sort_keys=True))
        verb = method.annotations.get("http.method", "POST").upper()
        with self._lock:
            gone = key in self._gone
            if verb in ("PUT", "POST"):
                self._gone.discard(key)  # written again: there again
                return None
            if verb == "DELETE" and not gone:
                self._gone.add(key)
                return None
        if not gone:
            return None
        fields = self.generator.json_value(missing.type, self.generator.rng(method, named), 0)
        struct = missing.type.struct
        assert struct is not None
        for f in struct.fields:  # NotFound.id = the id asked for
            if f.name in params and f.name in named:
                fields[f.name] = named[f.name]
        return self.generator.codec.decoder(missing.type)(fields, "generated")  # type: ignore[no-any-return]

    def written(self, method: Method, result: Callable[[], Any]) -> None:
        """After a generated answer of a write (POST, PUT): a resource its result names by the
        path arguments (``Stored.id`` for ``/messages/{id}``) is there again. `result` gives the
        answer as JSON, asked for only while something is gone."""
        if not self._gone or method.annotations.get("http.method", "POST").upper() not in ("POST", "PUT"):
            return
        named = result()
        if not isinstance(named, dict):
            return
        with self._lock:
            for path, values in list(self._gone):
                params = _PARAM.findall(path)
                if all(p in named for p in params) and json.dumps([named[p] for p in params], sort_keys=True) == values:
                    self._gone.discard((path, values))

    def clear(self) -> None:
        with self._lock:
            self._gone.clear()


def _not_found(method: Method) -> Field | None:
    """The exception `method` declares for HTTP 404, if any."""
    for f in method.throws:
        if f.type.struct is not None and error_status(f.type.struct) == 404:
            return f
    return None
