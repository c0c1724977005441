"""Hand-written Thrift binary structs that are not in any service's IDL.

TTwitter's RequestHeader/ResponseHeader, Zipkin's Span and Scribe's LogEntry are fixed,
small structs; writing them field by field is simpler than loading an IDL for them, and
`read_struct` decodes any struct into ``{field_id: value}`` (nested structs as dicts, lists as
lists) for the few fields a reader wants.
"""

from __future__ import annotations

import struct
from typing import Any

from .errors import WireError

__all__ = ["Writer", "read_struct", "T_BOOL", "T_BYTE", "T_I16", "T_I32", "T_I64", "T_STRING", "T_STRUCT", "T_LIST", "T_MAP", "T_SET", "T_DOUBLE"]

T_STOP, T_BOOL, T_BYTE, T_DOUBLE, T_I16, T_I32, T_I64, T_STRING, T_STRUCT, T_MAP, T_SET, T_LIST = 0, 2, 3, 4, 6, 8, 10, 11, 12, 13, 14, 15

_h = struct.Struct(">bh")
_i16 = struct.Struct(">h")
_i32 = struct.Struct(">i")
_i64 = struct.Struct(">q")
_u64 = struct.Struct(">Q")


def signed64(v: int) -> int:
    """An unsigned 64-bit id as the signed i64 Thrift carries."""
    return _i64.unpack(_u64.pack(v & 0xFFFF_FFFF_FFFF_FFFF))[0]


def unsigned64(v: int) -> int:
    return v & 0xFFFF_FFFF_FFFF_FFFF


class Writer:
    """Appends binary-protocol fields to a bytearray; ``end()`` writes the struct's STOP."""

    __slots__ = ("out",)

    def __init__(self, out: bytearray | None = None) -> None:
        self.out = out if out is not None else bytearray()

    def field(self, ttype: int, fid: int) -> Writer:
        self.out += _h.pack(ttype, fid)
        return self

    def i16(self, fid: int, v: int) -> Writer:
        self.field(T_I16, fid).out += _i16.pack(v)
        return self

    def i32(self, fid: int, v: int) -> Writer:
        self.field(T_I32, fid).out += _i32.pack(v)
        return self

    def i64(self, fid: int, v: int) -> Writer:
        self.field(T_I64, fid).out += _i64.pack(signed64(v))
        return self

    def bool(self, fid: int, v: bool) -> Writer:
        self.field(T_BOOL, fid).out.append(1 if v else 0)
        return self

    def binary(self, fid: int, v: bytes | str) -> Writer:
        b = v.encode() if isinstance(v, str) else v
        self.field(T_STRING, fid).out += _i32.pack(len(b)) + b
        return self

    def list_begin(self, fid: int, elem: int, n: int) -> Writer:
        self.field(T_LIST, fid).out += bytes([elem]) + _i32.pack(n)
        return self

    def struct_begin(self, fid: int) -> Writer:
        return self.field(T_STRUCT, fid)

    def end(self) -> Writer:
        self.out.append(T_STOP)
        return self

    def message_begin(self, name: str, mtype: int, seqid: int) -> Writer:
        b = name.encode()
        self.out += _i32.pack(-0x7FFF0000 | mtype) + _i32.pack(len(b)) + b + _i32.pack(seqid)
        return self


def read_struct(buf: bytes, p: int = 0) -> tuple[dict[int, Any], int]:
    """Decode one binary-protocol struct at `p`: ({field id: value}, the offset after it)."""
    try:
        return _struct(buf, p, 0)
    except (struct.error, IndexError):
        raise WireError("truncated struct") from None


def _struct(buf: bytes, p: int, depth: int) -> tuple[dict[int, Any], int]:
    if depth > 16:
        raise WireError("structs nested too deep")
    out: dict[int, Any] = {}
    while True:
        ttype = buf[p]
        p += 1
        if ttype == T_STOP:
            return out, p
        (fid,) = _i16.unpack_from(buf, p)
        p += 2
        out[fid], p = _value(buf, p, ttype, depth)


def _value(buf: bytes, p: int, ttype: int, depth: int) -> tuple[Any, int]:
    if ttype == T_BOOL or ttype == T_BYTE:
        return buf[p], p + 1
    if ttype == T_I16:
        return _i16.unpack_from(buf, p)[0], p + 2
    if ttype == T_I32:
        return _i32.unpack_from(buf, p)[0], p + 4
    if ttype == T_I64 or ttype == T_DOUBLE:
        return _i64.unpack_from(buf, p)[0], p + 8
    if ttype == T_STRING:
        (n,) = _i32.unpack_from(buf, p)
        if n < 0 or p + 4 + n > len(buf):
            raise WireError(f"string of {n} bytes runs past the end")
        return bytes(buf[p + 4 : p + 4 + n]), p + 4 + n
    if ttype == T_STRUCT:
        return _struct(buf, p, depth + 1)
    if ttype in (T_LIST, T_SET):
        elem = buf[p]
        (n,) = _i32.unpack_from(buf, p + 1)
        p += 5
        if n < 0 or n > len(buf):
            raise WireError(f"list of {n} items is longer than the message")
        items = []
        for _ in range(n):
            v, p = _value(buf, p, elem, depth + 1)
            items.append(v)
        return items, p
    if ttype == T_MAP:
        kt, vt = buf[p], buf[p + 1]
        (n,) = _i32.unpack_from(buf, p + 2)
        p += 6
        if n < 0 or n > len(buf):
            raise WireError(f"map of {n} entries is longer than the message")
        m = {}
        for _ in range(n):
            k, p = _value(buf, p, kt, depth + 1)
            v, p = _value(buf, p, vt, depth + 1)
            m[k] = v
        return m, p
    raise WireError(f"unknown field type {ttype}")
