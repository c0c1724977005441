"""Thrift wire codecs: binary (strict and non-strict) and compact.

Both speak the same interface (`Codec`), used by the server, the clients, the mock and the
event log. Values are thriftpy2's: struct instances, ints for enums, str, bytes, list, set, dict.

The binary codec is *compiled*: when a service is loaded, a reader and a writer are generated
as Python source for every struct, argument list and result, then compiled once. A call is then
decoded by straight-line code with no per-field interpretation, which is why the Thrift path
costs less CPU than thriftpy2's own servers. Every read is bounds-checked: a length or a count
that cannot fit in the frame, a wrong field type, bad UTF-8 or nesting deeper than
`MAX_DEPTH` raise `WireError` with the path of the field (``message.tags``), never a crash or an
allocation the frame could not justify.

The compact codec interprets the type model directly: it is rarer on the wire, and clarity wins.
"""

from __future__ import annotations

import struct
import weakref
from typing import Any, Callable, Protocol

from ..errors import WireError
from ..idl import WIRE_NAMES, Field, Method, StructDef, T, Type, copy_default

__all__ = [
    "CALL",
    "REPLY",
    "EXCEPTION",
    "ONEWAY",
    "MAX_DEPTH",
    "Codec",
    "BinaryCodec",
    "CompactCodec",
    "NeedMore",
    "codecs_for",
]

CALL, REPLY, EXCEPTION, ONEWAY = 1, 2, 3, 4
MAX_DEPTH = 64
VERSION_1 = 0x80010000
COMPACT_ID = 0x82

_b = struct.Struct(">b")
_h = struct.Struct(">h")
_i = struct.Struct(">i")
_q = struct.Struct(">q")
_d = struct.Struct(">d")
_bi = struct.Struct(">bi")
_bbi = struct.Struct(">bbi")
_bh = struct.Struct(">bh")
_I = struct.Struct(">I")

# Errors that mean "these bytes are not what they claim to be", converted to WireError.
_LOW_LEVEL = (IndexError, struct.error, UnicodeDecodeError, ValueError, OverflowError)


class NeedMore(Exception):
    """The buffer ends inside a message: wait for more bytes (unframed transports)."""


def _wire(e: BaseException) -> WireError:
    if isinstance(e, WireError):
        return e
    if isinstance(e, UnicodeDecodeError):
        return WireError("string is not valid UTF-8")
    if isinstance(e, (IndexError, struct.error)):
        return WireError("message ends in the middle of a value")
    return WireError(str(e) or type(e).__name__)


def _mismatch(expected: int, got: int) -> WireError:
    return WireError(f"expected {WIRE_NAMES.get(expected, expected)}, got {WIRE_NAMES.get(got, f'type {got}')}")


def _bad_size(what: str, n: int) -> WireError:
    return WireError(f"{what} size {n} does not fit in the message")


def _encode_error(t: Type, v: Any, e: BaseException | None = None) -> WireError:
    if isinstance(e, (struct.error, OverflowError)) and isinstance(v, int) and not isinstance(v, bool):
        return WireError(f"{v} is out of range for {t.name}")
    return WireError(f"expected {t.name}, got {type(v).__name__}")


def _as_bytes(v: Any) -> bytes:
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, str):
        return v.encode()
    raise TypeError(f"expected bytes, got {type(v).__name__}")


def _str_bytes(v: Any) -> bytes:
    """A `string` given as bytes (thriftpy2 allows it): only if it is valid UTF-8."""
    if isinstance(v, (bytes, bytearray)):
        b = bytes(v)
        b.decode()
        return b
    raise TypeError(f"expected str, got {type(v).__name__}")


