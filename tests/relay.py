"""The Relay test service (tests/idl/relay.thrift): a handler that calls a Probe service with
`framework.client`, so tests see what an outgoing call inherits from the call it is made in."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

from framework import Service, current, load_idl
from framework.client import HttpClient, ThriftClient
from framework.client.base import BaseClient
from framework.errors import AviaryError

IDL = load_idl(Path(__file__).parent / "idl" / "relay.thrift")
PROBE_IDL = Path(__file__).parent / "idl" / "probe.thrift"


class RelayHandler:
    def __init__(self, ssl: ssl.SSLContext | None = None) -> None:
        self.ssl = ssl  # what the relay's own clients use (None: plaintext)

    def _client(self, dest: str, transport: str, timeout_s: float) -> BaseClient:
        if transport == "http":
            return HttpClient(PROBE_IDL, dest, timeout_s=timeout_s, client_id="relay", ssl=self.ssl)
        return ThriftClient(PROBE_IDL, dest, protocol=transport, timeout_s=timeout_s, client_id="relay", ssl=self.ssl)

    async def relay(self, dest: str, transport: str, timeoutS: float, late: bool) -> dict[str, str]:  # noqa: N803 - the IDL's name
        call = current()
        assert call is not None
        ctx = call.context
        up = {
            "up.trace": ctx.trace.trace_hex if ctx.trace else "",
            "up.span": f"{ctx.trace.span_id:016x}" if ctx.trace else "",
            "up.sampled": str(ctx.trace.sampled) if ctx.trace else "",
            "up.deadline": str(ctx.deadline.deadline_ns) if ctx.deadline else "",
        }
        if late and ctx.deadline is not None:
            while not ctx.deadline.expired:
                await asyncio.sleep(max(0.001, ctx.deadline.remaining()))
        async with self._client(dest, transport, timeoutS) as client:
            try:
                seen = await client.call("whoami")
            except AviaryError as e:
                seen = {"error": type(e).__name__, "message": str(e)}
        return {**seen, **up}


def create(ssl: ssl.SSLContext | None = None) -> Service:
    return Service(IDL, RelayHandler(ssl), name="relay")


def plugin() -> Service:
    """The factory for ``aviary run relay:plugin`` (a plugin factory's one argument is its
    settings, which `create` would take for an SSL context)."""
    return create()
