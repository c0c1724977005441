"""Trace and deadline propagation, Finagle's way, and span export.

Incoming (read by the transports into the call's `Context`):

* HTTP: B3 headers (``X-B3-TraceId`` … or a single ``b3``) via `trace_from_headers`, and
  ``Finagle-Ctx-com.twitter.finagle.Deadline`` via `deadline_from_header`;
* Thrift: TTwitter's RequestHeader (see `framework.thrift.ttwitter`), whose contexts carry
  Finagle's binary TraceContext and Deadline (`trace_from_context`, `deadline_from_context`).

Outgoing (for `framework.client`): `b3_headers`, `deadline_header`, and the binary context
encoders `trace_context_bytes` / `deadline_context_bytes`.

Every call gets a trace id, a sampling decision and, when sampled, a span from the host's
telemetry filter (`framework.telemetry`), with `sampled_by_rate` and `server_span` from here.
`DeadlineFilter` (a host filter) fails a call whose deadline passed before the handler runs.
`TraceLogFilter` puts the call's trace id on every log line of the call. `SpanExporter` is the
extension that ships sampled spans to Zipkin (JSON v2 over HTTP) and/or Scribe (category
``zipkin``, base64 Thrift spans) in batches from a background task.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
import random
import socket
import struct
import sys
import time
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Mapping

from .call import current
from .context import Context, Deadline, TraceId
from .dtab import parse_dtab
from .errors import ConfigError, DeadlineExceeded
from .filters import Handler
from .rawbinary import T_STRUCT, Writer, read_struct

if TYPE_CHECKING:
    from .hosting import HostView as Host
    from .call import Call

__all__ = [
    "trace_from_headers",
    "read_http_headers",
    "b3_headers",
    "DEADLINE_HEADER",
    "deadline_from_header",
    "deadline_header",
    "trace_from_context",
    "trace_context_bytes",
    "deadline_from_context",
    "deadline_context_bytes",
    "TRACE_CONTEXT_KEY",
    "DEADLINE_CONTEXT_KEY",
    "CLIENT_ID_CONTEXT_KEY",
    "Span",
    "server_span",
    "sampled_by_rate",
    "sample_threshold",
    "roots_to_skip",
    "DeadlineFilter",
    "TraceLogFilter",
    "SpanExporter",
    "zipkin_json",
    "zipkin_thrift",
    "scribe_log_message",
]

log = logging.getLogger("aviary.tracing")

DEADLINE_HEADER = "Finagle-Ctx-com.twitter.finagle.Deadline"
TRACE_CONTEXT_KEY = b"com.twitter.finagle.tracing.TraceContext"
DEADLINE_CONTEXT_KEY = b"com.twitter.finagle.Deadline"
CLIENT_ID_CONTEXT_KEY = b"com.twitter.finagle.thrift.ClientIdContext"

# Finagle's TraceId flags.
FLAG_DEBUG = 1
FLAG_SAMPLING_KNOWN = 2
FLAG_SAMPLED = 4

_Q4 = struct.Struct(">QQQQ")
_Q5 = struct.Struct(">QQQQQ")


# -- HTTP: B3 ------------------------------------------------------------------------------------


def _hex_id(text: str) -> tuple[int, int] | None:
    """(high, low) of a 16- or 32-hex-digit id; None if it is not one."""
    t = text.strip()
    if not t or len(t) > 32:
        return None
    try:
        v = int(t, 16)
    except ValueError:
        return None
    return (v >> 64, v & 0xFFFF_FFFF_FFFF_FFFF)


def trace_from_headers(headers: Mapping[str, str]) -> TraceId | None:
    """The trace a request carries in B3 headers (`headers` keyed in lower case), or None.

    Multi-header form needs both ``x-b3-traceid`` and ``x-b3-spanid``; the single ``b3``
    header is ``trace-span[-sampled[-parent]]`` with sampled ``1``, ``0`` or ``d`` (debug)."""
    tid = headers.get("x-b3-traceid")
    sid = headers.get("x-b3-spanid")
    if tid is not None and sid is not None:
        t, s = _hex_id(tid), _hex_id(sid)
        if t is None or s is None:
            return None
        parent = headers.get("x-b3-parentspanid")
        p = _hex_id(parent) if parent else None
        sampled_text = headers.get("x-b3-sampled")
        sampled = None if sampled_text is None else sampled_text.strip().lower() in ("1", "true")
        try:
            flags = int(headers.get("x-b3-flags", "0") or 0)
        except ValueError:
            flags = 0
        debug = bool(flags & FLAG_DEBUG)
        return TraceId(t[1], s[1], p[1] if p else None, True if debug else sampled, debug, t[0])
    single = headers.get("b3")
    if single:
        parts = single.strip().split("-")
        if len(parts) < 2:
            return None  # "0"/"1"/"d" alone is only a sampling decision: no ids to join
        t, s = _hex_id(parts[0]), _hex_id(parts[1])
        if t is None or s is None:
            return None
        flag = parts[2] if len(parts) > 2 else ""
        p = _hex_id(parts[3]) if len(parts) > 3 else None
        debug = flag == "d"
        sampled = True if flag in ("1", "d") else (False if flag == "0" else None)
        return TraceId(t[1], s[1], p[1] if p else None, sampled, debug, t[0])
    return None


_DEADLINE_HEADER_LOWER = DEADLINE_HEADER.lower().encode()


def read_http_headers(raw: list[tuple[bytes, bytes]], ctx: Context) -> None:
    """Fill `ctx` from an ASGI request's headers: B3 trace, Finagle's Deadline context and the
    ``Dtab-Local`` delegations. One pass over the headers, touching only those few. A
    ``Dtab-Local`` that does not parse raises `framework.dtab.BadDtab` (Finagle answers 400)."""
    b3: dict[str, str] | None = None
    for name, value in raw:
        if name.startswith(b"x-b3-") or name == b"b3":
            if b3 is None:
                b3 = {}
            b3[name.decode("latin-1")] = value.decode("latin-1")
        elif name == _DEADLINE_HEADER_LOWER:
            ctx.deadline = deadline_from_header(value.decode("latin-1"))
        elif name == b"dtab-local":
            ctx.dtab = ctx.dtab + parse_dtab(value.decode("latin-1"))  # several headers append
    if b3 is not None:
        ctx.trace = trace_from_headers(b3)


def b3_headers(trace: TraceId) -> dict[str, str]:
    """The B3 headers an outgoing HTTP request carries for `trace` (Finagle's form: sampled
    as true/false, left out when undecided; flags only when non-zero; no parent for a root)."""
    out = {"X-B3-TraceId": trace.trace_hex, "X-B3-SpanId": f"{trace.span_id:016x}"}
    if trace.parent_id is not None and trace.parent_id != trace.span_id:
        out["X-B3-ParentSpanId"] = f"{trace.parent_id:016x}"
    if trace.sampled is not None:
        out["X-B3-Sampled"] = "true" if trace.sampled else "false"
    if trace.debug:
        out["X-B3-Flags"] = "1"
    return out


def deadline_from_header(value: str | None) -> Deadline | None:
    """``"<timestamp_ns> <deadline_ns>"`` -> Deadline; None when absent or unreadable (a bad
    context header is ignored, as Finagle does, rather than failing the call)."""
    if not value:
        return None
    parts = value.split()
    if len(parts) != 2:
        return None
    try:
        return Deadline(int(parts[0]), int(parts[1]))
    except ValueError:
        return None


def deadline_header(deadline: Deadline) -> tuple[str, str]:
    """The (name, value) of the header that carries `deadline` on an outgoing HTTP request."""
    return DEADLINE_HEADER, f"{deadline.timestamp_ns} {deadline.deadline_ns}"


# -- Binary contexts (TTwitter field 8, Mux) -------------------------------------------------------


def trace_from_context(b: bytes) -> TraceId | None:
    """Finagle's TraceContext bytes: span, parent, trace, flags [, trace_high], 8 bytes each."""
    if len(b) == 32:
        span, parent, trace, flags = _Q4.unpack(b)
        high = 0
    elif len(b) == 40:
        span, parent, trace, flags, high = _Q5.unpack(b)
    else:
        return None
    sampled = bool(flags & FLAG_SAMPLED) if flags & FLAG_SAMPLING_KNOWN else None
    debug = bool(flags & FLAG_DEBUG)
    return TraceId(trace, span, None if parent == span else parent, True if debug else sampled, debug, high)