class Codec(Protocol):
    """What every protocol offers the server, the clients and the plugins."""

    name: str

    def read_message_begin(self, d: bytes, p: int) -> tuple[str, int, int, int]: ...
    def write_message_begin(self, out: bytearray, name: str, mtype: int, seqid: int) -> None: ...
    def read_args(self, method: Method, d: bytes, p: int) -> tuple[list[Any], int]: ...
    def write_args(self, method: Method, args: list[Any], out: bytearray) -> None: ...
    def write_result(self, method: Method, value: Any, out: bytearray) -> None: ...
    def write_exception(self, method: Method, field: Field, exc: BaseException, out: bytearray) -> None: ...
    def read_result(self, method: Method, d: bytes, p: int) -> tuple[int, Any, int]: ...
    def read_struct(self, sdef: StructDef, d: bytes, p: int) -> tuple[Any, int]: ...
    def write_struct(self, sdef: StructDef, value: Any, out: bytearray) -> None: ...
    def skip_struct(self, d: bytes, p: int) -> int: ...
    def write_app_exception(self, message: str, type_: int, out: bytearray) -> None: ...
    def read_app_exception(self, d: bytes, p: int) -> tuple[str, int, int]: ...


# ---------------------------------------------------------------------------------------------
# Binary protocol: shared pieces
# ---------------------------------------------------------------------------------------------


def _binary_skip(d: bytes, p: int, t: int, depth: int = 0) -> int:
    """Position after one value of wire type `t` starting at `p` (bounds-checked)."""
    if depth > MAX_DEPTH:
        raise WireError(f"nesting deeper than {MAX_DEPTH}")
    n = len(d)
    if t == T.BOOL or t == T.BYTE:
        p += 1
    elif t == T.I16:
        p += 2
    elif t == T.I32:
        p += 4
    elif t == T.I64 or t == T.DOUBLE:
        p += 8
    elif t == T.STRING:
        if p + 4 > n:
            raise NeedMore
        (size,) = _i.unpack_from(d, p)
        if size < 0:
            raise _bad_size("string", size)
        p += 4 + size
    elif t == T.STRUCT:
        while True:
            if p >= n:
                raise NeedMore
            ft = d[p]
            if ft == T.STOP:
                return p + 1
            p = _binary_skip(d, p + 3, ft, depth + 1)
    elif t == T.LIST or t == T.SET:
        if p + 5 > n:
            raise NeedMore
        et, size = _bi.unpack_from(d, p)
        if size < 0:
            raise _bad_size("list", size)
        p += 5
        for _ in range(size):
            p = _binary_skip(d, p, et, depth + 1)
    elif t == T.MAP:
        if p + 6 > n:
            raise NeedMore
        kt, vt, size = _bbi.unpack_from(d, p)
        if size < 0:
            raise _bad_size("map", size)
        p += 6
        for _ in range(size):
            p = _binary_skip(d, p, kt, depth + 1)
            p = _binary_skip(d, p, vt, depth + 1)
    else:
        raise WireError(f"unknown field type {t}")
    if p > n:
        raise NeedMore
    return p


def _skip_framed(d: bytes, p: int, t: int, depth: int) -> int:
    """`_binary_skip` inside a complete frame, where running out of bytes is malformed input."""
    try:
        return _binary_skip(d, p, t, depth)
    except NeedMore:
        raise WireError("message ends in the middle of a value") from None


def binary_message_end(d: bytes, p: int = 0) -> int:
    """Where a binary message starting at `p` ends; NeedMore if the buffer stops short.

    Used to delimit messages on unframed connections, where only parsing finds the end."""
    n = len(d)
    if p + 4 > n:
        raise NeedMore
    (word,) = _i.unpack_from(d, p)
    if word < 0:
        if (word >> 16) & 0xFFFF != 0x8001:
            raise WireError("bad binary protocol version")
        if p + 8 > n:
            raise NeedMore
        (size,) = _i.unpack_from(d, p + 4)
        if size < 0 or size > n + (1 << 20):
            raise WireError("bad method name length")
        q = p + 8 + size + 4
    else:
        q = p + 4 + word + 1 + 4
    if q > n:
        raise NeedMore
    try:
        return _binary_skip(d, q, T.STRUCT)
    except (IndexError, struct.error):
        raise NeedMore from None


