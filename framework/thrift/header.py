"""Apache Thrift's THeader transport (THeaderTransport / THeaderProtocol) on the Thrift port.

Each message travels in a frame::

    length:4  0x0FFF:2  flags:2  seqid:4  header_words:2  header(header_words*4)  payload

and the header holds ``protocol:varint`` (0 binary, 2 compact), ``n:varint`` transform ids
(1 = zlib is the one Apache defines and the one served here), then info headers (type 1 or
2: ``count:varint`` then that many varint-length key/value strings), zero-padded to a word.
The payload is a binary or compact message, compressed when the zlib transform is listed.

A client stacking THeader on a framed transport (Apache's TestClient does) adds one more
length in front; both are detected from the first bytes (`sniff`) and answered the same way.
Replies go in the caller's framing, protocol, flags, header seqid and transforms; the info
headers a call arrives with are in its `Context.extra` (key -> value, both text).

Bad input fails alone: a header that does not fit its frame, an unknown protocol id or info
header that runs past the header close the connection at once (nothing more on it can be
trusted); a transform other than zlib gets a TApplicationException INVALID_TRANSFORM naming
it, and the connection carries on (the frame told where the next one starts).
"""

from __future__ import annotations

import struct
import zlib
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..context import Context
from ..errors import TAPP_INVALID_TRANSFORM, WireError
from .codec import EXCEPTION, NeedMore
from .server import PlainSession

if TYPE_CHECKING:
    from .server import Connection, Session

__all__ = ["sniff", "HeaderSession", "HeaderFrame", "UnsupportedTransform", "encode_frame", "decode_frame", "frame_protocol", "HEADER_MAGIC", "ZLIB"]

HEADER_MAGIC = 0x0FFF
PROTOCOL_BINARY, PROTOCOL_COMPACT = 0, 2
ZLIB = 1
_INFO_KEY_VALUE, _INFO_PERSISTENT_KEY_VALUE = 1, 2
_TRANSFORM_NAMES = {1: "zlib", 2: "hmac", 3: "snappy", 4: "qlz", 5: "zstd"}

_i = struct.Struct(">i")
_frame_head = struct.Struct(">HHiH")  # magic, flags, seqid, header words


def sniff(b: bytes) -> Callable[[Connection], Session] | None:
    """A `framework.thrift.server.Sniffer` for THeader frames, bare or inside a framed transport."""
    if len(b) < 4 or b[0] & 0x80:  # a negative length: strict binary (80 01) or compact (82)
        return None
    if len(b) < 6:
        raise NeedMore
    if b[4] == 0x0F and b[5] == 0xFF:
        return lambda conn: HeaderSession(conn, outer_framed=False)
    if b[4] != 0:
        return None
    if len(b) < 10:
        raise NeedMore
    outer, inner = _i.unpack_from(b, 0)[0], _i.unpack_from(b, 4)[0]
    if b[8] == 0x0F and b[9] == 0xFF and inner + 4 == outer:
        return lambda conn: HeaderSession(conn, outer_framed=True)
    return None


class HeaderFrame:
    """One THeader frame, decoded: what the reply must mirror, the info headers, the payload."""

    __slots__ = ("flags", "seqid", "protocol", "transforms", "headers", "payload")

    def __init__(self, flags: int, seqid: int, protocol: int, transforms: list[int], headers: dict[str, str], payload: bytes) -> None:
        self.flags = flags
        self.seqid = seqid
        self.protocol = protocol
        self.transforms = transforms
        self.headers = headers
        self.payload = payload


class UnsupportedTransform(WireError):
    """A transform id this side cannot undo (only zlib is)."""

    def __init__(self, frame: HeaderFrame, transform: int) -> None:
        name = _TRANSFORM_NAMES.get(transform, "unknown")
        super().__init__(f"THeader transform {transform} ({name}) is not supported; supported: 1 (zlib)")
        self.frame = frame


