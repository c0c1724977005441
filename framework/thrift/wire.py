"""What every Thrift protocol here shares: message types, the `Codec` interface, and the errors.

`framework.thrift.binary` (compiled, strict and non-strict) and `framework.thrift.compact`
(interpreted) implement `Codec`, as do the dialects beside them (`json_protocol`, and `header`
around either); `framework.thrift.codec` builds a service's pair.
"""

from __future__ import annotations

import struct
from typing import Any, Protocol

from ..errors import WireError
from ..idl import WIRE_NAMES, Field, Method, StructDef, T, Type, copy_default

__all__ = [
    "CALL", "REPLY", "EXCEPTION", "ONEWAY", "MAX_DEPTH", "VERSION_1", "COMPACT_ID", "LOW_LEVEL", "APP_FIELDS",
    "Codec", "NeedMore", "struct_from", "args_from", "wire_error", "mismatch", "bad_size", "encode_error", "as_bytes", "str_bytes",
]

CALL, REPLY, EXCEPTION, ONEWAY = 1, 2, 3, 4
MAX_DEPTH = 64
VERSION_1 = 0x80010000
COMPACT_ID = 0x82

# Errors that mean "these bytes are not what they claim to be", converted to WireError.
LOW_LEVEL = (IndexError, struct.error, UnicodeDecodeError, ValueError, OverflowError)


class NeedMore(Exception):
    """The buffer ends inside a message: wait for more bytes (unframed transports)."""


def wire_error(e: BaseException) -> WireError:
    if isinstance(e, WireError):
        return e
    if isinstance(e, UnicodeDecodeError):
        return WireError("string is not valid UTF-8")
    if isinstance(e, (IndexError, struct.error)):
        return WireError("message ends in the middle of a value")
    return WireError(str(e) or type(e).__name__)


def mismatch(expected: int, got: int) -> WireError:
    return WireError(f"expected {WIRE_NAMES.get(expected, expected)}, got {WIRE_NAMES.get(got, f'type {got}')}")


def bad_size(what: str, n: int) -> WireError:
    return WireError(f"{what} size {n} does not fit in the message")


def encode_error(t: Type, v: Any, e: BaseException | None = None) -> WireError:
    if isinstance(e, (struct.error, OverflowError)) and isinstance(v, int) and not isinstance(v, bool):
        return WireError(f"{v} is out of range for {t.name}")
    return WireError(f"expected {t.name}, got {type(v).__name__}")


def as_bytes(v: Any) -> bytes:
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, str):
        return v.encode()
    raise TypeError(f"expected bytes, got {type(v).__name__}")


def str_bytes(v: Any) -> bytes:
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


# A TApplicationException's fields, as every protocol reads and writes them.
APP_FIELDS = [Field(1, "message", Type(T.STRING, "string"), False, None), Field(2, "type", Type(T.I32, "i32"), False, None)]


def struct_from(s: StructDef, values: dict[int, Any]) -> Any:
    """A struct built from the field values an interpreted protocol read (by field id): defaults
    for the absent, `WireError` naming a required field that is missing."""
    obj = s.cls.__new__(s.cls)
    for f in s.fields:
        v = values.get(f.id, copy_default(f.default))
        if v is None and f.required:
            raise WireError("required", f.name)
        setattr(obj, f.name, v)
    return obj


def args_from(method: Method, values: dict[int, Any]) -> list[Any]:
    """A call's arguments in IDL order from the values read by field id: defaults for the
    absent, `WireError` naming an argument the handler needs that is missing."""
    args = []
    for f in method.args:
        v = values.get(f.id, copy_default(f.default))
        if v is None and f.needed:
            raise WireError("required", f.name)
        args.append(v)
    return args