def trace_flags(trace: TraceId) -> int:
    flags = FLAG_DEBUG if trace.debug else 0
    if trace.sampled is not None:
        flags |= FLAG_SAMPLING_KNOWN | (FLAG_SAMPLED if trace.sampled else 0)
    return flags


def trace_context_bytes(trace: TraceId) -> bytes:
    parent = trace.parent_id if trace.parent_id is not None else trace.span_id
    if trace.trace_id_high:
        return _Q5.pack(trace.span_id, parent, trace.trace_id, trace_flags(trace), trace.trace_id_high)
    return _Q4.pack(trace.span_id, parent, trace.trace_id, trace_flags(trace))


def deadline_from_context(b: bytes) -> Deadline | None:
    if len(b) != 16:
        return None
    ts, dl = struct.unpack(">qq", b)
    return Deadline(ts, dl)


def deadline_context_bytes(deadline: Deadline) -> bytes:
    return struct.pack(">qq", deadline.timestamp_ns, deadline.deadline_ns)


# -- Spans -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Span:
    """One served call, as Zipkin records it (times in microseconds since the epoch)."""

    trace: TraceId
    name: str
    service: str
    timestamp_us: int
    duration_us: int
    remote: tuple[str, int] | None = None
    tags: dict[str, str] = field(default_factory=dict)


