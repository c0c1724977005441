"""The JSON codec: Thrift values <-> JSON, driven by the IDL (the project's only JSON codec).

Mapping (the REST contract, also used by the mock, the event log and ``aviary call``):

* i8/i16/i32/i64 -> exact JSON integers (no float rounding for i64); double -> number
  (NaN and infinities as the strings "NaN", "Infinity", "-Infinity");
* string -> string; binary -> base64 (standard alphabet; URL-safe accepted on input);
* enum -> its name (numbers accepted on input); struct/exception -> object of set fields;
* list and set -> array; map with string, integer or enum keys -> object, other keys ->
  ``[{"key": ..., "value": ...}]``.

Decoding checks every value against its type and raises `InvalidArgument` with the exact path
(``args.message.lucky[2]: expected i32, got string``). Converters are built once per type.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import Any, Callable

from ..errors import InvalidArgument
from ..jsonio import MAX_JSON_DEPTH, TooDeep, dumps, dumps_ascii, loads
from ..idl import Method, StructDef, T, Type, copy_default

__all__ = ["JsonCodec", "EncodeError", "TooDeep", "MAX_JSON_DEPTH", "dumps", "dumps_ascii", "loads", "json_type_name"]

Decoder = Callable[[Any, str], Any]
Encoder = Callable[[Any], Any]

INT_RANGE = {
    T.BYTE: (-(1 << 7), (1 << 7) - 1),
    T.I16: (-(1 << 15), (1 << 15) - 1),
    T.I32: (-(1 << 31), (1 << 31) - 1),
    T.I64: (-(1 << 63), (1 << 63) - 1),
}

# Binary as JSON: standard or URL-safe base64, padding optional. The OpenAPI document states
# this very pattern, so the document and the decoder agree on every string.
BASE64_PATTERN = r"^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==?)?|[A-Za-z0-9+/_-]{3}=?)?$"
_BASE64 = re.compile(BASE64_PATTERN)
INTEGER_TEXT_PATTERN = r"^-?[0-9]+$"  # an integer in a path, a query or a map key
_INTEGER_TEXT = re.compile(INTEGER_TEXT_PATTERN)

def json_type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


class EncodeError(TypeError):
    """A handler returned a value that does not fit the IDL; `path` says where."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def at(self, name: str) -> EncodeError:
        self.path = name + self.path if self.path.startswith("[") or not self.path else f"{name}.{self.path}"
        return self

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def _bad(path: str, t: Type, v: Any, why: str = "") -> InvalidArgument:
    return InvalidArgument(why or f"expected {t.name}, got {json_type_name(v)}", path)


def _required(obj: dict[str, Any], name: str, path: str) -> InvalidArgument:
    """A required field or argument that is absent, or null (null stands for "not set", which
    only a field that may be unset can be: the OpenAPI document marks those nullable)."""
    return InvalidArgument("required, got null" if name in obj else "required", path)


def map_as_object(key: Type) -> bool:
    return key.ttype in (T.STRING, T.BYTE, T.I16, T.I32, T.I64) and not key.binary


