"""Finagle's TTwitter protocol on a plain Thrift port.

A Finagle client opens each connection with a call to ``__can__finagle__trace__v3__``. A
plain server answers UNKNOWN_METHOD and the client stays plain; Aviary answers with an empty
REPLY, and from then on every request on that connection is a `RequestHeader` struct followed
by the usual message, and every reply a `ResponseHeader` (Aviary sends the empty one, byte
``00``, as Finagle does) followed by the usual reply. The header's trace ids, sampling, client
id and contexts (Finagle's binary TraceContext, Deadline, Retries) and delegations (the caller's
local dtab) fill the call's `Context`.

The server side's upgrade is `framework.thrift.server.accept_ttwitter_upgrade`. The client side, for `framework.client`:
`UPGRADE_PROBE` (the framed probe call), `upgrade_accepted` (reads the answer),
`encode_request_header` and `decode_response_header`.
"""

from __future__ import annotations

import struct
from typing import Any, Iterable

from ..context import Context, Deadline, TraceId
from ..dtab import BadDtab, Dtab, dtab_of
from ..errors import WireError
from ..tracing import (
    CLIENT_ID_CONTEXT_KEY,
    DEADLINE_CONTEXT_KEY,
    FLAG_DEBUG,
    FLAG_SAMPLED,
    FLAG_SAMPLING_KNOWN,
    TRACE_CONTEXT_KEY,
    deadline_context_bytes,
    deadline_from_context,
    trace_context_bytes,
    trace_flags,
    trace_from_context,
)
from .codec import CALL, EXCEPTION
from ..rawbinary import T_STRUCT, Writer, read_struct, unsigned64

__all__ = [
    "UPGRADE_METHOD",
    "UPGRADE_PROBE",
    "is_upgrade_probe",
    "upgrade_accepted",
    "read_request_header",
    "encode_request_header",
    "decode_response_header",
    "RESPONSE_HEADER",
]

UPGRADE_METHOD = "__can__finagle__trace__v3__"
RETRIES_CONTEXT_KEY = b"com.twitter.finagle.Retries"
RESPONSE_HEADER = b"\x00"  # an empty ResponseHeader struct
_MAGIC = UPGRADE_METHOD.encode()


def _probe_frame() -> bytes:
    w = Writer(bytearray(4))
    w.message_begin(UPGRADE_METHOD, CALL, 0)
    w.out.append(0)  # an empty ConnectionOptions struct
    struct.pack_into(">i", w.out, 0, len(w.out) - 4)
    return bytes(w.out)


UPGRADE_PROBE = _probe_frame()  # what a Finagle client sends first on every connection (framed)


def upgrade_accepted(reply: bytes) -> bool:
    """Whether the reply (unframed) to `UPGRADE_PROBE` accepts the upgrade. As Finagle, only
    the message type counts: anything but EXCEPTION (a plain server's UNKNOWN_METHOD) accepts."""
    if reply[:2] == b"\x80\x01":
        return reply[3] != EXCEPTION
    # A non-strict header (name length, name, type byte, seqid), as some old servers write.
    if len(reply) < 4:
        raise WireError(f"a {len(reply)}-byte answer to the TTwitter probe")
    (n,) = struct.unpack_from(">i", reply)
    if n < 0 or len(reply) < 4 + n + 1:
        raise WireError("an unreadable answer to the TTwitter probe")
    return reply[4 + n] != EXCEPTION


def is_upgrade_probe(msg: bytes, end: int) -> bool:
    """Whether the message whose header ends at `end` calls the TTwitter upgrade method."""
    return msg.find(_MAGIC, 0, end) >= 0


