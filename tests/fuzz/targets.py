"""Fuzz targets: one per decoder of outside bytes. Each takes bytes and decodes them as the
server would; the only errors it may raise are the decoder's own bad-input errors (which the
server turns into a precise error for that call or connection). Anything else, a KeyError, an
IndexError, a RecursionError, is a crash: the fuzz test fails and the input becomes a
regression (`regressions.py`).

Adding a decoder (a new Thrift dialect) is one more `Target` in
`TARGETS`: a name, the function that decodes, the errors that are bad input, and a few valid
inputs for the fuzzer to mutate from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from framework.context import Context
from framework.errors import InvalidArgument, WireError
from framework.idl import Method, load
from framework.rest.codec import JsonCodec, dumps_ascii, loads
from framework.thrift import mux_wire as mux
from framework.thrift import header
from framework.thrift.codec import CALL, BinaryCodec, CompactCodec, NeedMore
from framework.thrift.json_protocol import JSON_CODEC

ROOT = Path(__file__).resolve().parent.parent.parent
IDLS = [load(ROOT / "idl" / "echo.thrift"), load(ROOT / "tests" / "idl" / "probe.thrift")]
METHODS: list[Method] = [m for idl in IDLS for m in idl.service().methods.values()]
BY_NAME = {m.name: m for m in METHODS}
MAX_FRAME = 1 << 20


@dataclass(frozen=True)
class Target:
    name: str
    decode: Callable[[bytes], Any]
    bad_input: tuple[type[BaseException], ...]  # what the decoder may raise: precise errors
    seeds: tuple[bytes, ...]  # valid inputs, mutated by the fuzzer

    def __repr__(self) -> str:
        return self.name


# -- Thrift: binary (strict and not) and compact ----------------------------------------------------
def _thrift(codec: Any) -> Callable[[bytes], None]:
    def decode(data: bytes) -> None:
        name, _mtype, _seqid, p = codec.read_message_begin(data, 0)
        method = BY_NAME.get(name)
        for m in [method] if method is not None else METHODS:  # unknown name: the args of every method
            try:
                codec.read_args(m, data, p)
            except (WireError, NeedMore):
                pass

    return decode


def _calls(codec: Any) -> tuple[bytes, ...]:
    from services.echo import IDL as ECHO

    echo = ECHO.module
    samples = {
        "echo": [echo.Message(text="hi", volume=2, tags=["a", "b"], lucky={1, 2}, counters={"k": -(2**63)}, payload=b"\x00\xff", id=7)],
        "repeat": ["ab", 3],
        "get": [42],
        "find": ["tag", 5],
    }
    out = []
    for name, args in samples.items():
        buf = bytearray()
        codec.write_message_begin(buf, name, CALL, 9)
        codec.write_args(BY_NAME[name], args, buf)
        out.append(bytes(buf))
    return tuple(out)


_BINARY = BinaryCodec(METHODS)
_BINARY_OLD = _BINARY.variant(False)
_COMPACT = CompactCodec()

# -- THeader: the frame (its length first), its headers and transforms, then the call inside ----


def _theader(data: bytes) -> None:
    if len(data) < 4:
        return
    frame = header.decode_frame(data[4:], MAX_FRAME)
    codec = _COMPACT if frame.protocol == header.PROTOCOL_COMPACT else _BINARY
    _thrift(codec)(frame.payload)


def _theader_seeds() -> tuple[bytes, ...]:
    out = []
    for i, call in enumerate(_calls(_BINARY)):
        out.append(bytes(header.encode_frame(call, protocol=header.PROTOCOL_BINARY, seqid=i, headers={"k": "v"} if i % 2 else None)))
    out.append(bytes(header.encode_frame(_calls(_COMPACT)[0], protocol=header.PROTOCOL_COMPACT, transforms=[header.ZLIB])))
    return tuple(out)


# -- Mux: frames, then each message's body, then the Thrift call a Tdispatch carries -------------


def _mux(data: bytes) -> None:
    buf = bytearray(data)
    pending = mux.Reassembly()
    while (m := mux.read_frame(buf, MAX_FRAME)) is not None:
        try:
            body = pending.add(m, MAX_FRAME)
            if body is None:
                continue
            if m.type == mux.TDISPATCH:
                d = mux.parse_tdispatch(body)
                mux.contexts_to_context(d.contexts, Context("thrift", "thriftmux", None))
                _thrift(_BINARY)(d.body)
            elif m.type == mux.RDISPATCH:
                mux.parse_rdispatch(body)
            elif m.type in (mux.TINIT, mux.RINIT):
                mux.parse_init(body)
            elif m.type == mux.TREQ:
                mux.parse_treq(body)
            elif m.type == mux.TDISCARDED:
                mux.parse_discarded(body)
        except (WireError, NeedMore):
            pass


def _mux_seeds() -> tuple[bytes, ...]:
    trace = mux.encode_trace(mux._trace(1, 2, 3, 6, 0))
    contexts = [(mux.TRACE_KEY, trace), (mux.DEADLINE_KEY, b"\0" * 16), (mux.RETRIES_KEY, b"\0\0\0\1"), (mux.CLIENT_ID_KEY, b"me")]
    call = _calls(_BINARY)[0]
    return (
        mux.encode(mux.TINIT, 1, mux.encode_init(1, [(b"mux-framer", b"\0\0\0\x10")])),
        mux.encode(mux.TDISPATCH, 2, mux.encode_tdispatch(contexts, call, "/s/echo")),
        mux.encode(mux.TPING, 1) + mux.encode(mux.TDISCARDED, 0, mux.encode_discarded(2, "gone")),
        mux.encode(mux.TDISPATCH, 3 | mux.FRAGMENT, mux.encode_tdispatch([], call[:10])) + mux.encode(mux.TDISPATCH, 3, call[10:]),
    )


# -- JSON bodies: parsed, then decoded as every method's named arguments -------------------------
_JSON = JsonCodec()
_ARGS = [_JSON.args_decoder(m) for m in METHODS]


def _json_body(data: bytes) -> None:
    named = loads(data)
    if not isinstance(named, dict):
        return
    for decode in _ARGS:
        try:
            decode(named)
        except InvalidArgument as e:
            dumps_ascii({"error": e.to_json()})  # the gateway's error body: it must encode whatever the caller sent


_JSON_SEEDS = (
    json.dumps({"message": {"text": "hi", "volume": "LOUD", "tags": ["a"], "lucky": [1, 2], "counters": {"a": 1}, "payload": "AP8=", "id": 3}}).encode(),
    json.dumps({"text": "x", "times": 2, "id": 9, "tag": "t", "limit": 1}).encode(),
    b'{"message": {"text": "\\ud83d\\ude00"}}',
)

TARGETS: list[Target] = [
    Target("thrift-binary", _thrift(_BINARY), (WireError, NeedMore), _calls(_BINARY)),
    Target("thrift-binary-nonstrict", _thrift(_BINARY_OLD), (WireError, NeedMore), _calls(_BINARY_OLD)),
    Target("thrift-compact", _thrift(_COMPACT), (WireError, NeedMore), _calls(_COMPACT)),
    Target("thrift-json", _thrift(JSON_CODEC), (WireError, NeedMore), _calls(JSON_CODEC)),  # Apache's TJSONProtocol
    Target("theader", _theader, (WireError,), _theader_seeds()),  # UnsupportedTransform is a WireError
    Target("mux", _mux, (WireError,), _mux_seeds()),
    Target("json-body", _json_body, (ValueError,), _JSON_SEEDS),  # ValueError: unreadable JSON (TooDeep included)
    # A new dialect adds its Target here.
]