def _varint(d: bytes, p: int, end: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if p >= end:
            raise WireError("THeader header ends inside a varint")
        b = d[p]
        p += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, p
        shift += 7
        if shift > 35:
            raise WireError("THeader varint is too long")


def _write_varint(out: bytearray, n: int) -> None:
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def decode_frame(frame: bytes, max_bytes: int) -> HeaderFrame:
    """A THeader frame's contents (after its length). Raises WireError saying what is wrong;
    `UnsupportedTransform` when only the transform is (its `frame` says how to reply)."""
    if len(frame) < 10:
        raise WireError(f"THeader frame of {len(frame)} bytes is shorter than its fixed header (10)")
    magic, flags, seqid, words = _frame_head.unpack_from(frame, 0)
    if magic != HEADER_MAGIC:
        raise WireError(f"THeader magic {magic:#06x}, expected 0x0fff")
    end = 10 + words * 4
    if end > len(frame):
        raise WireError(f"THeader header of {words * 4} bytes does not fit in a frame of {len(frame)}")
    protocol, p = _varint(frame, 10, end)
    count, p = _varint(frame, p, end)
    transforms = []
    for _ in range(count):
        t, p = _varint(frame, p, end)
        transforms.append(t)
    headers: dict[str, str] = {}
    while p < end:
        kind, p = _varint(frame, p, end)
        if kind == 0:  # padding
            break
        if kind not in (_INFO_KEY_VALUE, _INFO_PERSISTENT_KEY_VALUE):
            break  # an info header type this side does not know: ignored, as Apache does
        n, p = _varint(frame, p, end)
        for _ in range(n):
            klen, p = _varint(frame, p, end)
            key, p = frame[p : p + klen], p + klen
            vlen, p = _varint(frame, p, end)
            value, p = frame[p : p + vlen], p + vlen
            if p > end:
                raise WireError("a THeader info header runs past the end of the header")
            headers[key.decode("utf-8", "replace")] = value.decode("utf-8", "replace")
    result = HeaderFrame(flags, seqid, protocol, transforms, headers, b"")
    payload = frame[end:]
    for t in reversed(transforms):
        if t != ZLIB:
            raise UnsupportedTransform(result, t)
        d = zlib.decompressobj()
        try:
            payload = d.decompress(payload, max_bytes)
        except zlib.error as e:
            raise WireError(f"THeader zlib payload does not inflate: {e}") from None
        if d.unconsumed_tail:
            raise WireError(f"THeader zlib payload inflates past the limit of {max_bytes} bytes")
    if protocol not in (PROTOCOL_BINARY, PROTOCOL_COMPACT):
        raise WireError(f"THeader protocol id {protocol} is not served (0 binary, 2 compact)")
    result.payload = payload
    return result


def encode_frame(
    payload: bytes | bytearray, *, protocol: int, seqid: int = 0, flags: int = 0, transforms: Sequence[int] = (), headers: dict[str, str] | None = None
) -> bytearray:
    """A whole THeader frame, its length first."""
    body = bytes(payload)
    for t in transforms:
        if t != ZLIB:
            raise WireError(f"THeader transform {t} is not supported; supported: 1 (zlib)")
        body = zlib.compress(body)
    head = bytearray()
    _write_varint(head, protocol)
    _write_varint(head, len(transforms))
    for t in transforms:
        _write_varint(head, t)
    if headers:
        _write_varint(head, _INFO_KEY_VALUE)
        _write_varint(head, len(headers))
        for k, v in headers.items():
            kb, vb = k.encode(), v.encode()
            _write_varint(head, len(kb))
            head += kb
            _write_varint(head, len(vb))
            head += vb
    head += b"\0" * (-len(head) % 4)
    out = bytearray(_i.pack(10 + len(head) + len(body)))
    seqid &= 0xFFFFFFFF
    out += _frame_head.pack(HEADER_MAGIC, flags, seqid - (1 << 32) if seqid >= 1 << 31 else seqid, len(head) // 4)
    out += head
    out += body
    return out


class HeaderSession(PlainSession):
    """Plain Thrift's one-call-at-a-time session, with THeader frames around each message."""

    def __init__(self, conn: Connection, outer_framed: bool) -> None:
        super().__init__(conn, True, conn.server.binary)
        self.outer_framed = outer_framed
        self.protocol = "framed/header" if outer_framed else "header"
        self.upgrade = None  # TTwitter is another dialect; a THeader client never probes for it
        self.frame: HeaderFrame | None = None  # the frame being answered
        self.context_from_header = self._context

    def _next_message(self) -> bytes | None:
        buf = self.conn.buf
        limit = self.server.options.max_frame_bytes
        skip = 4 if self.outer_framed else 0
        if len(buf) < 4 + skip:
            return None
        (size,) = _i.unpack_from(buf, skip)
        if size < 0 or size > limit:
            self.conn.fail("frame_too_large" if size > 0 else "malformed", f"THeader frame of {size} bytes (limit {limit})")
            return None
        if self.outer_framed:
            (outer,) = _i.unpack_from(buf, 0)
            if outer != size + 4:
                self.conn.fail("malformed", f"a framed THeader frame says {outer} bytes outside and {size + 4} inside")
                return None
        if len(buf) < 4 + skip + size:
            return None
        frame = bytes(buf[4 + skip : 4 + skip + size])
        del buf[: 4 + skip + size]
        try:
            self.frame = decoded = decode_frame(frame, limit)
        except UnsupportedTransform as e:
            self.frame = e.frame
            e.frame.transforms = []  # answered in the clear: the caller's transform is what failed
            self.server.bad_input("unsupported_transform", self.conn, str(e))
            self._reply_frame_error(e.frame, TAPP_INVALID_TRANSFORM, str(e))
            return self._next_message() if self.conn.transport is not None else None
        except WireError as e:
            self.conn.fail("malformed", f"bad THeader frame: {e}")
            return None
        self.codec = self.server.binary.variant(self.strict is not False) if decoded.protocol == PROTOCOL_BINARY else self.server.compact
        return decoded.payload

    def _context(self, msg: bytes, p: int, ctx: Context) -> int:
        frame = self.frame
        if frame is not None and frame.headers:
            if ctx.extra is None:
                ctx.extra = {}
            ctx.extra.update(frame.headers)
        return p

    def _reply_frame_error(self, frame: HeaderFrame, type_: int, message: str) -> None:
        """A TApplicationException for a frame whose message could not be read (no name, seqid 0)."""
        self.codec = self.server.binary if frame.protocol != PROTOCOL_COMPACT else self.server.compact
        out = self._start("", EXCEPTION, 0)
        self.codec.write_app_exception(message, type_, out)
        self._send(out)

    # -- replies: the caller's framing, protocol, header seqid, flags and transforms ------------
    def _start(self, name: str, mtype: int, seqid: int) -> bytearray:
        out = bytearray()
        self.codec.write_message_begin(out, name, mtype, seqid)
        return out

    def _send(self, out: bytearray) -> None:
        frame = self.frame
        protocol = PROTOCOL_COMPACT if self.codec.name == "compact" else PROTOCOL_BINARY
        if frame is None:
            data = encode_frame(out, protocol=protocol)
        else:
            data = encode_frame(out, protocol=protocol, seqid=frame.seqid, flags=frame.flags, transforms=frame.transforms)
        if self.outer_framed:
            data[:0] = _i.pack(len(data))
        self.conn.write(data)


def frame_protocol(codec: Any) -> int:
    """The THeader protocol id of a codec (clients)."""
    return PROTOCOL_COMPACT if codec.name == "compact" else PROTOCOL_BINARY