def zipkin_json(span: Span) -> dict[str, Any]:
    """Zipkin API v2 JSON of a server span."""
    t = span.trace
    out: dict[str, Any] = {
        "traceId": t.trace_hex,
        "id": f"{t.span_id:016x}",
        "kind": "SERVER",
        "name": span.name,
        "timestamp": span.timestamp_us,
        "duration": max(1, span.duration_us),
        "localEndpoint": {"serviceName": span.service},
        "tags": span.tags,
    }
    if t.parent_id is not None:
        out["parentId"] = f"{t.parent_id:016x}"
    if t.debug:
        out["debug"] = True
    if span.remote is not None:
        ip, port = span.remote
        out["remoteEndpoint"] = {("ipv6" if ":" in ip else "ipv4"): ip, "port": port}
    return out


def _endpoint(w: Writer, fid: int, service: str, ip: str = "127.0.0.1", port: int = 0) -> None:
    try:
        ipv4 = struct.unpack(">i", socket.inet_aton(ip))[0]
    except OSError:
        ipv4 = 0
    w.struct_begin(fid).i32(1, ipv4).i16(2, signed16(port)).binary(3, service).end()


def signed16(v: int) -> int:
    return v - 0x10000 if v >= 0x8000 else v


def zipkin_thrift(span: Span, local: tuple[str, int] = ("127.0.0.1", 0)) -> bytes:
    """The span in zipkinCore.thrift's binary form (what Scribe carries): server-receive and
    server-send annotations, tags as string binary annotations."""
    t = span.trace
    w = Writer()
    w.i64(1, t.trace_id).binary(3, span.name).i64(4, t.span_id)
    if t.parent_id is not None:
        w.i64(5, t.parent_id)
    w.list_begin(6, T_STRUCT, 2)
    for ts, value in ((span.timestamp_us, "sr"), (span.timestamp_us + span.duration_us, "ss")):
        w.i64(1, ts).binary(2, value)
        _endpoint(w, 3, span.service, *local)
        w.end()
    w.list_begin(8, T_STRUCT, len(span.tags))
    for k, v in span.tags.items():
        w.binary(1, k).binary(2, v).i32(3, 6)  # AnnotationType.STRING
        _endpoint(w, 4, span.service, *local)
        w.end()
    if t.debug:
        w.bool(9, True)
    w.i64(10, span.timestamp_us).i64(11, max(1, span.duration_us))
    if t.trace_id_high:
        w.i64(12, t.trace_id_high)
    w.end()
    return bytes(w.out)


def scribe_log_message(entries: list[tuple[str, str]], seqid: int = 0) -> bytes:
    """A framed ``Scribe.Log(messages)`` call (binary protocol) for (category, message) pairs."""
    w = Writer(bytearray(b"\0\0\0\0"))
    w.message_begin("Log", 1, seqid)
    w.list_begin(1, T_STRUCT, len(entries))
    for category, message in entries:
        w.binary(1, category).binary(2, message).end()
    w.end()
    struct.pack_into(">i", w.out, 0, len(w.out) - 4)
    return bytes(w.out)


# -- Filters ---------------------------------------------------------------------------------------


def sampled_by_rate(trace_id: int, threshold: int) -> bool:
    """Finagle's sampling decision: a function of the trace id (its low 63 bits, uniformly
    random), so every process on a trace that applies the same rate decides the same way.
    `threshold` is ``int(rate * 2**63)`` (`sample_threshold`)."""
    return (trace_id & 0x7FFF_FFFF_FFFF_FFFF) < threshold


def sample_threshold(rate: float) -> int:
    return int(rate * (1 << 63))


def roots_to_skip(rate: float) -> int:
    """How many new root traces go unsampled before the next sampled one, when each is
    sampled independently with probability `rate`: a geometric draw. A server that begins
    roots counts down instead of drawing a random number for every call."""
    if rate <= 0.0:
        return sys.maxsize
    if rate >= 1.0:
        return 0
    return int(math.log(1.0 - random.random()) / math.log(1.0 - rate))


