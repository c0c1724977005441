"""Mux wire format: frames, message bodies and the Finagle context encodings. Pure functions.

A Mux frame is ``size:4 type:1 tag:3 body``, big-endian; ``size`` counts type, tag and body.
The type byte is signed: T-messages are positive, their replies the negation. Bit 23 of the tag
marks a non-final fragment of a T/Rdispatch. Finagle *sends* Rerr as 127 and Tdiscarded as −62
(old flukes it keeps for compatibility); both forms are accepted here, and Aviary sends the
same forms Finagle does, so old Mux peers read us too.

Context values (the keys Finagle uses in Tdispatch and Rdispatch):

* ``com.twitter.finagle.tracing.TraceContext``: ``span:8 parent:8 trace:8 flags:8
  [trace_high:8]``; flags 1 = debug, 2 = sampling known, 4 = sampled; parent == span means a
  root span.
* ``com.twitter.finagle.Deadline``: ``timestamp_ns:8 deadline_ns:8``.
* ``com.twitter.finagle.Retries``: ``n:4``.
* ``com.twitter.finagle.thrift.ClientIdContext``: the UTF-8 client name.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Sequence

from ..context import Context, Deadline, TraceId
from ..errors import WireError

__all__ = [
    "MuxMessage",
    "Tdispatch",
    "encode",
    "frame_header",
    "parse_tdispatch",
    "encode_tdispatch",
    "parse_rdispatch",
    "encode_rdispatch",
    "parse_init",
    "encode_init",
    "parse_treq",
    "contexts_to_context",
    "context_to_contexts",
]

# -- message types ---------------------------------------------------------------------------------
TREQ, RREQ = 1, -1
TDISPATCH, RDISPATCH = 2, -2
TDRAIN, RDRAIN = 64, -64
TPING, RPING = 65, -65
TDISCARDED, RDISCARDED = 66, -66
TLEASE = 67
TINIT, RINIT = 68, -68
RERR = -128
BAD_TDISCARDED = -62  # what Finagle sends for Tdiscarded
BAD_RERR = 127  # what Finagle sends for Rerr

KNOWN_TYPES = frozenset(
    {TREQ, RREQ, TDISPATCH, RDISPATCH, TDRAIN, RDRAIN, TPING, RPING, TDISCARDED, RDISCARDED, TLEASE, TINIT, RINIT, RERR, BAD_TDISCARDED, BAD_RERR}
)

# -- tags, statuses --------------------------------------------------------------------------------
MARKER_TAG = 0  # messages that get no reply (Tdiscarded, Tlease)
CONTROL_TAG = 1  # handshake, pings and drain use it
MIN_TAG = 2
MAX_TAG = (1 << 23) - 1
FRAGMENT = 1 << 23

OK, ERROR, NACK = 0, 1, 2

TINIT_CHECK = b"tinit check"
VERSION = 1

TRACE_KEY = b"com.twitter.finagle.tracing.TraceContext"
DEADLINE_KEY = b"com.twitter.finagle.Deadline"
RETRIES_KEY = b"com.twitter.finagle.Retries"
CLIENT_ID_KEY = b"com.twitter.finagle.thrift.ClientIdContext"
MUX_FAILURE_KEY = b"MuxFailure"  # Rdispatch context: 8-byte flags (1 restartable, 2 rejected, 4 non-retryable)
FAILURE_RESTARTABLE, FAILURE_REJECTED, FAILURE_NON_RETRYABLE = 1, 2, 4

_head = struct.Struct(">iB3s")
_H = struct.Struct(">H")
_I = struct.Struct(">I")
_Q = struct.Struct(">Q")
_q = struct.Struct(">q")
_i = struct.Struct(">i")


def norm_type(t: int) -> int:
    """The canonical type for a received type byte (Finagle's flukes mapped to their meaning)."""
    if t == BAD_RERR:
        return RERR
    if t == BAD_TDISCARDED:
        return TDISCARDED
    return t


def sent_type(t: int) -> int:
    """The type byte Finagle puts on the wire for a message type."""
    if t == RERR:
        return BAD_RERR
    if t == TDISCARDED:
        return BAD_TDISCARDED
    return t


def frame_header(payload_len: int, typ: int, tag: int) -> bytes:
    """``size type tag`` for a body of `payload_len` bytes (type as Finagle sends it)."""
    return struct.pack(">iBBH", payload_len + 4, sent_type(typ) & 0xFF, (tag >> 16) & 0xFF, tag & 0xFFFF)


def encode(typ: int, tag: int, body: bytes | bytearray = b"") -> bytes:
    return frame_header(len(body), typ, tag) + bytes(body)


@dataclass(slots=True)
class MuxMessage:
    """One received frame: `type` already normalised, `tag` without the fragment bit."""

    type: int
    tag: int
    body: bytes
    fragment: bool = False
    raw_type: int = 0


def read_frame(buf: bytearray, max_frame: int) -> MuxMessage | None:
    """Take one whole frame off the front of `buf`; None when more bytes are needed."""
    if len(buf) < 4:
        return None
    (size,) = _i.unpack_from(buf, 0)
    if size < 4:
        raise WireError(f"Mux frame size {size} is below the 4 bytes of type and tag")
    if size > max_frame:
        raise WireError(f"Mux frame of {size} bytes is over the limit of {max_frame}")
    if len(buf) < 4 + size:
        return None
    raw = buf[4]
    typ = raw - 256 if raw > 127 else raw
    tag = (buf[5] << 16) | (buf[6] << 8) | buf[7]
    body = bytes(buf[8 : 4 + size])
    del buf[: 4 + size]
    return MuxMessage(norm_type(typ), tag & ~FRAGMENT, body, bool(tag & FRAGMENT), typ)


# -- bodies ----------------------------------------------------------------------------------------
class _Reader:
    __slots__ = ("d", "p", "what")

    def __init__(self, d: bytes, what: str) -> None:
        self.d = d
        self.p = 0
        self.what = what

    def take(self, n: int) -> bytes:
        if self.p + n > len(self.d):
            raise WireError(f"{self.what}: a length of {n} runs past the end of the message ({len(self.d) - self.p} bytes left)")
        v = self.d[self.p : self.p + n]
        self.p += n
        return v

    def u16(self) -> int:
        return _H.unpack(self.take(2))[0]

    def u32(self) -> int:
        return _I.unpack(self.take(4))[0]

    def rest(self) -> bytes:
        v = self.d[self.p :]
        self.p = len(self.d)
        return v


def _read_contexts(r: _Reader) -> list[tuple[bytes, bytes]]:
    n = r.u16()
    out = []
    for _ in range(n):
        k = r.take(r.u16())
        v = r.take(r.u16())
        out.append((k, v))
    return out


def _write_contexts(out: bytearray, contexts: list[tuple[bytes, bytes]]) -> None:
    out += _H.pack(len(contexts))
    for k, v in contexts:
        if len(k) > 0xFFFF or len(v) > 0xFFFF:
            raise WireError(f"Mux context {k[:40]!r} is over 65535 bytes")
        out += _H.pack(len(k))
        out += k
        out += _H.pack(len(v))
        out += v


@dataclass(slots=True)
class Tdispatch:
    contexts: list[tuple[bytes, bytes]]
    dest: str
    dtab: list[tuple[str, str]]
    body: bytes


def parse_tdispatch(body: bytes) -> Tdispatch:
    r = _Reader(body, "Tdispatch")
    contexts = _read_contexts(r)
    dest = r.take(r.u16()).decode("utf-8", "replace")
    dtab = []
    for _ in range(r.u16()):
        src = r.take(r.u16()).decode("utf-8", "replace")
        dst = r.take(r.u16()).decode("utf-8", "replace")
        dtab.append((src, dst))
    return Tdispatch(contexts, dest, dtab, r.rest())


def encode_tdispatch(
    contexts: list[tuple[bytes, bytes]], payload: bytes | bytearray, dest: str = "", dtab: Sequence[tuple[str, str]] = ()
) -> bytearray:
    out = bytearray()
    _write_contexts(out, contexts)
    d = dest.encode()
    out += _H.pack(len(d))
    out += d
    out += _H.pack(len(dtab))
    for src, dst in dtab:
        for text in (src.encode(), dst.encode()):
            if len(text) > 0xFFFF:
                raise WireError(f"a delegation of {len(text)} bytes does not fit a Tdispatch")
            out += _H.pack(len(text))
            out += text
    out += payload
    return out


def parse_rdispatch(body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    r = _Reader(body, "Rdispatch")
    status = r.take(1)[0]
    contexts = _read_contexts(r)
    return status, contexts, r.rest()


def encode_rdispatch(status: int, payload: bytes | bytearray = b"", contexts: list[tuple[bytes, bytes]] | None = None) -> bytearray:
    out = bytearray((status,))
    _write_contexts(out, contexts or [])
    out += payload
    return out


def nack_contexts() -> list[tuple[bytes, bytes]]:
    """The MuxFailure context Finagle puts on a NACK: restartable and rejected."""
    return [(MUX_FAILURE_KEY, _Q.pack(FAILURE_RESTARTABLE | FAILURE_REJECTED))]


def parse_init(body: bytes) -> tuple[int, list[tuple[bytes, bytes]]]:
    r = _Reader(body, "Tinit")
    version = r.u16()
    headers = []
    while r.p < len(body):
        k = r.take(r.u32())
        v = r.take(r.u32())
        headers.append((k, v))
    return version, headers


def encode_init(version: int, headers: list[tuple[bytes, bytes]]) -> bytearray:
    out = bytearray(_H.pack(version))
    for k, v in headers:
        out += _I.pack(len(k)) + k + _I.pack(len(v)) + v
    return out


def parse_treq(body: bytes) -> tuple[TraceId | None, bytes]:
    """Treq (the pre-Tdispatch request): ``n:1 (key:1 len:1 value){n} payload``. Key 1 is a
    24-byte span/parent/trace, key 2 one byte of flags."""
    r = _Reader(body, "Treq")
    n = r.take(1)[0]
    ids: tuple[int, int, int] | None = None
    flags = 0
    for _ in range(n):
        key = r.take(1)[0]
        v = r.take(r.take(1)[0])
        if key == 1:
            if len(v) != 24:
                raise WireError(f"Treq: trace id of {len(v)} bytes, expected 24")
            ids = struct.unpack(">QQQ", v)
        elif key == 2 and v:
            flags = v[-1]
    if ids is None:
        return None, r.rest()
    return _trace(ids[0], ids[1], ids[2], flags, 0), r.rest()


def encode_rreq(status: int, payload: bytes | bytearray = b"") -> bytes:
    return bytes((status,)) + bytes(payload)


def parse_discarded(body: bytes) -> tuple[int, str]:
    """Tdiscarded: ``tag:3 why`` (the tag of the call the client gave up on)."""
    if len(body) < 3:
        raise WireError(f"Tdiscarded body of {len(body)} bytes has no tag")
    return (body[0] << 16) | (body[1] << 8) | body[2], body[3:].decode("utf-8", "replace")


def encode_discarded(tag: int, why: str) -> bytes:
    return bytes(((tag >> 16) & 0xFF, (tag >> 8) & 0xFF, tag & 0xFF)) + why.encode()


# -- contexts --------------------------------------------------------------------------------------
def _trace(span: int, parent: int, trace: int, flags: int, high: int) -> TraceId:
    sampled = bool(flags & 4) if flags & 2 else None
    return TraceId(trace, span, None if parent == span else parent, sampled, bool(flags & 1), high)


def decode_trace(v: bytes) -> TraceId:
    if len(v) not in (32, 40):
        raise WireError(f"TraceContext of {len(v)} bytes, expected 32 or 40")
    span, parent, trace, flags = struct.unpack_from(">QQQQ", v)
    high = _Q.unpack_from(v, 32)[0] if len(v) == 40 else 0
    return _trace(span, parent, trace, flags, high)


def encode_trace(t: TraceId) -> bytes:
    flags = 1 if t.debug else 0
    if t.sampled is not None:
        flags |= 2 | (4 if t.sampled else 0)
    parent = t.parent_id if t.parent_id is not None else t.span_id
    out = struct.pack(">QQQQ", t.span_id, parent, t.trace_id, flags)
    if t.trace_id_high:
        out += _Q.pack(t.trace_id_high)
    return out


def contexts_to_context(contexts: list[tuple[bytes, bytes]], ctx: Context) -> list[str]:
    """Fill `ctx` from a Tdispatch's contexts; unknown keys are kept in ``ctx.extra``.

    A known context whose value does not decode is left out and named in the returned list,
    and the call goes on: Finagle treats a value it cannot unmarshal as absent, too."""
    problems = []
    for k, v in contexts:
        try:
            _one_context(k, v, ctx)
        except WireError as e:
            problems.append(str(e))
    return problems


def _one_context(k: bytes, v: bytes, ctx: Context) -> None:
    if k == TRACE_KEY:
        ctx.trace = decode_trace(v)
    elif k == DEADLINE_KEY:
        if len(v) != 16:
            raise WireError(f"Deadline context of {len(v)} bytes, expected 16")
        ts, dl = struct.unpack(">qq", v)
        ctx.deadline = Deadline(ts, dl)
    elif k == RETRIES_KEY:
        if len(v) != 4:
            raise WireError(f"Retries context of {len(v)} bytes, expected 4")
        ctx.retries = _i.unpack(v)[0]
    elif k == CLIENT_ID_KEY:
        ctx.client_id = v.decode("utf-8", "replace") or None  # empty: the legacy "no client id"
    else:
        if ctx.extra is None:
            ctx.extra = {}
        ctx.extra[k.decode("utf-8", "replace")] = v


def context_to_contexts(ctx: Context | None) -> list[tuple[bytes, bytes]]:
    """The Mux contexts an outgoing call carries for `ctx`."""
    if ctx is None:
        return []
    out: list[tuple[bytes, bytes]] = []
    if ctx.trace is not None:
        out.append((TRACE_KEY, encode_trace(ctx.trace)))
    if ctx.deadline is not None:
        out.append((DEADLINE_KEY, struct.pack(">qq", ctx.deadline.timestamp_ns, ctx.deadline.deadline_ns)))
    if ctx.retries:
        out.append((RETRIES_KEY, _i.pack(ctx.retries)))
    if ctx.client_id:
        out.append((CLIENT_ID_KEY, ctx.client_id.encode()))
    return out


@dataclass(slots=True)
class Reassembly:
    """Fragments of dispatches in progress, by tag."""

    parts: dict[int, list[bytes]] = field(default_factory=dict)
    size: int = 0

    def add(self, m: MuxMessage, limit: int) -> bytes | None:
        """The whole body once the final fragment arrived; None while fragments are pending."""
        parts = self.parts.get(m.tag)
        if not m.fragment and parts is None:
            return m.body
        if parts is None:
            parts = self.parts[m.tag] = []
        parts.append(m.body)
        self.size += len(m.body)
        if self.size > limit:
            raise WireError(f"fragmented Mux messages over the limit of {limit} bytes")
        if m.fragment:
            return None
        del self.parts[m.tag]
        body = b"".join(parts)
        self.size -= len(body)
        return body

    def drop(self, tag: int) -> None:
        parts = self.parts.pop(tag, None)
        if parts:
            self.size -= sum(map(len, parts))
