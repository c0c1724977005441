"""Thrift's compact protocol, interpreted from the type model: rarer on the wire than binary,
so clarity wins over compiling it."""

from __future__ import annotations

import struct
from typing import Any, Callable

from ..errors import WireError
from ..idl import Field, Method, StructDef, T, Type
from .wire import APP_FIELDS as _APP_FIELDS
from .wire import COMPACT_ID, MAX_DEPTH, NeedMore, args_from, struct_from
from .wire import LOW_LEVEL as _LOW_LEVEL
from .wire import as_bytes as _as_bytes
from .wire import bad_size as _bad_size
from .wire import encode_error as _encode_error
from .wire import mismatch as _mismatch
from .wire import str_bytes as _str_bytes
from .wire import wire_error as _wire

__all__ = ["CompactCodec"]

_b = struct.Struct(">b")
_h = struct.Struct(">h")
_i = struct.Struct(">i")
_q = struct.Struct(">q")

# ---------------------------------------------------------------------------------------------
# Compact protocol (interpreted)
# ---------------------------------------------------------------------------------------------

# compact type ids
_CT_STOP, _CT_TRUE, _CT_FALSE, _CT_BYTE, _CT_I16, _CT_I32, _CT_I64, _CT_DOUBLE = 0, 1, 2, 3, 4, 5, 6, 7
_CT_BINARY, _CT_LIST, _CT_SET, _CT_MAP, _CT_STRUCT = 8, 9, 10, 11, 12
_TO_CT = {
    T.BOOL: _CT_TRUE,
    T.BYTE: _CT_BYTE,
    T.I16: _CT_I16,
    T.I32: _CT_I32,
    T.I64: _CT_I64,
    T.DOUBLE: _CT_DOUBLE,
    T.STRING: _CT_BINARY,
    T.LIST: _CT_LIST,
    T.SET: _CT_SET,
    T.MAP: _CT_MAP,
    T.STRUCT: _CT_STRUCT,
}
_FROM_CT = {v: k for k, v in _TO_CT.items()}
_FROM_CT[_CT_FALSE] = T.BOOL
_dle = struct.Struct("<d")


class _Reader:
    """A cursor over a compact-encoded buffer."""

    __slots__ = ("d", "p", "stream")

    def __init__(self, d: bytes, p: int, stream: bool = False) -> None:
        self.d = d
        self.p = p
        self.stream = stream  # an unframed stream: running out of bytes means "wait for more"

    def byte(self) -> int:
        b = self.d[self.p]
        self.p += 1
        return b

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.d[self.p]
            self.p += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift > 63:
                raise WireError("varint is too long")

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def raw(self, n: int) -> bytes:
        if n < 0 or self.p + n > len(self.d):
            if self.stream and n >= 0:
                raise NeedMore
            raise _bad_size("binary", n)
        b = self.d[self.p : self.p + n]
        self.p += n
        return b

    def size(self, what: str) -> int:
        n = self.varint()
        if n > len(self.d) - self.p:
            if self.stream:
                raise NeedMore
            raise _bad_size(what, n)
        return n


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        if n & ~0x7F == 0:
            out.append(n)
            return bytes(out)
        out.append((n & 0x7F) | 0x80)
        n >>= 7


def _zz(n: int, bits: int) -> bytes:
    return _varint(((n << 1) ^ (n >> (bits - 1))) & ((1 << bits) - 1))


