"""Thrift's binary protocol (strict and non-strict), *compiled*.

When a service is loaded, a reader and a writer are generated as Python source for every
struct, argument list and result, then compiled once. A call is then decoded by straight-line
code with no per-field interpretation, which is why the Thrift path costs less CPU than
thriftpy2's own servers. Every read is bounds-checked: a length or a count that cannot fit in
the frame, a wrong field type, bad UTF-8 or nesting deeper than `MAX_DEPTH` raise `WireError`
with the path of the field (``message.tags``), never a crash or an allocation the frame could
not justify.
"""

from __future__ import annotations

import struct
from typing import Any, Callable

from ..errors import WireError
from ..idl import WIRE_NAMES, Field, Method, StructDef, T, Type, copy_default
from .wire import MAX_DEPTH, VERSION_1, NeedMore
from .wire import LOW_LEVEL as _LOW_LEVEL
from .wire import as_bytes as _as_bytes
from .wire import bad_size as _bad_size
from .wire import encode_error as _encode_error
from .wire import mismatch as _mismatch
from .wire import str_bytes as _str_bytes
from .wire import wire_error as _wire

__all__ = ["BinaryCodec", "binary_message_end"]

_b = struct.Struct(">b")
_h = struct.Struct(">h")
_i = struct.Struct(">i")
_q = struct.Struct(">q")
_d = struct.Struct(">d")
_bi = struct.Struct(">bi")
_bbi = struct.Struct(">bbi")
_bh = struct.Struct(">bh")
_I = struct.Struct(">I")


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
