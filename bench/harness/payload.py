"""The one request every server gets, and the check that its reply is right.

The message is Message{text: "hello world", tags: ["a", "b"], id: 42} from idl/echo.thrift,
as a JSON body over HTTP and as a framed Echo.echo call over Thrift, written with Aviary's own
codec. Each server's first reply is checked here, field by field; the load generators then
count every reply that differs from it, byte for byte, as an error.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import struct
from functools import cache
from typing import Any

from framework.idl import Method, load, locate
from framework.thrift.codec import CALL, REPLY, BinaryCodec

MESSAGE: dict[str, Any] = {"text": "hello world", "tags": ["a", "b"], "id": 42}
REST_PATH = "/Echo/echo"
SEQID = 1


class WrongReply(Exception):
    """A server answered the check request wrongly: nothing it does under load would count."""


# -- REST ------------------------------------------------------------------------------------


def rest_body() -> bytes:
    return json.dumps({"message": MESSAGE}, separators=(",", ":")).encode()


def check_rest(host: str, port: int, tls: ssl.SSLContext | None = None) -> bytes:
    """POST the echo once; return the reply body if it is the message, else raise WrongReply."""
    if tls is not None:
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(host, port, timeout=10, context=tls)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("POST", REST_PATH, rest_body(), {"Content-Type": "application/json"})
        reply = conn.getresponse()
        body = reply.read()
    finally:
        conn.close()
    if reply.status != 200:
        raise WrongReply(f"HTTP {reply.status}: {body[:200]!r}")
    try:
        echoed = json.loads(body)
    except ValueError:
        raise WrongReply(f"not JSON: {body[:200]!r}") from None
    # Aviary also writes the fields the IDL gives a default (volume = NORMAL); raw servers don't.
    if echoed not in (MESSAGE, {**MESSAGE, "volume": "NORMAL"}):
        raise WrongReply(f"echoed {echoed!r}, sent {MESSAGE!r}")
    return body


# -- Thrift ----------------------------------------------------------------------------------


@cache
def _echo() -> tuple[Any, Method, BinaryCodec]:
    idl = load(locate("echo.thrift"))
    service = idl.service("Echo")
    return idl.module, service.methods["echo"], BinaryCodec(list(service.methods.values()))


def _message() -> Any:
    module, _, _ = _echo()
    return module.Message(**MESSAGE)


def thrift_request() -> bytes:
    """A framed, strict-binary call of Echo.echo(MESSAGE)."""
    _, method, codec = _echo()
    out = bytearray()
    codec.write_message_begin(out, method.name, CALL, SEQID)
    codec.write_args(method, [_message()], out)
    return struct.pack(">I", len(out)) + bytes(out)


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise WrongReply("connection closed before the reply was complete")
        buf += chunk
    return buf


def check_thrift(host: str, port: int, tls: ssl.SSLContext | None = None) -> bytes:
    """Call Echo.echo once; return the framed reply if it carries the message, else raise."""
    _, method, codec = _echo()
    raw = socket.create_connection((host, port), timeout=10)
    with tls.wrap_socket(raw, server_hostname=host) if tls is not None else raw as sock:
        sock.sendall(thrift_request())
        (size,) = struct.unpack(">I", _read_exactly(sock, 4))
        reply = _read_exactly(sock, size)
    name, mtype, seqid, p = codec.read_message_begin(reply, 0)
    if (name, mtype, seqid) != (method.name, REPLY, SEQID):
        raise WrongReply(f"header {(name, mtype, seqid)}, expected {(method.name, REPLY, SEQID)}")
    field_id, value, _ = codec.read_result(method, reply, p)
    if field_id != 0 or value != _message():
        raise WrongReply(f"result field {field_id}: {value!r}, sent {_message()!r}")
    return struct.pack(">I", size) + reply
