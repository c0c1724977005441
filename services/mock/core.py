"""The mock itself: stubs, journal, generator and recorder behind one Thrift handler and one
HTTP app.

Every Thrift call, whichever transport brought it (any Thrift protocol, or the generated REST
routes), reaches `Mock.thrift_call` with its decoded arguments: it is matched against the stubs
on ``service``, ``method`` and the arguments as JSON; answered by the stub, by the upstream
while recording, or by the generator; and logged in the journal.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from framework.call import current
from framework.errors import ConfigError, WireError
from framework.idl import Method, ServiceDef
from framework.metrics import registry
from framework.rest.codec import dumps

from .deletions import Deletions
from .faults import ThriftFault
from .generate import Generator
from .journal import Entry, Journal
from .matching import Incoming
from .stubs import HttpResponse, MockApplicationError, Stub, StubStore, ThriftResponse
from .upstream import ThriftUpstream

__all__ = ["Mock", "Recorder"]

log = logging.getLogger("aviary.mock")

_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"}


class Mock:
    def __init__(
        self,
        service: ServiceDef | None,
        *,
        seed: int = 0,
        journal_size: int = 1000,
        mappings: Path | None = None,
        proxy: str = "",
    ) -> None:
        self.service = service
        self.mappings = mappings
        files = mappings.parent / "__files" if mappings is not None else None
        self.store = StubStore(service, files if files is not None and files.is_dir() else None)
        self.codec = self.store.codec
        self.journal = Journal(journal_size)
        self.generator = Generator(self.codec, seed)
        self.deletions = Deletions(self.generator)
        self.recorder = Recorder(self, proxy)
        self._rng = random.Random(seed)
        # srv/mock/mock/answers/{stub,generated,proxied,unmatched}: how the mock answered
        self.answers = {k: registry.counter("srv", "mock", "mock", "answers", k) for k in ("stub", "generated", "proxied", "unmatched")}
        registry.gauge(lambda: len(self.journal), "srv", "mock", "mock", "journal", "size")
        registry.gauge(lambda: self.journal.dropped, "srv", "mock", "mock", "journal", "dropped")
        self._arg_encoders: dict[str, list[Any]] = {}
        self._result_encoders: dict[str, Any] = {}

    # -- Thrift ---------------------------------------------------------------------------------
    def handler(self) -> object:
        """An object with one ``async def`` per IDL method, all answered by the mock."""
        assert self.service is not None
        handler = _Handler()
        for m in self.service.methods.values():
            setattr(handler, m.name, self._method(m))
        return handler

    def _method(self, method: Method) -> Any:
        async def answer(*args: Any) -> Any:
            return await self.thrift_call(method, list(args))

        answer.__name__ = answer.__qualname__ = method.name
        return answer

    def args_json(self, method: Method, args: list[Any]) -> dict[str, Any]:
        encs = self._arg_encoders.get(method.name)
        if encs is None:
            encs = self._arg_encoders[method.name] = [self.codec.encoder(f.type) for f in method.args]
        return {f.name: enc(v) for f, enc, v in zip(method.args, encs, args) if v is not None}

    def result_json(self, method: Method, value: Any) -> Any:
        if method.result is None or value is None:
            return None
        return self.codec.encoder(method.result)(value)

    async def thrift_call(self, method: Method, args: list[Any]) -> Any:
        assert self.service is not None
        call = current()
        ctx = call.context if call is not None else None
        named = self.args_json(method, args)
        incoming = Incoming(
            method.name,
            f"/{self.service.name}/{method.name}",
            {},
            dumps(named),
            service=self.service.name,
            transport=f"{ctx.transport}/{ctx.protocol}" if ctx is not None else "thrift",
            peer=f"{ctx.peer[0]}:{ctx.peer[1]}" if ctx is not None and ctx.peer else "",
            _json=named,
            _json_done=True,  # the matchers read the arguments as they are, not parsed back
        )
        if self.recorder.thrift is not None:
            return await self.recorder.forward_thrift(method, args, named, incoming)
        stub = self.store.match(incoming)
        response = stub.response if stub is not None else None
        assert response is None or isinstance(response, ThriftResponse)
        kind = response.kind if response is not None else "generated"
        self.answers["stub" if stub is not None else "generated"].value += 1
        entry = Entry(incoming, {"kind": kind}, stub.id if stub is not None else None)
        self.journal.add(entry)
        if response is not None:
            delay = response.delay.seconds(self._rng)
            if delay > 0:
                await asyncio.sleep(delay)
        if kind == "exception":
            raise response.answer()  # type: ignore[union-attr]
        if kind == "applicationException":
            err: MockApplicationError = response.value  # type: ignore[union-attr]
            raise MockApplicationError(err.message, err.thrift_type)
        if kind == "generated" and (gone := self.deletions.answer(method, named)) is not None:
            raise gone
        value = response.answer() if kind == "result" else self.generator.result(method, named)  # type: ignore[union-attr]
        if kind == "generated":
            self.deletions.written(method, lambda: self.result_json(method, value))
        if response is not None and response.fault is not None:
            entry.response["fault"] = response.fault
            raise ThriftFault(response.fault, value)
        return value

    # -- HTTP -----------------------------------------------------------------------------------
    def http_match(self, incoming: Incoming) -> tuple[Stub | None, Entry]:
        stub = self.store.match(incoming)
        self.answers["stub" if stub is not None else "unmatched"].value += 1
        if stub is None:
            entry = Entry(incoming, {"status": 404}, None)
        else:
            assert isinstance(stub.response, HttpResponse)
            entry = Entry(incoming, {"status": stub.response.status, "fault": stub.response.fault}, stub.id)
        self.journal.add(entry)
        return stub, entry

    def delay_s(self, stub: Stub) -> float:
        return stub.response.delay.seconds(self._rng)

    # -- admin ----------------------------------------------------------------------------------
    def reset(self) -> None:
        """WireMock's /__admin/reset: stubs back to the folder's, journal and scenarios cleared."""
        self.store.reset()
        self.journal.clear()
        self.store.scenarios.reset_all()
        self.deletions.clear()


class _Handler:
    """The generated handler (its methods are set per IDL method)."""


class Recorder:
    """Record and replay: while recording, calls go to the real service and each exchange
    becomes a stub (Thrift: decoded JSON, raw frames kept in ``metadata.aviary``)."""

    def __init__(self, mock: Mock, default_target: str) -> None:
        self.mock = mock
        self.default_target = default_target
        self.status = "NeverStarted"
        self.thrift: ThriftUpstream | None = None
        self.http_base: str | None = None
        self.target = ""
        self.persist = False
        self.recorded: list[dict[str, Any]] = []
        self._seen: set[str] = set()

    def start(self, target: str | None = None, persist: bool = False) -> None:
        target = target or self.default_target
        if not target:
            raise ConfigError("targetBaseUrl", "no upstream: give targetBaseUrl, or set the mock's proxy setting")
        if self.status == "Recording":
            raise ConfigError("recording", "already recording; stop first")
        if target.startswith(("http://", "https://")):
            self.http_base = target.rstrip("/")
        else:
            if self.mock.service is None:
                raise ConfigError("targetBaseUrl", "a Thrift upstream needs the mock's idl setting")
            self.thrift = ThriftUpstream(target, list(self.mock.service.methods.values()), setting="targetBaseUrl")
        self.target = target
        self.persist = persist
        self.recorded = []
        self._seen = set()
        self.status = "Recording"

    async def stop(self) -> list[dict[str, Any]]:
        """Stop; the recorded stubs join the store (and the mappings folder when `persist`)."""
        if self.thrift is not None:
            await self.thrift.close()
        self.thrift = None
        self.http_base = None
        if self.status == "Recording":
            self.status = "Stopped"
        out = self.recorded
        self.recorded = []
        self.adopt(out)
        return out

    def adopt(self, specs: list[dict[str, Any]]) -> None:
        for spec in specs:
            self.mock.store.add(self.mock.store.parse(spec, "recording"))
            if self.persist and self.mock.mappings is not None:
                name = f"recorded-{spec['request'].get('method', 'any')}-{spec['id'][:8]}.json".replace("/", "_")
                (self.mock.mappings / name).write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")

    def snapshot(self) -> list[dict[str, Any]]:
        """Stubs from the journal's proxied exchanges (WireMock's snapshot), first of each."""
        seen: set[str] = set()
        out = []
        for e in self.mock.journal:
            if e.recorded is None:
                continue
            key = json.dumps(e.recorded["request"], sort_keys=True)
            if key not in seen:
                seen.add(key)
                out.append({**e.recorded, "id": str(uuid.uuid4())})
        self.adopt(out)
        return out

    def _keep(self, spec: dict[str, Any]) -> None:
        key = json.dumps(spec["request"], sort_keys=True)
        if key not in self._seen:  # the first answer to a request is the one replayed
            self._seen.add(key)
            self.recorded.append(spec)

    async def forward_thrift(self, method: Method, args: list[Any], named: dict[str, Any], incoming: Incoming) -> Any:
        assert self.thrift is not None and self.mock.service is not None
        try:
            reply = await self.thrift.call(method, args)
        except (OSError, asyncio.TimeoutError, ConnectionError, WireError) as e:  # say so, record nothing
            self.mock.journal.add(Entry(incoming, {"kind": "upstreamFailed", "message": str(e)}, None))
            raise MockApplicationError(f"recording: upstream {self.target} failed: {type(e).__name__}: {e}") from None
        response: dict[str, Any]
        if reply.kind == "result":
            response = {"result": self.mock.result_json(method, reply.value)}
        elif reply.kind == "exception":
            f = next(f for f in method.throws if f.id == reply.field_id)
            assert f.type.struct is not None
            response = {"exception": {"type": f.type.struct.name, "fields": self.mock.codec.exception_fields(f.type.struct, reply.value)}}
        else:
            message, type_ = reply.value
            response = {"applicationException": {"type": type_, "message": message}}
        spec = {
            "id": str(uuid.uuid4()),
            "name": f"recorded {self.mock.service.name}.{method.name}",
            "request": {"service": self.mock.service.name, "method": method.name, "bodyPatterns": [{"equalToJson": named}]},
            "response": response,
            "metadata": {
                "aviary": {
                    "recordedFrom": self.target,
                    "recordedAt": int(time.time() * 1000),
                    "requestFrame": base64.b64encode(reply.request_frame).decode(),
                    "replyFrame": base64.b64encode(reply.reply_frame).decode(),
                }
            },
        }
        self._keep(spec)
        self.mock.answers["proxied"].value += 1
        entry = Entry(incoming, {"kind": "proxied", **response}, None, proxied=True, recorded=spec)
        self.mock.journal.add(entry)
        if reply.kind == "exception":
            raise reply.value
        if reply.kind == "applicationException":
            raise MockApplicationError(reply.value[0], reply.value[1])
        return reply.value

    async def forward_http(self, incoming: Incoming) -> HttpResponse:
        assert self.http_base is not None
        url = self.http_base + incoming.url
        req = urllib.request.Request(url, data=incoming.body or None, method=incoming.method)
        for k, vs in incoming.headers.items():
            if k not in _HOP_HEADERS and k != "host":
                for v in vs:
                    req.add_header(k, v)

        def fetch() -> tuple[int, list[tuple[str, str]], bytes]:
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    return r.status, list(r.headers.items()), r.read()
            except urllib.error.HTTPError as e:
                return e.code, list(e.headers.items()), e.read()

        status, headers, body = await asyncio.get_running_loop().run_in_executor(None, fetch)
        headers = [(k, v) for k, v in headers if k.lower() not in _HOP_HEADERS]
        request: dict[str, Any] = {"method": incoming.method, "url": incoming.url}
        if incoming.body:
            request["bodyPatterns"] = [{"binaryEqualTo": base64.b64encode(incoming.body).decode()}]
        spec = {
            "id": str(uuid.uuid4()),
            "name": f"recorded {incoming.method} {incoming.path}",
            "request": request,
            "response": {"status": status, "headers": dict(headers), "base64Body": base64.b64encode(body).decode()},
            "metadata": {"aviary": {"recordedFrom": self.target, "recordedAt": int(time.time() * 1000)}},
        }
        self._keep(spec)
        self.mock.answers["proxied"].value += 1
        self.mock.journal.add(Entry(incoming, {"status": status, "proxied": True}, None, proxied=True, recorded=spec))
        return HttpResponse(status, headers, body)