def _read_binary_header(d: bytes, p: int) -> tuple[str, int, int, int, bool]:
    (word,) = _i.unpack_from(d, p)
    if word < 0:
        if (word >> 16) & 0xFFFF != 0x8001:
            raise WireError(f"bad binary protocol version {(word >> 16) & 0xFFFF:#06x}")
        mtype = word & 0xFF
        (size,) = _i.unpack_from(d, p + 4)
        end = p + 8 + size
        if size < 0 or end > len(d):
            raise WireError("method name does not fit in the message")
        name = d[p + 8 : end].decode()
        (seqid,) = _i.unpack_from(d, end)
        return name, mtype, seqid, end + 4, True
    end = p + 4 + word
    if end + 5 > len(d):
        raise WireError("method name does not fit in the message")
    name = d[p + 4 : end].decode()
    mtype = d[end]
    (seqid,) = _i.unpack_from(d, end + 1)
    return name, mtype, seqid, end + 5, False


# ---------------------------------------------------------------------------------------------
# Binary protocol: the compiler
# ---------------------------------------------------------------------------------------------


class _Compiler:
    """Generates one reader and one writer per struct, argument list and result.

    Generated readers have the signature ``(d: bytes, p: int, depth: int) -> (value, p)`` and
    writers ``(value, out: bytearray) -> None``; both raise WireError with a field path.
    """

    def __init__(self) -> None:
        self.src: list[str] = []
        self.ns: dict[str, Any] = {
            "WireError": WireError,
            "_wire": _wire,
            "_mismatch": _mismatch,
            "_bad_size": _bad_size,
            "_encode_error": _encode_error,
            "_skip": _skip_framed,
            "_as_bytes": _as_bytes,
            "_str_bytes": _str_bytes,
            "_LOW": _LOW_LEVEL,
            "_LOWW": _LOW_LEVEL + (WireError,),
            "_ENC": (WireError, TypeError, AttributeError) + _LOW_LEVEL,
            "_b": _b,
            "_h": _h,
            "_i": _i,
            "_q": _q,
            "_d": _d,
            "_bi": _bi,
            "_bbi": _bbi,
            "_bh": _bh,
            "MAX_DEPTH": MAX_DEPTH,
            "str": str,
            "bytes": bytes,
            "list": list,
            "set": set,
            "range": range,
            "len": len,
        }
        self.readers: dict[int, str] = {}
        self.writers: dict[int, str] = {}
        self._n = 0
        self._pending: list[Callable[[], None]] = []

    def _name(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    def _const(self, value: Any, prefix: str = "K") -> str:
        name = self._name(prefix)
        self.ns[name] = value
        return name

    # -- values -------------------------------------------------------------------------------
    def read_value(self, t: Type, target: str, ind: str, out: list[str]) -> None:
        """Emit code reading one value of `t` at d[p] into `target`, advancing p."""
        tt = t.ttype
        if tt == T.BOOL:
            out.append(f"{ind}{target} = d[p] != 0; p += 1")
        elif tt == T.BYTE:
            out.append(f"{ind}{target} = _b.unpack_from(d, p)[0]; p += 1")
        elif tt == T.I16:
            out.append(f"{ind}{target} = _h.unpack_from(d, p)[0]; p += 2")
        elif tt == T.I32:
            out.append(f"{ind}{target} = _i.unpack_from(d, p)[0]; p += 4")
        elif tt == T.I64:
            out.append(f"{ind}{target} = _q.unpack_from(d, p)[0]; p += 8")
        elif tt == T.DOUBLE:
            out.append(f"{ind}{target} = _d.unpack_from(d, p)[0]; p += 8")
        elif tt == T.STRING:
            n, e = self._name("n"), self._name("e")
            out.append(f"{ind}{n} = _i.unpack_from(d, p)[0]; p += 4; {e} = p + {n}")
            out.append(f"{ind}if {n} < 0 or {e} > len(d): raise _bad_size('string', {n})")
            if t.binary:
                out.append(f"{ind}{target} = d[p:{e}]; p = {e}")
            else:
                out.append(f"{ind}{target} = str(d[p:{e}], 'utf-8'); p = {e}")
        elif tt == T.STRUCT:
            assert t.struct is not None
            fn = self.struct_reader(t.struct)
            out.append(f"{ind}{target}, p = {fn}(d, p, depth + 1)")
        elif tt in (T.LIST, T.SET):
            assert t.item is not None
            et, n, i, acc, v = (self._name(x) for x in ("et", "n", "i", "acc", "v"))
            want = t.item.ttype
            out.append(f"{ind}{et}, {n} = _bi.unpack_from(d, p); p += 5")
            out.append(f"{ind}if {n} < 0 or {n} > len(d) - p: raise _bad_size('{WIRE_NAMES[tt]}', {n})")
            out.append(f"{ind}if {et} != {want} and {n}: raise _mismatch({want}, {et}).at('[0]')")
            out.append(f"{ind}{acc} = []")
            out.append(f"{ind}{i} = 0")
            out.append(f"{ind}try:")
            out.append(f"{ind}    for {i} in range({n}):")
            self.read_value(t.item, v, ind + "        ", out)
            out.append(f"{ind}        {acc}.append({v})")
            out.append(f"{ind}except _LOWW as _e:")
            out.append(f"{ind}    raise _wire(_e).at(f'[{{{i}}}]') from None")
            if tt == T.SET:
                out.append(f"{ind}{target} = set({acc})")
            else:
                out.append(f"{ind}{target} = {acc}")
        elif tt == T.MAP:
            assert t.key is not None and t.value is not None
            kt, vt, n, acc, k, v, i = (self._name(x) for x in ("kt", "vt", "n", "acc", "k", "v", "i"))
            wk, wv = t.key.ttype, t.value.ttype
            out.append(f"{ind}{kt}, {vt}, {n} = _bbi.unpack_from(d, p); p += 6")
            out.append(f"{ind}if {n} < 0 or {n} > len(d) - p: raise _bad_size('map', {n})")
            out.append(f"{ind}if {n} and {kt} != {wk}: raise _mismatch({wk}, {kt}).at('<key>')")
            out.append(f"{ind}if {n} and {vt} != {wv}: raise _mismatch({wv}, {vt}).at('<value>')")
            out.append(f"{ind}{acc} = {{}}")
            out.append(f"{ind}{i} = 0")
            out.append(f"{ind}try:")
            out.append(f"{ind}    for {i} in range({n}):")
            self.read_value(t.key, k, ind + "        ", out)
            self.read_value(t.value, v, ind + "        ", out)
            out.append(f"{ind}        {acc}[{k}] = {v}")
            out.append(f"{ind}except _LOWW as _e:")
            out.append(f"{ind}    raise _wire(_e).at(f'[{{{i}}}]') from None")
            out.append(f"{ind}{target} = {acc}")
        else:  # pragma: no cover - the IDL model has no other types
            raise AssertionError(tt)

    def write_value(self, t: Type, expr: str, ind: str, out: list[str]) -> None:
        """Emit code appending value `expr` of type `t` to `out` (a bytearray named `o`)."""
        tt = t.ttype
        if tt == T.BOOL:
            out.append(f"{ind}o.append(1 if {expr} else 0)")
        elif tt == T.BYTE:
            out.append(f"{ind}o += _b.pack({expr})")
        elif tt == T.I16:
            out.append(f"{ind}o += _h.pack({expr})")
        elif tt == T.I32:
            out.append(f"{ind}o += _i.pack({expr})")
        elif tt == T.I64:
            out.append(f"{ind}o += _q.pack({expr})")
        elif tt == T.DOUBLE:
            out.append(f"{ind}o += _d.pack({expr})")
        elif tt == T.STRING:
            b = self._name("b")
            if t.binary:
                out.append(f"{ind}{b} = {expr} if {expr}.__class__ is bytes else _as_bytes({expr})")
            else:
                out.append(f"{ind}{b} = {expr}.encode() if {expr}.__class__ is str else _str_bytes({expr})")
            out.append(f"{ind}o += _i.pack(len({b})); o += {b}")
        elif tt == T.STRUCT:
            assert t.struct is not None
            fn = self.struct_writer(t.struct)
            out.append(f"{ind}{fn}({expr}, o)")
        elif tt in (T.LIST, T.SET):
            assert t.item is not None
            x, c, i = self._name("x"), self._name("c"), self._name("i")
            out.append(f"{ind}{c} = {expr}")
            out.append(f"{ind}o += _bi.pack({t.item.ttype}, len({c}))")
            out.append(f"{ind}{i} = 0; {x} = None")
            out.append(f"{ind}try:")
            out.append(f"{ind}    for {i}, {x} in enumerate({c}):")
            self.write_value(t.item, x, ind + "        ", out)
            out.append(f"{ind}except _ENC as _e:")
            out.append(f"{ind}    raise _wrap(_e, {self._const(t.item)}, {x}).at(f'[{{{i}}}]') from None")
            self.ns.setdefault("enumerate", enumerate)
        elif tt == T.MAP:
            assert t.key is not None and t.value is not None
            k, v, c = self._name("k"), self._name("v"), self._name("c")
            out.append(f"{ind}{c} = {expr}")
            out.append(f"{ind}o += _bbi.pack({t.key.ttype}, {t.value.ttype}, len({c}))")
            out.append(f"{ind}for {k}, {v} in {c}.items():")
            out.append(f"{ind}    try:")
            self.write_value(t.key, k, ind + "        ", out)
            out.append(f"{ind}    except _ENC as _e:")
            out.append(f"{ind}        raise _wrap(_e, {self._const(t.key)}, {k}).at(f'<key {{{k}!r}}>') from None")
            out.append(f"{ind}    try:")
            self.write_value(t.value, v, ind + "        ", out)
            out.append(f"{ind}    except _ENC as _e:")
            out.append(f"{ind}        raise _wrap(_e, {self._const(t.value)}, {v}).at(f'[{{{k}!r}}]') from None")
        else:  # pragma: no cover
            raise AssertionError(tt)

    # -- records (structs, args, results) ----------------------------------------------------
    def _field_dispatch(self, fields: list[Field], sink: Callable[[Field], str], ind: str, out: list[str]) -> None:
        """The loop that reads fields until STOP, storing each known one through `sink`."""
        out.append(f"{ind}f = None")
        out.append(f"{ind}try:")
        out.append(f"{ind}    while True:")
        out.append(f"{ind}        t = d[p]")
        out.append(f"{ind}        if t == 0:")
        out.append(f"{ind}            p += 1")
        out.append(f"{ind}            break")
        out.append(f"{ind}        fid = _h.unpack_from(d, p + 1)[0]; p += 3")
        kw = "if"
        for fld in fields:
            want = fld.type.ttype
            out.append(f"{ind}        {kw} fid == {fld.id}:")
            out.append(f"{ind}            f = {fld.name!r}")
            out.append(f"{ind}            if t != {want}: raise _mismatch({want}, t)")
            self.read_value(fld.type, sink(fld), ind + "            ", out)
            out.append(f"{ind}            f = None")
            kw = "elif"
        if fields:
            out.append(f"{ind}        else:")
            out.append(f"{ind}            p = _skip(d, p, t, depth + 1)")
        else:
            out.append(f"{ind}        p = _skip(d, p, t, depth + 1)")
        out.append(f"{ind}except _LOW as _e:")
        out.append(f"{ind}    _w = _wire(_e)")
        out.append(f"{ind}    raise (_w.at(f) if f else _w) from None")
        out.append(f"{ind}except WireError as _e:")
        out.append(f"{ind}    raise (_e.at(f) if f else _e) from None")

    def _defaults(self, fields: list[Field], assign: Callable[[Field, str], str], ind: str, out: list[str]) -> None:
        for fld in fields:
            d = fld.default
            if d is None or isinstance(d, (int, float, str, bytes, bool)):
                out.append(f"{ind}{assign(fld, repr(d))}")
            else:  # a container or struct default: a fresh copy per message
                out.append(f"{ind}{assign(fld, f'_copy({self._const(d)})')}")
                self.ns.setdefault("_copy", copy_default)

    def _required_check(self, fields: list[Field], value_of: Callable[[Field], str], ind: str, out: list[str]) -> None:
        for fld in fields:
            if fld.needed:
                out.append(f"{ind}if {value_of(fld)} is None: raise WireError('required', {fld.name!r})")

    def struct_reader(self, s: StructDef) -> str:
        key = id(s)
        if key in self.readers:
            return self.readers[key]
        fn = self._name(f"r_{s.name}_")
        self.readers[key] = fn
        cls = self._const(s.cls, "C")
        out = [f"def {fn}(d, p, depth):"]
        out.append(f"    if depth > MAX_DEPTH: raise WireError('nesting deeper than {MAX_DEPTH}')")
        out.append(f"    s = {cls}.__new__({cls})")
        self._defaults(s.fields, lambda f, v: f"s.{f.name} = {v}", "    ", out)
        self._field_dispatch(s.fields, lambda f: f"s.{f.name}", "    ", out)
        self._required_check(s.fields, lambda f: f"s.{f.name}", "    ", out)
        out.append("    return s, p")
        self.src.append("\n".join(out))
        return fn

    def struct_writer(self, s: StructDef) -> str:
        key = id(s)
        if key in self.writers:
            return self.writers[key]
        fn = self._name(f"w_{s.name}_")
        self.writers[key] = fn
        cls = self._const(s.cls, "C")
        out = [f"def {fn}(s, o):", "    f = None", "    v = None"]
        # Any thriftpy2 struct with these fields will do (it may come from another load of the
        # same IDL); anything else is the wrong type, named as such.
        out.append(f"    if s.__class__ is not {cls} and getattr(s.__class__, 'thrift_spec', None) is None:")
        out.append(f"        raise WireError('expected {s.name}, got ' + type(s).__name__)")
        out += ["    try:", "        pass"]
        for fld in s.fields:
            out.append(f"        f = {fld.name!r}")
            out.append(f"        v = s.{fld.name}")
            if fld.required:
                out.append("        if v is None: raise WireError('required')")
            out.append("        if v is not None:")
            out.append(f"            o += {_bh.pack(fld.type.ttype, fld.id)!r}")
            self.write_value(fld.type, "v", "            ", out)
        out.append("        f = None")
        out.append("    except _ENC as _e:")
        out.append(f"        raise _wrap_field(_e, {self._const(s)}, f, v) from None")
        out.append("    o.append(0)")
        self.src.append("\n".join(out))
        return fn

    def args_reader(self, m: Method) -> str:
        fn = self._name(f"ra_{m.name}_")
        out = [f"def {fn}(d, p):", "    depth = 0"]
        self._defaults(m.args, lambda f, v: f"a_{f.name} = {v}", "    ", out)
        self._field_dispatch(m.args, lambda f: f"a_{f.name}", "    ", out)
        self._required_check(m.args, lambda f: f"a_{f.name}", "    ", out)
        out.append(f"    return [{', '.join(f'a_{f.name}' for f in m.args)}], p")
        self.src.append("\n".join(out))
        return fn

    def args_writer(self, m: Method) -> str:
        fn = self._name(f"wa_{m.name}_")
        out = [f"def {fn}(a, o):", "    f = None", "    v = None", "    try:", "        pass"]
        for i, fld in enumerate(m.args):
            out.append(f"        f = {fld.name!r}")
            out.append(f"        v = a[{i}]")
            out.append("        if v is not None:")
            out.append(f"            o += {_bh.pack(fld.type.ttype, fld.id)!r}")
            self.write_value(fld.type, "v", "            ", out)
        out.append("    except _ENC as _e:")
        out.append(f"        raise _wrap_field(_e, {self._const(m.args)}, f, v) from None")
        out.append("    o.append(0)")
        self.src.append("\n".join(out))
        return fn

    def result_writer(self, m: Method) -> str:
        fn = self._name(f"wr_{m.name}_")
        out = [f"def {fn}(v, o):"]
        if m.result is not None:
            out.append("    try:")
            out.append(f"        o += {_bh.pack(m.result.ttype, 0)!r}")
            self.write_value(m.result, "v", "        ", out)
            out.append("    except _ENC as _e:")
            out.append(f"        raise _wrap(_e, {self._const(m.result)}, v).at('result') from None")
        out.append("    o.append(0)")
        self.src.append("\n".join(out))
        return fn

    def result_reader(self, m: Method) -> str:
        """Reads a reply struct into (field id, value): 0 for success, else the exception's id."""
        fn = self._name(f"rr_{m.name}_")
        fields = ([Field(0, "success", m.result, False, None)] if m.result is not None else []) + list(m.throws)
        out = [f"def {fn}(d, p):", "    depth = 0", "    rid = -1", "    rv = None"]
        for fld in fields:
            out.append(f"    r_{fld.id if fld.id >= 0 else 'n' + str(-fld.id)} = None")
        self._field_dispatch(fields, lambda f: f"r_{f.id if f.id >= 0 else 'n' + str(-f.id)}", "    ", out)
        for fld in fields:
            var = f"r_{fld.id if fld.id >= 0 else 'n' + str(-fld.id)}"
            out.append(f"    if {var} is not None: return {fld.id}, {var}, p")
        out.append("    return -1, None, p")
        self.src.append("\n".join(out))
        return fn

    def compile(self) -> dict[str, Any]:
        code = "\n\n".join(self.src)
        self.ns["_wrap"] = _wrap_value
        self.ns["_wrap_field"] = _wrap_field
        exec(compile(code, "<aviary-thrift-codec>", "exec"), self.ns)  # noqa: S102 - our own generated source
        self.src.clear()
        return self.ns


def _wrap_value(e: BaseException, t: Type, v: Any) -> WireError:
    if isinstance(e, WireError):
        return e
    return _encode_error(t, v, e)


def _wrap_field(e: BaseException, owner: Any, name: str | None, v: Any) -> WireError:
    """Attach the field name to an error raised while writing it."""
    if isinstance(e, WireError):
        return e.at(name) if name else e
    fields = owner.fields if isinstance(owner, StructDef) else owner
    for f in fields:
        if f.name == name:
            return _encode_error(f.type, v, e).at(name)
    return _wire(e)


class BinaryCodec:
    """TBinaryProtocol. `strict` chooses how message headers are *written* (reads accept both);
    a server answers in the style the client used."""

    name = "binary"

    def __init__(self, methods: list[Method], strict: bool = True, _shared: dict[str, Any] | None = None) -> None:
        self.strict = strict
        if _shared is not None:
            self._t = _shared
            return
        c = _Compiler()
        table: dict[str, Any] = {"args_r": {}, "args_w": {}, "res_w": {}, "res_r": {}, "struct_r": {}, "struct_w": {}}
        names: dict[str, dict[str, str]] = {k: {} for k in table}
        for m in methods:
            names["args_r"][m.name] = c.args_reader(m)
            names["args_w"][m.name] = c.args_writer(m)
            names["res_w"][m.name] = c.result_writer(m)
            names["res_r"][m.name] = c.result_reader(m)
            for f in m.throws:
                assert f.type.struct is not None
                c.struct_writer(f.type.struct)
        ns = c.compile()
        for kind, by_method in names.items():
            for mname, fn in by_method.items():
                table[kind][mname] = ns[fn]
        table["compiler"] = c
        table["ns"] = ns
        self._t = table

    def variant(self, strict: bool) -> BinaryCodec:
        """The same compiled codec, writing strict or non-strict message headers."""
        if strict == self.strict:
            return self
        return BinaryCodec([], strict, _shared=self._t)

    def _struct_fns(self, sdef: StructDef) -> tuple[Any, Any]:
        c: _Compiler = self._t["compiler"]
        key = id(sdef)
        if key not in c.readers or key not in c.writers or c.readers[key] not in self._t["ns"]:
            r, w = c.struct_reader(sdef), c.struct_writer(sdef)
            if c.src:
                c.compile()
            return self._t["ns"][r], self._t["ns"][w]
        return self._t["ns"][c.readers[key]], self._t["ns"][c.writers[key]]

    # -- messages ------------------------------------------------------------------------------
    def read_message_begin(self, d: bytes, p: int) -> tuple[str, int, int, int]:
        try:
            name, mtype, seqid, q, _strict = _read_binary_header(d, p)
        except _LOW_LEVEL as e:
            raise _wire(e) from None
        return name, mtype, seqid, q

    def write_message_begin(self, out: bytearray, name: str, mtype: int, seqid: int) -> None:
        b = name.encode()
        if self.strict:
            out += _i.pack(VERSION_1 - (1 << 32) | mtype)
            out += _i.pack(len(b))
            out += b
            out += _i.pack(seqid)
        else:
            out += _i.pack(len(b))
            out += b
            out += _bi.pack(mtype, seqid)

    # -- calls ---------------------------------------------------------------------------------
    def read_args(self, method: Method, d: bytes, p: int) -> tuple[list[Any], int]:
        args, q = self._t["args_r"][method.name](d, p)
        return args, q

    def write_args(self, method: Method, args: list[Any], out: bytearray) -> None:
        self._t["args_w"][method.name](args, out)

    def write_result(self, method: Method, value: Any, out: bytearray) -> None:
        self._t["res_w"][method.name](value, out)

    def write_exception(self, method: Method, field: Field, exc: BaseException, out: bytearray) -> None:
        assert field.type.struct is not None
        _, w = self._struct_fns(field.type.struct)
        out += _bh.pack(T.STRUCT, field.id)
        w(exc, out)
        out.append(0)

    def read_result(self, method: Method, d: bytes, p: int) -> tuple[int, Any, int]:
        return self._t["res_r"][method.name](d, p)

    def read_struct(self, sdef: StructDef, d: bytes, p: int) -> tuple[Any, int]:
        r, _ = self._struct_fns(sdef)
        return r(d, p, 0)

    def write_struct(self, sdef: StructDef, value: Any, out: bytearray) -> None:
        _, w = self._struct_fns(sdef)
        w(value, out)

    def skip_struct(self, d: bytes, p: int) -> int:
        try:
            return _binary_skip(d, p, T.STRUCT)
        except NeedMore:
            raise WireError("message ends in the middle of a value") from None
        except _LOW_LEVEL as e:
            raise _wire(e) from None

    def write_app_exception(self, message: str, type_: int, out: bytearray) -> None:
        b = message.encode()
        out += _bh.pack(T.STRING, 1)
        out += _i.pack(len(b))
        out += b
        out += _bh.pack(T.I32, 2)
        out += _i.pack(type_)
        out.append(0)

    def read_app_exception(self, d: bytes, p: int) -> tuple[str, int, int]:
        message, type_ = "", 0
        try:
            while True:
                t = d[p]
                if t == 0:
                    return message, type_, p + 1
                (fid,) = _h.unpack_from(d, p + 1)
                p += 3
                if fid == 1 and t == T.STRING:
                    (n,) = _i.unpack_from(d, p)
                    message = d[p + 4 : p + 4 + n].decode("utf-8", "replace")
                    p += 4 + n
                elif fid == 2 and t == T.I32:
                    (type_,) = _i.unpack_from(d, p)
                    p += 4
                else:
                    p = _binary_skip(d, p, t)
        except (NeedMore, *_LOW_LEVEL):
            raise WireError("malformed TApplicationException") from None


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
        values = self._fields(r, {f.id: f for f in s.fields}, depth)
        obj = s.cls.__new__(s.cls)
        for f in s.fields:
            v = values.get(f.id, copy_default(f.default))
            if v is None and f.required:
                raise WireError("required", f.name)
            setattr(obj, f.name, v)
        return obj

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
        args = []
        for f in method.args:
            v = values.get(f.id, copy_default(f.default))
            if v is None and f.needed:
                raise WireError("required", f.name)
            args.append(v)
        return args, r.p

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


_APP_FIELDS = [Field(1, "message", Type(T.STRING, "string"), False, None), Field(2, "type", Type(T.I32, "i32"), False, None)]


def codecs_for(methods: list[Method]) -> tuple[BinaryCodec, CompactCodec]:
    """The codecs for one service's methods (binary compiled once, compact stateless)."""
    return BinaryCodec(methods), CompactCodec()


_by_service: weakref.WeakKeyDictionary[Any, tuple[Any, Any]] = weakref.WeakKeyDictionary()


def service_codecs(service: Any) -> tuple[Any, Any]:
    """The compiled (binary, compact) codecs of a `framework.Service`'s methods, built once per
    service on first use and shared by every port serving it."""
    found = _by_service.get(service)
    if found is None:
        found = _by_service[service] = codecs_for(list(service.methods.values()))
    return found