def server_span(call: Call, trace: TraceId, duration_s: float, error: BaseException | None) -> Span:
    """The span of a served call that has just ended after `duration_s`."""
    ctx = call.context
    tags = {"transport": ctx.transport, "protocol": ctx.protocol}
    if ctx.client_id:
        tags["clnt/finagle.label"] = ctx.client_id
    if error is not None:
        tags["error"] = type(error).__name__
    duration_us = int(duration_s * 1e6)
    return Span(trace, call.method.name, call.service.name, time.time_ns() // 1000 - duration_us, duration_us, ctx.peer, tags)


async def _fail(error: BaseException) -> Any:
    raise error


class DeadlineFilter:
    """Fails a call whose deadline has already passed, without running the handler.

    A plain function returning `next(call)`: a call with time left costs no extra frame."""

    def __call__(self, call: Call, next: Handler) -> Awaitable[Any]:
        deadline = call.context.deadline
        if deadline is not None and deadline.expired:
            late_ms = -deadline.remaining() * 1000
            what = f"{call.service.name}.{call.method.name}"
            return _fail(DeadlineExceeded(f"{what}: the caller's deadline passed {late_ms:.0f} ms before the call started; not run"))
        return next(call)

    def __repr__(self) -> str:
        return "DeadlineFilter"


class TraceLogFilter(logging.Filter):
    """Adds ``record.trace`` (`` trace=<hex>`` inside a call, else empty) to every record, so
    a formatter with ``%(trace)s`` ties each log line to its call."""

    def filter(self, record: logging.LogRecord) -> bool:
        call = current()
        trace = call.context.trace if call is not None else None
        record.trace = f" trace={trace.trace_hex}" if trace is not None else ""
        return True


# -- Export ----------------------------------------------------------------------------------------


def _scribe_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ConfigError("trace_scribe", f"expected host:port of a Scribe (or zipkin-scribe collector), got {text!r}")
    return host, int(port)


class SpanExporter:
    """Extension: batches sampled spans and sends them every `interval_s` (and on stop).

    A full queue drops the newest spans (counted in ``tracing/dropped``): tracing must never
    slow or break the calls it watches. A send that fails is logged and counted, and the batch
    is dropped."""

    name = "tracing"

    def __init__(self, zipkin_url: str = "", scribe: str = "", *, interval_s: float = 1.0, max_queue: int = 10_000, category: str = "zipkin") -> None:
        self.zipkin_url = zipkin_url
        self.scribe = _scribe_address(scribe) if scribe else None
        self.category = category
        self.interval_s = interval_s
        self.queue: deque[Span] = deque()
        self.max_queue = max_queue
        self._task: asyncio.Task[None] | None = None
        from .metrics import registry

        self.m_sent = registry.counter("tracing", "spans_sent")
        self.m_dropped = registry.counter("tracing", "dropped")
        self.m_failed = registry.counter("tracing", "send_failures")
        self._seq = 0

    def record(self, span: Span) -> None:
        if len(self.queue) >= self.max_queue:
            self.m_dropped.value += 1
            return
        self.queue.append(span)

    async def start(self, host: Host) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def drain(self, host: Host) -> bool:
        return False

    async def stop(self, host: Host) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self.flush()

    def status(self) -> dict[str, Any]:
        return {"zipkin_url": self.zipkin_url or None, "scribe": "%s:%d" % self.scribe if self.scribe else None, "queued": len(self.queue)}

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            await self.flush()

    async def flush(self) -> None:
        if not self.queue:
            return
        batch = list(self.queue)
        self.queue.clear()
        sends = []
        if self.zipkin_url:
            sends.append(asyncio.to_thread(self._post_zipkin, batch))
        if self.scribe is not None:
            sends.append(self._send_scribe(batch))
        for r in await asyncio.gather(*sends, return_exceptions=True):
            if isinstance(r, BaseException):
                self.m_failed.value += 1
                log.warning("sending %d spans failed: %s: %s", len(batch), type(r).__name__, r)
            else:
                self.m_sent.value += len(batch)

    def _post_zipkin(self, batch: list[Span]) -> None:
        body = json.dumps([zipkin_json(s) for s in batch]).encode()
        req = urllib.request.Request(self.zipkin_url, data=body, method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            resp.read()

    async def _send_scribe(self, batch: list[Span]) -> None:
        assert self.scribe is not None
        entries = [(self.category, base64.b64encode(zipkin_thrift(s)).decode()) for s in batch]
        self._seq += 1
        reader, writer = await asyncio.wait_for(asyncio.open_connection(*self.scribe), 5)
        try:
            writer.write(scribe_log_message(entries, self._seq))
            await writer.drain()
            size = struct.unpack(">i", await asyncio.wait_for(reader.readexactly(4), 5))[0]
            reply = await asyncio.wait_for(reader.readexactly(size), 5)
        finally:
            writer.close()
        # REPLY header, then the result struct: field 0 is ResultCode (0 OK, 1 TRY_LATER).
        (version,) = struct.unpack_from(">i", reply, 0)
        if version & 0xFF != 2:
            raise ConnectionError("Scribe answered with an exception")
        (n,) = struct.unpack_from(">i", reply, 4)
        result, _ = read_struct(reply, 8 + n + 4)
        if result.get(0, 0) != 0:
            raise ConnectionError("Scribe said TRY_LATER")

