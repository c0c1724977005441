"""Apache Thrift's TJSONProtocol, as a `framework.thrift.codec.Codec`.

A message is one JSON array: ``[1,"name",type,seqid,{fields}]``. A struct is an object keyed
by field id, each value an object naming the wire type: ``{"1":{"str":"hi"},"2":{"i32":5}}``.
Containers are arrays with their types first: ``["i32",3,1,2,3]`` (list, set) and
``["str","i32",2,{"a":1,"b":2}]`` (map; keys always JSON strings). Bools travel as 1/0,
binary as base64, doubles as numbers (``"NaN"``, ``"Infinity"``, ``"-Infinity"`` quoted).
Apache's readers parse character by character, so replies are written with no whitespace.

Reading parses the whole message with the standard `json` module, then converts it by the IDL's
types: a value of the wrong type, a missing required field or text that is not JSON raises
`WireError` naming where, never a crash. Interpreting the type model (rather than compiling, as
the binary codec does) keeps this small; JSON is the rarer dialect.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import TYPE_CHECKING, Any, Callable

from ..errors import WireError
from ..idl import Field, Method, StructDef, T, Type
from .wire import NeedMore, args_from, struct_from
from .server import PlainSession

if TYPE_CHECKING:
    from .server import Connection, Session

__all__ = ["JsonProtocolCodec", "JSON_CODEC", "json_message_end", "sniff", "TAGS"]

TAGS = {
    T.BOOL: "tf",
    T.BYTE: "i8",
    T.I16: "i16",
    T.I32: "i32",
    T.I64: "i64",
    T.DOUBLE: "dbl",
    T.STRING: "str",
    T.STRUCT: "rec",
    T.LIST: "lst",
    T.SET: "set",
    T.MAP: "map",
}
_BY_TAG = {v: k for k, v in TAGS.items()}
_LIMITS = {T.BYTE: 1 << 7, T.I16: 1 << 15, T.I32: 1 << 31, T.I64: 1 << 63}
_HEADER = re.compile(rb'\s*\[\s*(-?\d+)\s*,\s*"((?:[^"\\]|\\.)*)"\s*,\s*(-?\d+)\s*,\s*(-?\d+)\s*,', re.S)
_SPECIAL_DOUBLES = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_DUMP = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_APP_FIELDS = [Field(1, "message", Type(T.STRING, "string"), False, None), Field(2, "type", Type(T.I32, "i32"), False, None)]
_START = re.compile(rb'\[\s*1\s*,\s*"')
_STRUCTURAL = re.compile(rb'[\[\]{}"\\]')


def json_message_end(d: bytes | bytearray) -> int:
    """Where the JSON message at the start of an unframed stream ends (NeedMore: not yet).

    Only brackets, braces and strings matter for finding the end; the text is checked as JSON
    when the message is read."""
    if _START.match(d) is None and len(d) >= 8:
        raise WireError(f"not a TJSONProtocol message: starts {bytes(d[:16])!r}, expected '[1,\"'")
    depth = 0
    in_string = False
    p = 0
    n = len(d)
    while p < n:
        m = _STRUCTURAL.search(d, p)
        if m is None:
            break
        c = d[m.start()]
        p = m.start() + 1
        if in_string:
            if c == 0x5C:  # backslash: skip the escaped character
                p += 1
            elif c == 0x22:
                in_string = False
            continue
        if c == 0x22:
            in_string = True
        elif c in (0x5B, 0x7B):
            depth += 1
        elif c in (0x5D, 0x7D):
            depth -= 1
            if depth == 0:
                return p
            if depth < 0:
                raise WireError("a JSON message closes a bracket it never opened")
    raise NeedMore


class JsonProtocolCodec:
    """TJSONProtocol. Stateless: one instance serves every service."""

    name = "json"
    strict = True

    # -- values: Python -> JSON-ready --------------------------------------------------------
    def _out(self, t: Type, v: Any, depth: int = 0) -> Any:
        tt = t.ttype
        try:
            if tt == T.BOOL:
                if not isinstance(v, bool) and v not in (0, 1):
                    raise TypeError
                return 1 if v else 0
            if tt in _LIMITS:
                if isinstance(v, bool) or not isinstance(v, int):
                    raise TypeError
                lim = _LIMITS[tt]
                if not -lim <= v < lim:
                    raise WireError(f"{v} is out of range for {t.name}")
                return v
            if tt == T.DOUBLE:
                f = float(v)
                if math.isnan(f):
                    return "NaN"
                if math.isinf(f):
                    return "Infinity" if f > 0 else "-Infinity"
                return f
            if tt == T.STRING:
                if t.binary:
                    if isinstance(v, str):
                        v = v.encode()
                    return base64.b64encode(bytes(v)).decode("ascii")
                if isinstance(v, (bytes, bytearray)):
                    return bytes(v).decode()
                if not isinstance(v, str):
                    raise TypeError
                return v
            if tt == T.STRUCT:
                assert t.struct is not None
                return self._struct_out(t.struct.fields, lambda f: getattr(v, f.name), depth + 1, t.struct.name, v)
            if tt in (T.LIST, T.SET):
                assert t.item is not None
                items = list(v)
                out: list[Any] = [TAGS[t.item.ttype], len(items)]
                for i, x in enumerate(items):
                    try:
                        out.append(self._out(t.item, x, depth + 1))
                    except WireError as e:
                        raise e.at(f"[{i}]") from None
                return out
            if tt == T.MAP:
                assert t.key is not None and t.value is not None
                obj = {}
                for k, x in v.items():
                    key = self._out(t.key, k, depth + 1)
                    if isinstance(key, (dict, list)):
                        raise WireError(f"a map key of type {t.key.name} cannot be a JSON object key")
                    try:
                        obj[_key_text(key)] = self._out(t.value, x, depth + 1)
                    except WireError as e:
                        raise e.at(f"[{k!r}]") from None
                return [TAGS[t.key.ttype], TAGS[t.value.ttype], len(obj), obj]
        except WireError:
            raise
        except (TypeError, ValueError, AttributeError, UnicodeDecodeError, OverflowError):
            raise WireError(f"expected {t.name}, got {type(v).__name__}") from None
        raise AssertionError(tt)  # pragma: no cover

    def _struct_out(self, fields: list[Field], get: Any, depth: int, name: str = "", value: Any = None) -> dict[str, Any]:
        if value is not None and getattr(type(value), "thrift_spec", None) is None:
            raise WireError(f"expected {name}, got {type(value).__name__}")
        obj: dict[str, Any] = {}
        for f in fields:
            v = get(f)
            if v is None:
                if f.required:
                    raise WireError("required", f.name)
                continue
            try:
                obj[str(f.id)] = {TAGS[f.type.ttype]: self._out(f.type, v, depth)}
            except WireError as e:
                raise e.at(f.name) from None
        return obj

    # -- values: parsed JSON -> Python -------------------------------------------------------
    def _in(self, t: Type, v: Any, depth: int) -> Any:
        if depth > 64:
            raise WireError("nesting deeper than 64")
        tt = t.ttype
        if tt == T.BOOL:
            if isinstance(v, bool) or v in (0, 1):
                return bool(v)
            raise WireError(f"expected bool (0 or 1), got {v!r}")
        if tt in _LIMITS:
            if isinstance(v, str):  # map keys, and numbers some writers quote
                try:
                    v = int(v)
                except ValueError:
                    raise WireError(f"expected {t.name}, got {v!r}") from None
            if isinstance(v, bool) or not isinstance(v, int):
                raise WireError(f"expected {t.name}, got {type(v).__name__}")
            lim = _LIMITS[tt]
            if not -lim <= v < lim:
                raise WireError(f"value {v} does not fit in {t.name}")
            return v
        if tt == T.DOUBLE:
            if isinstance(v, str):
                if v in _SPECIAL_DOUBLES:
                    return _SPECIAL_DOUBLES[v]
                try:
                    return float(v)
                except ValueError:
                    raise WireError(f"expected double, got {v!r}") from None
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise WireError(f"expected double, got {type(v).__name__}")
            return float(v)
        if tt == T.STRING:
            if not isinstance(v, str):
                raise WireError(f"expected {t.name}, got {type(v).__name__}")
            if not t.binary:
                return v
            try:
                return base64.b64decode(v + "=" * (-len(v) % 4), validate=True)
            except (binascii.Error, ValueError):
                raise WireError("binary is not base64") from None
        if tt == T.STRUCT:
            assert t.struct is not None
            return self._struct_in(t.struct, v, depth + 1)
        if tt in (T.LIST, T.SET):
            assert t.item is not None
            if not isinstance(v, list) or len(v) < 2 or not isinstance(v[1], int):
                raise WireError(f"expected a JSON {TAGS[tt]} array [type, count, ...], got {_kind(v)}")
            tag, n, items = v[0], v[1], v[2:]
            if n != len(items):
                raise WireError(f"{TAGS[tt]} says {n} elements and holds {len(items)}")
            if n and tag != TAGS[t.item.ttype]:
                raise WireError(f"expected elements of {t.item.name} ({TAGS[t.item.ttype]!r}), got {tag!r}").at("[0]")
            out = []
            for i, x in enumerate(items):
                try:
                    out.append(self._in(t.item, x, depth + 1))
                except WireError as e:
                    raise e.at(f"[{i}]") from None
            if tt == T.SET:
                try:
                    return set(out)
                except TypeError:
                    raise WireError(f"set of {t.item.name} cannot be held in a Python set") from None
            return out
        if tt == T.MAP:
            assert t.key is not None and t.value is not None
            if not isinstance(v, list) or len(v) != 4 or not isinstance(v[3], dict):
                raise WireError(f"expected a JSON map array [ktype, vtype, count, {{...}}], got {_kind(v)}")
            kt, vt, n, obj = v
            if n != len(obj):
                raise WireError(f"map says {n} entries and holds {len(obj)}")
            if n and (kt != TAGS[t.key.ttype] or vt != TAGS[t.value.ttype]):
                raise WireError(f"expected map<{TAGS[t.key.ttype]},{TAGS[t.value.ttype]}>, got map<{kt},{vt}>")
            out_map = {}
            for k, x in obj.items():
                try:
                    key = self._in(t.key, _key_value(t.key, k), depth + 1)
                    out_map[key] = self._in(t.value, x, depth + 1)
                except WireError as e:
                    raise e.at(f"[{k!r}]") from None
                except TypeError:
                    raise WireError(f"a map key of type {t.key.name} cannot be a Python dict key") from None
            return out_map
        raise AssertionError(tt)  # pragma: no cover

    def _fields_in(self, by_id: dict[int, Field], obj: Any, depth: int) -> dict[int, Any]:
        if not isinstance(obj, dict):
            raise WireError(f"expected a JSON struct object, got {_kind(obj)}")
        found: dict[int, Any] = {}
        for key, holder in obj.items():
            try:
                fid = int(key)
            except ValueError:
                raise WireError(f"struct key {key!r} is not a field id") from None
            f = by_id.get(fid)
            if f is None:
                continue  # an unknown field: skipped, as every protocol does
            if not isinstance(holder, dict) or len(holder) != 1:
                raise WireError(f"expected {{type: value}}, got {_kind(holder)}", f.name)
            ((tag, value),) = holder.items()
            want = TAGS[f.type.ttype]
            if tag != want:
                raise WireError(f"expected {f.type.name} ({want!r}), got {tag!r}", f.name)
            try:
                found[fid] = self._in(f.type, value, depth)
            except WireError as e:
                raise e.at(f.name) from None
        return found

    def _struct_in(self, s: StructDef, obj: Any, depth: int) -> Any:
        return struct_from(s, self._fields_in({f.id: f for f in s.fields}, obj, depth))

    # -- messages ----------------------------------------------------------------------------
    def read_message_begin(self, d: bytes, p: int) -> tuple[str, int, int, int]:
        m = _HEADER.match(d, p)
        if m is None:
            raise WireError(f"not a TJSONProtocol message header: {bytes(d[p : p + 40])!r}")
        if m.group(1) != b"1":
            raise WireError(f"TJSONProtocol version {m.group(1).decode()}, expected 1")
        try:
            name = json.loads(b'"' + m.group(2) + b'"')
        except ValueError as e:
            raise WireError(f"the method name is not a JSON string: {e}") from None
        seqid = int(m.group(4))
        if not -(1 << 31) <= seqid < 1 << 32:
            raise WireError(f"seqid {seqid} is not a 32-bit number")
        if seqid >= 1 << 31:
            seqid -= 1 << 32
        return name, int(m.group(3)), seqid, m.end()

    def write_message_begin(self, out: bytearray, name: str, mtype: int, seqid: int) -> None:
        out += b"[1," + _DUMP(name).encode() + b",%d,%d," % (mtype, seqid)

    def _body(self, d: bytes, p: int) -> tuple[Any, int]:
        """The JSON value after the message header, and the message's end."""
        end = len(d)
        while end > p and d[end - 1] in b" \t\r\n":
            end -= 1
        if end <= p or d[end - 1] != 0x5D:
            raise WireError("a TJSONProtocol message does not end with ']'")
        try:
            return json.loads(d[p : end - 1]), len(d)
        except ValueError as e:
            raise WireError(f"the message is not JSON: {e}") from None
        except RecursionError:
            raise WireError("nesting too deep") from None

    def _end(self, out: bytearray, obj: dict[str, Any]) -> None:
        out += _DUMP(obj).encode()
        out += b"]"

    def read_args(self, method: Method, d: bytes, p: int) -> tuple[list[Any], int]:
        obj, end = self._body(d, p)
        return args_from(method, self._fields_in({f.id: f for f in method.args}, obj, 0)), end

    def write_args(self, method: Method, args: list[Any], out: bytearray) -> None:
        by_name = dict(zip((f.name for f in method.args), args))
        self._end(out, self._struct_out(method.args, lambda f: by_name.get(f.name), 0))

    def write_result(self, method: Method, value: Any, out: bytearray) -> None:
        if method.result is None:
            self._end(out, {})
            return
        self._end(out, self._struct_out([Field(0, "success", method.result, False, None)], lambda f: value, 0))

    def write_exception(self, method: Method, field: Field, exc: BaseException, out: bytearray) -> None:
        self._end(out, self._struct_out([field], lambda f: exc, 0))

    def read_result(self, method: Method, d: bytes, p: int) -> tuple[int, Any, int]:
        fields = ([Field(0, "success", method.result, False, None)] if method.result else []) + list(method.throws)
        obj, end = self._body(d, p)
        values = self._fields_in({f.id: f for f in fields}, obj, 0)
        for f in fields:
            if f.id in values:
                return f.id, values[f.id], end
        return -1, None, end

    def read_struct(self, sdef: StructDef, d: bytes, p: int) -> tuple[Any, int]:
        try:
            value, end = json.JSONDecoder().raw_decode(bytes(d[p:]).decode())
        except (ValueError, UnicodeDecodeError) as e:
            raise WireError(f"not JSON: {e}") from None
        return self._struct_in(sdef, value, 0), p + len(bytes(d[p:]).decode()[:end].encode())

    def write_struct(self, sdef: StructDef, value: Any, out: bytearray) -> None:
        out += _DUMP(self._struct_out(sdef.fields, lambda f: getattr(value, f.name, None), 0)).encode()

    def skip_struct(self, d: bytes, p: int) -> int:
        try:
            _, end = json.JSONDecoder().raw_decode(bytes(d[p:]).decode())
        except (ValueError, UnicodeDecodeError) as e:
            raise WireError(f"not JSON: {e}") from None
        return p + len(bytes(d[p:]).decode()[:end].encode())

    def message_end(self, d: bytes) -> int:
        return json_message_end(d)

    def write_app_exception(self, message: str, type_: int, out: bytearray) -> None:
        self._end(out, self._struct_out(_APP_FIELDS, lambda f: message if f.id == 1 else type_, 0))

    def read_app_exception(self, d: bytes, p: int) -> tuple[str, int, int]:
        obj, end = self._body(d, p)
        values = self._fields_in({f.id: f for f in _APP_FIELDS}, obj, 0)
        return values.get(1, ""), values.get(2, 0), end


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, float):
        return repr(key)
    return str(key)


def _key_value(t: Type, key: str) -> Any:
    """A map key (always JSON text) as the value its type reads."""
    if t.ttype == T.BOOL:
        return {"1": 1, "0": 0, "true": 1, "false": 0}.get(key, key)
    return key


def _kind(v: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(v), "a number")


JSON_CODEC = JsonProtocolCodec()


def sniff(b: bytes) -> Callable[[Connection], Session] | None:
    """A `framework.thrift.server.Sniffer`: TJSONProtocol, unframed (``[``) or framed (a
    4-byte length, then ``[``). No binary, compact or Mux stream starts so."""
    if b[:1] == b"[":
        return lambda conn: PlainSession(conn, False, JSON_CODEC)
    if len(b) >= 5 and b[4] == 0x5B and b[0] < 0x80:
        return lambda conn: PlainSession(conn, True, JSON_CODEC)
    return None