class JsonCodec:
    """Decoders and encoders for the types of one IDL, built on first use and kept."""

    def __init__(self) -> None:
        self._dec: dict[int, Decoder] = {}
        self._enc: dict[int, Encoder | None] = {}

    # -- decoding (JSON -> Thrift) -----------------------------------------------------------
    def decoder(self, t: Type) -> Decoder:
        key = id(t.struct) if t.struct is not None else id(t)
        d = self._dec.get(key)
        if d is None:
            if t.struct is not None:
                # Register a trampoline first: structs may contain themselves.
                box: list[Decoder] = []
                self._dec[key] = lambda v, path: box[0](v, path)
                real = self._build_decoder(t)
                box.append(real)
                self._dec[key] = real
                return real
            d = self._dec[key] = self._build_decoder(t)
        return d

    def _build_decoder(self, t: Type) -> Decoder:
        tt = t.ttype
        if tt == T.BOOL:

            def dec_bool(v: Any, path: str) -> bool:
                if v is True or v is False:
                    return v
                raise _bad(path, t, v)

            return dec_bool
        if t.enum is not None:
            values, names = t.enum.values, t.enum.names

            def dec_enum(v: Any, path: str) -> int:
                if isinstance(v, str):
                    try:
                        return values[v]
                    except KeyError:
                        raise _bad(path, t, v, f"{v!r} is not a {t.name} (one of {', '.join(values)})") from None
                if isinstance(v, int) and not isinstance(v, bool) and v in names:
                    return v
                raise _bad(path, t, v, f"expected a {t.name} name (one of {', '.join(values)}), got {json.dumps(v)}")

            return dec_enum
        if tt in INT_RANGE:
            lo, hi = INT_RANGE[tt]

            def dec_int(v: Any, path: str) -> int:
                if v.__class__ is int:
                    if lo <= v <= hi:
                        return v
                    raise _bad(path, t, v, f"{v} is out of range for {t.name}")
                if isinstance(v, float) and v.is_integer() and lo <= v <= hi:
                    return int(v)
                raise _bad(path, t, v)

            return dec_int
        if tt == T.DOUBLE:

            def dec_double(v: Any, path: str) -> float:
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    return float(v)
                if v in ("NaN", "Infinity", "-Infinity"):
                    return float(v.replace("Infinity", "inf"))
                raise _bad(path, t, v)

            return dec_double
        if tt == T.STRING and t.binary:

            def dec_binary(v: Any, path: str) -> bytes:
                if not isinstance(v, str):
                    raise _bad(path, t, v, f"expected base64 text for binary, got {json_type_name(v)}")
                if not _BASE64.match(v):
                    raise _bad(path, t, v, "expected base64 text for binary, got text that is not base64")
                try:
                    return base64.b64decode(v.replace("-", "+").replace("_", "/") + "=" * (-len(v) % 4), validate=True)
                except (binascii.Error, ValueError):
                    raise _bad(path, t, v, "expected base64 text for binary, got text that is not base64") from None

            return dec_binary
        if tt == T.STRING:

            def dec_string(v: Any, path: str) -> str:
                if v.__class__ is str:
                    if v.isascii():
                        return v
                    try:
                        v.encode()
                    except UnicodeEncodeError as e:  # JSON's "\ud800": not text any encoding can carry
                        raise _bad(path, t, v, f"not valid Unicode: a lone surrogate {v[e.start]!r} at offset {e.start}") from None
                    return v
                raise _bad(path, t, v)

            return dec_string
        if tt in (T.LIST, T.SET):
            assert t.item is not None
            item = self.decoder(t.item)
            as_set = tt == T.SET

            def dec_list(v: Any, path: str) -> Any:
                if not isinstance(v, list):
                    raise _bad(path, t, v)
                out = [item(x, f"{path}[{i}]") for i, x in enumerate(v)]
                if as_set:
                    try:
                        unique = set(out)
                    except TypeError:  # unhashable members (structs): compared pairwise, kept as a list
                        unique = None
                    if unique is None or len(unique) != len(out):
                        for i, x in enumerate(out):
                            if any(x == y for y in out[:i]):
                                raise _bad(f"{path}[{i}]", t, v, "repeats an earlier item (a set holds each value once)")
                    return out if unique is None else unique
                return out

            return dec_list
        if tt == T.MAP:
            assert t.key is not None and t.value is not None
            kdec, vdec = self.decoder(t.key), self.decoder(t.value)
            kt = t.key
            if map_as_object(kt) or kt.enum is not None:
                key_json = self.text_to_json(kt)

                def dec_map(v: Any, path: str) -> dict[Any, Any]:
                    if not isinstance(v, dict):
                        raise _bad(path, t, v)
                    return {
                        kdec(key_json(k, f"{path}<key {k!r}>"), f"{path}<key {k!r}>"): vdec(x, f"{path}[{k!r}]") for k, x in v.items()
                    }

                return dec_map

            def dec_pairs(v: Any, path: str) -> dict[Any, Any]:
                if not isinstance(v, list):
                    raise _bad(path, t, v, f"expected {t.name} as an array of {{\"key\", \"value\"}} objects, got {json_type_name(v)}")
                out = {}
                for i, pair in enumerate(v):
                    if not isinstance(pair, dict) or set(pair) != {"key", "value"}:
                        raise _bad(f"{path}[{i}]", t, pair, 'expected an object with "key" and "value"')
                    k = kdec(pair["key"], f"{path}[{i}].key")
                    try:
                        out[k] = vdec(pair["value"], f"{path}[{i}].value")
                    except TypeError:
                        raise _bad(f"{path}[{i}].key", t, pair, "this key type cannot be a map key here") from None
                return out

            return dec_pairs
        if tt == T.STRUCT:
            assert t.struct is not None
            return self._struct_decoder(t.struct)
        raise AssertionError(tt)  # pragma: no cover

    def _struct_decoder(self, s: StructDef) -> Decoder:
        fields = [(f.name, self.decoder(f.type), f) for f in s.fields]
        known = {f.name for f in s.fields}
        cls = s.cls

        def dec_struct(v: Any, path: str) -> Any:
            if not isinstance(v, dict):
                raise InvalidArgument(f"expected {s.name} (an object), got {json_type_name(v)}", path)
            extra = v.keys() - known
            if extra:
                name = sorted(extra)[0]
                raise InvalidArgument(f"{s.name} has no field {name!r} (fields: {', '.join(f.name for f in s.fields)})", f"{path}.{name}")
            obj = cls.__new__(cls)
            for name, dec, f in fields:
                x = v.get(name)
                if x is None:
                    if f.required:
                        raise _required(v, name, f"{path}.{name}")
                    x = copy_default(f.default)
                else:
                    x = dec(x, f"{path}.{name}")
                setattr(obj, name, x)
            return obj

        return dec_struct

    def args_decoder(self, method: Method, prefix: str = "args") -> Callable[[dict[str, Any]], list[Any]]:
        """Named JSON arguments -> positional list in IDL order (defaults filled in)."""
        fields = [(f, self.decoder(f.type)) for f in method.args]
        known = {f.name for f in method.args}

        def dec_args(named: dict[str, Any]) -> list[Any]:
            extra = named.keys() - known
            if extra:
                name = sorted(extra)[0]
                raise InvalidArgument(
                    f"{method.name} takes no argument {name!r} (arguments: {', '.join(f.name for f in method.args) or 'none'})",
                    f"{prefix}.{name}",
                )
            out = []
            for f, dec in fields:
                x = named.get(f.name)
                if x is None:
                    if f.needed:
                        raise _required(named, f.name, f"{prefix}.{f.name}")
                    out.append(copy_default(f.default))
                else:
                    out.append(dec(x, f"{prefix}.{f.name}"))
            return out

        return dec_args

    def text_to_json(self, t: Type) -> Decoder:
        """For path and query parameters: text -> the JSON value it stands for, which the
        argument decoder then checks exactly as it checks a body (one set of rules)."""
        tt = t.ttype
        if t.enum is not None:
            return lambda s, path: int(s) if s.lstrip("-").isdigit() else s
        if tt in INT_RANGE:

            def int_text(s: str, path: str) -> int:
                if _INTEGER_TEXT.match(s) is None:  # int() would take " 1", "+1" and "1_000" too
                    raise InvalidArgument(f"expected {t.name}, got {s!r}", path)
                return int(s, 10)

            return int_text
        if tt == T.BOOL:

            def bool_text(s: str, path: str) -> bool:
                low = s.lower()
                if low in ("true", "1"):
                    return True
                if low in ("false", "0"):
                    return False
                raise InvalidArgument(f"expected bool (true or false), got {s!r}", path)

            return bool_text
        if tt == T.DOUBLE:

            def double_text(s: str, path: str) -> Any:
                if s in ("NaN", "Infinity", "-Infinity"):
                    return s
                try:
                    return float(s)
                except ValueError:
                    raise InvalidArgument(f"expected double, got {s!r}", path) from None

            return double_text
        if tt == T.STRING:
            return lambda s, path: s  # text already (binary: base64 text)

        def json_text(s: str, path: str) -> Any:
            try:
                return loads(s)
            except ValueError:
                raise InvalidArgument(f"expected {t.name} as JSON, got {s!r}", path) from None

        return json_text

    # -- encoding (Thrift -> JSON) -----------------------------------------------------------
    def encoder(self, t: Type) -> Encoder:
        e = self._encoder(t)
        return e if e is not None else _checked_identity(t)

    def _encoder(self, t: Type) -> Encoder | None:
        """None means "the value is already JSON" (after a type check by the caller)."""
        key = id(t.struct) if t.struct is not None else id(t)
        if key in self._enc:
            return self._enc[key]
        if t.struct is not None:
            box: list[Encoder] = []
            self._enc[key] = lambda v: box[0](v)
            real = self._struct_encoder(t.struct)
            box.append(real)
            self._enc[key] = real
            return real
        e = self._enc[key] = self._build_encoder(t)
        return e

    def _build_encoder(self, t: Type) -> Encoder | None:
        tt = t.ttype
        if t.enum is not None:
            names = t.enum.names

            def enc_enum(v: Any) -> Any:
                return names.get(v, v)

            return enc_enum
        if tt == T.STRING and t.binary:

            def enc_binary(v: Any) -> str:
                if isinstance(v, str):
                    v = v.encode()
                return base64.b64encode(v).decode("ascii")

            return enc_binary
        if tt == T.DOUBLE:

            def enc_double(v: Any) -> Any:
                if isinstance(v, float) and not math.isfinite(v):
                    return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
                return _checked(t, v)

            return enc_double
        if tt in (T.LIST, T.SET):
            assert t.item is not None
            item = self.encoder(t.item)
            is_set = tt == T.SET

            def enc_list(v: Any) -> list[Any]:
                if isinstance(v, (str, bytes, dict)) or not hasattr(v, "__iter__"):
                    raise EncodeError(f"expected {t.name}, got {type(v).__name__}")
                if is_set:
                    try:
                        v = sorted(v)
                    except TypeError:
                        v = list(v)
                out = []
                for i, x in enumerate(v):
                    try:
                        out.append(item(x))
                    except EncodeError as e:
                        raise e.at(f"[{i}]") from None
                return out

            return enc_list
        if tt == T.MAP:
            assert t.key is not None and t.value is not None
            kenc, venc = self.encoder(t.key), self.encoder(t.value)
            if map_as_object(t.key) or t.key.enum is not None:

                def enc_map(v: Any) -> dict[str, Any]:
                    if not isinstance(v, dict):
                        raise EncodeError(f"expected {t.name}, got {type(v).__name__}")
                    out = {}
                    for k, x in v.items():
                        try:
                            out[str(kenc(k))] = venc(x)
                        except EncodeError as e:
                            raise e.at(f"[{k!r}]") from None
                    return out

                return enc_map

            def enc_pairs(v: Any) -> list[dict[str, Any]]:
                if not isinstance(v, dict):
                    raise EncodeError(f"expected {t.name}, got {type(v).__name__}")
                return [{"key": kenc(k), "value": venc(x)} for k, x in v.items()]

            return enc_pairs
        if tt == T.STRUCT:  # pragma: no cover - handled by _encoder
            raise AssertionError
        return None  # bool, ints, string: already JSON

    def _struct_encoder(self, s: StructDef) -> Encoder:
        fields = [(f.name, self._encoder(f.type), _PRIMITIVE_CHECK.get(f.type.ttype) if not f.type.binary else None, f.type) for f in s.fields]

        def enc_struct(v: Any) -> dict[str, Any]:
            out: dict[str, Any] = {}
            name = ""
            try:
                for name, enc, allowed, ft in fields:
                    x = getattr(v, name)
                    if x is None:
                        continue
                    if enc is None:
                        if allowed is not None and x.__class__ not in allowed:
                            raise EncodeError(f"expected {ft.name}, got {type(x).__name__}")
                        out[name] = x
                    else:
                        out[name] = enc(x)
            except EncodeError as e:
                raise e.at(name) from None
            except AttributeError:
                raise EncodeError(f"expected {s.name}, got {type(v).__name__}") from None
            return out

        return enc_struct

    def exception_fields(self, s: StructDef, exc: BaseException) -> dict[str, Any]:
        return self.encoder(Type(T.STRUCT, s.name, struct=s))(exc)


_PRIMITIVE_CHECK: dict[int, tuple[type, ...]] = {
    T.BOOL: (bool,),
    T.BYTE: (int, bool),
    T.I16: (int, bool),
    T.I32: (int, bool),
    T.I64: (int, bool),
    T.STRING: (str,),
    T.DOUBLE: (float, int),
}


def _checked(t: Type, v: Any) -> Any:
    allowed = _PRIMITIVE_CHECK.get(t.ttype)
    if allowed is not None and v.__class__ not in allowed:
        raise EncodeError(f"expected {t.name}, got {type(v).__name__}")
    return v


def _checked_identity(t: Type) -> Encoder:
    allowed = _PRIMITIVE_CHECK.get(t.ttype)

    def enc(v: Any) -> Any:
        if allowed is not None and v.__class__ not in allowed:
            raise EncodeError(f"expected {t.name}, got {type(v).__name__}")
        return v

    return enc