def read_request_header(msg: bytes, p: int, ctx: Context) -> int:
    """Read the RequestHeader at `p` into `ctx`; return where the message starts.

    A strict binary message header (``80 01``) where the RequestHeader should be cannot be a
    struct (0x80 is no field type): an upgraded client that sent no header this time. The
    call is served without one rather than the connection failed."""
    if msg[p : p + 2] == b"\x80\x01":
        return p
    fields, end = read_struct(msg, p)
    trace = None
    if 1 in fields and 2 in fields:
        flags = fields.get(7, 0)
        sampled: bool | None = None
        if 5 in fields:
            sampled = bool(fields[5])
        elif flags & FLAG_SAMPLING_KNOWN:
            sampled = bool(flags & FLAG_SAMPLED)
        debug = bool(flags & FLAG_DEBUG)
        parent = fields.get(3)
        trace = TraceId(
            unsigned64(fields[1]),
            unsigned64(fields[2]),
            unsigned64(parent) if parent is not None else None,
            True if debug else sampled,
            debug,
            unsigned64(fields.get(11, 0)),
        )
    client = fields.get(6)
    if isinstance(client, dict) and isinstance(client.get(1), bytes):
        ctx.client_id = client[1].decode("utf-8", "replace")
    for entry in fields.get(8, ()) or ():
        if not isinstance(entry, dict):
            raise WireError("RequestHeader.contexts holds a non-struct")
        key, value = entry.get(1, b""), entry.get(2, b"")
        if key == TRACE_CONTEXT_KEY:
            trace = trace_from_context(value) or trace  # Finagle: the context wins over fields 1-7
        elif key == DEADLINE_CONTEXT_KEY:
            d = deadline_from_context(value)
            if d is not None:
                ctx.deadline = d
        elif key == CLIENT_ID_CONTEXT_KEY:
            ctx.client_id = value.decode("utf-8", "replace")
        elif key == RETRIES_CONTEXT_KEY and len(value) == 4:
            ctx.retries = struct.unpack(">i", value)[0]
        else:
            if ctx.extra is None:
                ctx.extra = {}
            ctx.extra[key.decode("utf-8", "replace")] = value
    delegations = fields.get(10)
    if delegations:
        try:
            ctx.dtab = dtab_of((d.get(1, b"").decode("utf-8", "replace"), d.get(2, b"").decode("utf-8", "replace")) for d in delegations if isinstance(d, dict))
        except BadDtab as e:
            raise WireError(f"RequestHeader.delegations: {e}") from None
    ctx.trace = trace
    return end


def encode_request_header(
    trace: TraceId,
    *,
    client_id: str | None = None,
    deadline: Deadline | None = None,
    contexts: Iterable[tuple[bytes, bytes]] = (),
    dtab: Dtab = Dtab(),
) -> bytes:
    """The RequestHeader an upgraded client writes before each message. The trace also goes
    in a TraceContext context, and the deadline in a Deadline context, as Finagle sends them."""
    w = Writer()
    w.i64(1, trace.trace_id).i64(2, trace.span_id)
    if trace.parent_id is not None:
        w.i64(3, trace.parent_id)
    if trace.sampled is not None:
        w.bool(5, trace.sampled)
    if client_id:
        w.struct_begin(6).binary(1, client_id).end()
    w.i64(7, trace_flags(trace))
    ctxs: list[tuple[bytes, bytes]] = [(TRACE_CONTEXT_KEY, trace_context_bytes(trace))]
    if deadline is not None:
        ctxs.append((DEADLINE_CONTEXT_KEY, deadline_context_bytes(deadline)))
    if client_id:
        ctxs.append((CLIENT_ID_CONTEXT_KEY, client_id.encode()))
    ctxs.extend(contexts)
    w.list_begin(8, T_STRUCT, len(ctxs))
    for k, v in ctxs:
        w.binary(1, k).binary(2, v).end()
    if dtab:
        w.list_begin(10, T_STRUCT, len(dtab))
        for src, dst in dtab.pairs():
            w.binary(1, src).binary(2, dst).end()
    if trace.trace_id_high:
        w.i64(11, trace.trace_id_high)
    w.end()
    return bytes(w.out)


def decode_response_header(msg: bytes, p: int = 0) -> tuple[dict[int, Any], int]:
    """A ResponseHeader (client side): its fields and where the reply starts."""
    return read_struct(msg, p)