class CompactCodec:
    """TCompactProtocol."""

    name = "compact"
    strict = True

    # -- values --------------------------------------------------------------------------------
    def _read(self, r: _Reader, t: Type, depth: int, bool_ct: int | None = None) -> Any:
        tt = t.ttype
        if tt == T.BOOL:
            if bool_ct is not None:  # a struct field: the value is in the type nibble
                return bool_ct == _CT_TRUE
            return r.byte() == _CT_TRUE
        if tt == T.BYTE:
            b = r.byte()
            return b - 256 if b > 127 else b
        if tt in (T.I16, T.I32, T.I64):
            v = r.zigzag()
            limit = {T.I16: 1 << 15, T.I32: 1 << 31, T.I64: 1 << 63}[tt]
            if not -limit <= v < limit:
                raise WireError(f"value {v} does not fit in {t.name}")
            return v
        if tt == T.DOUBLE:
            return _dle.unpack(r.raw(8))[0]
        if tt == T.STRING:
            b = r.raw(r.varint())
            return b if t.binary else b.decode()
        if tt == T.STRUCT:
            assert t.struct is not None
            return self._read_struct(r, t.struct, depth + 1)
        if tt in (T.LIST, T.SET):
            assert t.item is not None
            h = r.byte()
            n = h >> 4
            if n == 15:
                n = r.size("list")
            ct = h & 0x0F
            if n and _FROM_CT.get(ct) != t.item.ttype:
                raise _mismatch(t.item.ttype, _FROM_CT.get(ct, -1)).at("[0]")
            items = []
            for i in range(n):
                try:
                    items.append(self._read(r, t.item, depth + 1))
                except _LOW_LEVEL + (WireError,) as e:
                    raise _wire(e).at(f"[{i}]") from None
            return set(items) if tt == T.SET else items
        if tt == T.MAP:
            assert t.key is not None and t.value is not None
            n = r.size("map")
            if n == 0:
                return {}
            kv = r.byte()
            if _FROM_CT.get(kv >> 4) != t.key.ttype:
                raise _mismatch(t.key.ttype, _FROM_CT.get(kv >> 4, -1)).at("<key>")
            if _FROM_CT.get(kv & 0x0F) != t.value.ttype:
                raise _mismatch(t.value.ttype, _FROM_CT.get(kv & 0x0F, -1)).at("<value>")
            out = {}
            for i in range(n):
                try:
                    k = self._read(r, t.key, depth + 1)
                    out[k] = self._read(r, t.value, depth + 1)
                except _LOW_LEVEL + (WireError,) as e:
                    raise _wire(e).at(f"[{i}]") from None
            return out
        raise AssertionError(tt)  # pragma: no cover

    def _skip(self, r: _Reader, ct: int, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise WireError(f"nesting deeper than {MAX_DEPTH}")
        if ct in (_CT_TRUE, _CT_FALSE):
            return
        if ct == _CT_BYTE:
            r.p += 1
        elif ct in (_CT_I16, _CT_I32, _CT_I64):
            r.varint()
        elif ct == _CT_DOUBLE:
            r.raw(8)
        elif ct == _CT_BINARY:
            r.raw(r.varint())
        elif ct in (_CT_LIST, _CT_SET):
            h = r.byte()
            n = h >> 4
            if n == 15:
                n = r.size("list")
            for _ in range(n):
                self._skip(r, h & 0x0F if h & 0x0F not in (_CT_TRUE, _CT_FALSE) else _CT_BYTE, depth + 1)
        elif ct == _CT_MAP:
            n = r.size("map")
            if n:
                kv = r.byte()
                for _ in range(n):
                    self._skip(r, kv >> 4, depth + 1)
                    self._skip(r, kv & 0x0F, depth + 1)
        elif ct == _CT_STRUCT:
            self._fields(r, {}, depth + 1)
        else:
            raise WireError(f"unknown compact type {ct}")

    def _fields(self, r: _Reader, by_id: dict[int, Field], depth: int) -> dict[int, Any]:
        """Read fields until STOP; known ones are decoded, others skipped."""
        if depth > MAX_DEPTH:
            raise WireError(f"nesting deeper than {MAX_DEPTH}")
        found: dict[int, Any] = {}
        last = 0
        while True:
            h = r.byte()
            if h == _CT_STOP:
                return found
            ct = h & 0x0F
            delta = h >> 4
            fid = last + delta if delta else r.zigzag()
            last = fid
            f = by_id.get(fid)
            if f is None:
                self._skip(r, ct, depth)
                continue
            if _FROM_CT.get(ct) != f.type.ttype:
                raise _mismatch(f.type.ttype, _FROM_CT.get(ct, -1)).at(f.name)
            try:
                found[fid] = self._read(r, f.type, depth, ct if f.type.ttype == T.BOOL else None)
            except _LOW_LEVEL + (WireError,) as e:
                raise _wire(e).at(f.name) from None

    def _read_struct(self, r: _Reader, s: StructDef, depth: int) -> Any:
        return struct_from(s, self._fields(r, {f.id: f for f in s.fields}, depth))

    def _write(self, out: bytearray, t: Type, v: Any, depth: int = 0) -> None:
        tt = t.ttype
        try:
            if tt == T.BOOL:
                out.append(_CT_TRUE if v else _CT_FALSE)
            elif tt == T.BYTE:
                out += _b.pack(v)
            elif tt == T.I16:
                _h.pack(v)
                out += _zz(v, 16)
            elif tt == T.I32:
                _i.pack(v)
                out += _zz(v, 32)
            elif tt == T.I64:
                _q.pack(v)
                out += _zz(v, 64)
            elif tt == T.DOUBLE:
                out += _dle.pack(v)
            elif tt == T.STRING:
                b = _as_bytes(v) if t.binary else (v.encode() if isinstance(v, str) else _str_bytes(v))
                out += _varint(len(b))
                out += b
            elif tt == T.STRUCT:
                assert t.struct is not None
                self._write_fields(out, t.struct.fields, lambda f: getattr(v, f.name), depth + 1)
            elif tt in (T.LIST, T.SET):
                assert t.item is not None
                items = list(v)
                ct = _TO_CT[t.item.ttype]
                if len(items) < 15:
                    out.append(len(items) << 4 | ct)
                else:
                    out.append(0xF0 | ct)
                    out += _varint(len(items))
                for i, x in enumerate(items):
                    try:
                        self._write(out, t.item, x, depth + 1)
                    except WireError as e:
                        raise e.at(f"[{i}]") from None
            elif tt == T.MAP:
                assert t.key is not None and t.value is not None
                out += _varint(len(v))
                if v:
                    out.append(_TO_CT[t.key.ttype] << 4 | _TO_CT[t.value.ttype])
                for k, x in v.items():
                    self._write(out, t.key, k, depth + 1)
                    self._write(out, t.value, x, depth + 1)
        except WireError:
            raise
        except (TypeError, AttributeError, *_LOW_LEVEL) as e:
            raise _encode_error(t, v, e) from None

    def _write_fields(self, out: bytearray, fields: list[Field], get: Callable[[Field], Any], depth: int) -> None:
        last = 0
        for f in fields:
            v = get(f)
            if v is None:
                if f.required:
                    raise WireError("required", f.name)
                continue
            ct = _TO_CT[f.type.ttype]
            if f.type.ttype == T.BOOL:
                ct = _CT_TRUE if v else _CT_FALSE
            delta = f.id - last
            if 0 < delta <= 15:
                out.append(delta << 4 | ct)
            else:
                out.append(ct)
                out += _zz(f.id, 16)
            last = f.id
            if f.type.ttype != T.BOOL:
                try:
                    self._write(out, f.type, v, depth)
                except WireError as e:
                    raise e.at(f.name) from None
        out.append(_CT_STOP)

    # -- messages ------------------------------------------------------------------------------
    def read_message_begin(self, d: bytes, p: int) -> tuple[str, int, int, int]:
        try:
            r = _Reader(d, p)
            if r.byte() != COMPACT_ID:
                raise WireError("not a compact protocol message")
            vt = r.byte()
            if vt & 0x1F != 1:
                raise WireError(f"bad compact protocol version {vt & 0x1F}")
            seqid = r.varint()
            if seqid >= 1 << 31:
                seqid -= 1 << 32
            name = r.raw(r.varint()).decode()
            return name, vt >> 5, seqid, r.p
        except _LOW_LEVEL as e:
            raise _wire(e) from None

    def write_message_begin(self, out: bytearray, name: str, mtype: int, seqid: int) -> None:
        b = name.encode()
        out.append(COMPACT_ID)
        out.append((mtype << 5) | 1)
        out += _varint(seqid & 0xFFFFFFFF)
        out += _varint(len(b))
        out += b

    def _guard(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except _LOW_LEVEL as e:
            raise _wire(e) from None

    def read_args(self, method: Method, d: bytes, p: int) -> tuple[list[Any], int]:
        r = _Reader(d, p)
        values = self._guard(lambda: self._fields(r, {f.id: f for f in method.args}, 0))
        return args_from(method, values), r.p

    def write_args(self, method: Method, args: list[Any], out: bytearray) -> None:
        by_name = dict(zip((f.name for f in method.args), args))
        self._write_fields(out, method.args, lambda f: by_name.get(f.name), 0)

    def write_result(self, method: Method, value: Any, out: bytearray) -> None:
        if method.result is None:
            out.append(_CT_STOP)
            return
        self._write_fields(out, [Field(0, "success", method.result, False, None)], lambda f: value, 0)

    def write_exception(self, method: Method, field: Field, exc: BaseException, out: bytearray) -> None:
        self._write_fields(out, [field], lambda f: exc, 0)

    def read_result(self, method: Method, d: bytes, p: int) -> tuple[int, Any, int]:
        fields = ([Field(0, "success", method.result, False, None)] if method.result else []) + list(method.throws)
        r = _Reader(d, p)
        values = self._guard(lambda: self._fields(r, {f.id: f for f in fields}, 0))
        for f in fields:
            if f.id in values:
                return f.id, values[f.id], r.p
        return -1, None, r.p

    def read_struct(self, sdef: StructDef, d: bytes, p: int) -> tuple[Any, int]:
        r = _Reader(d, p)
        v = self._guard(lambda: self._read_struct(r, sdef, 0))
        return v, r.p

    def write_struct(self, sdef: StructDef, value: Any, out: bytearray) -> None:
        self._write_fields(out, sdef.fields, lambda f: getattr(value, f.name, None), 0)

    def skip_struct(self, d: bytes, p: int) -> int:
        r = _Reader(d, p)
        self._guard(lambda: self._fields(r, {}, 0))
        return r.p

    def message_end(self, d: bytes) -> int:
        """Where the message at the start of an unframed stream ends (NeedMore: not yet)."""
        r = _Reader(d, 0, stream=True)
        try:
            if r.byte() != COMPACT_ID:
                raise WireError("not a compact protocol message")
            r.byte()
            r.varint()
            r.raw(r.varint())
            self._fields(r, {}, 0)
        except IndexError:
            raise NeedMore from None
        return r.p

    def write_app_exception(self, message: str, type_: int, out: bytearray) -> None:
        self._write_fields(out, _APP_FIELDS, lambda f: message if f.id == 1 else type_, 0)

    def read_app_exception(self, d: bytes, p: int) -> tuple[str, int, int]:
        r = _Reader(d, p)
        values = self._guard(lambda: self._fields(r, {f.id: f for f in _APP_FIELDS}, 0))
        return values.get(1, ""), values.get(2, 0), r.p
