"""`HttpClient`: the same IDL service over Aviary's REST mapping, with THE JSON codec.

Each call is ``POST /<Service>/<method>`` with the named arguments as a JSON object (the route
every method has); the reply is the result's JSON (``204`` for void). A declared exception
comes back as ``{"error": {"type": <name>, "fields": {…}}}`` and is raised as the IDL's
exception; ``503`` with ``Overloaded``/``Unavailable`` means the member refused the call
without running it, which is safe to retry elsewhere. Connections are pooled by httpx.

With ``ssl=`` (`framework.tls.client_context`) every request goes over HTTPS with that context:
it presents the client's certificate and checks the member's against the CA.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from ..errors import InvalidArgument, UnknownMethod
from ..idl import T, Type
from ..rest.codec import EncodeError, JsonCodec, dumps, loads
from ..call import Call
from .balancer import Node
from .base import CLIENT_CERT_HINT, BaseClient, NotSent, Refused, RemoteError, request_metadata, tls_refused

__all__ = ["HttpClient"]

_REFUSALS = ("Overloaded", "Unavailable")


class HttpClient(BaseClient):
    """``HttpClient("echo.thrift", "zk2!zk:2181!/aviary/prod/echo!http")``: note the endpoint
    name, since a member's default endpoint is its Thrift port."""

    transport = "http"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.codec = JsonCodec()
        self._scheme = "https" if self.ssl is not None else "http"
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeout_s, connect=self.connect_timeout_s),
            limits=httpx.Limits(max_keepalive_connections=64),
            verify=self.ssl if self.ssl is not None else True,
        )
        self._args = {m.name: [(f.name, self.codec.encoder(f.type)) for f in m.args] for m in self.methods.values()}
        self._result = {m.name: self.codec.decoder(m.result) for m in self.methods.values() if m.result is not None}
        self._throws = {
            f.type.struct.name: self.codec.decoder(Type(T.STRUCT, f.type.struct.name, struct=f.type.struct))  # type: ignore[union-attr]
            for m in self.methods.values()
            for f in m.throws
        }

    def _body(self, call: Call) -> bytes:
        named: dict[str, Any] = {}
        for (name, enc), v in zip(self._args[call.method.name], call.args):
            if v is None:
                continue
            try:
                named[name] = enc(v)
            except EncodeError as e:
                raise InvalidArgument(f"{call.method.name}: {e.at(name)}") from None
        return dumps(named)

    async def _attempt(self, node: Node, call: Call) -> Any:
        m = call.method
        body = self._body(call)
        url = f"{self._scheme}://{_host(node.address.host)}:{node.address.port}/{self.definition.name}/{m.name}"
        headers = {"content-type": "application/json", **request_metadata(call)}
        try:
            r = await self._http.post(url, content=body, headers=headers)
        except httpx.TransportError as e:
            tls_error = _tls_failure(e)
            if tls_error is not None:
                # A TLS 1.3 server refuses a client certificate after the client's side of the
                # handshake is done, so it surfaces on the first read: still nothing was served.
                raise tls_refused(node.address, tls_error) from None
            if isinstance(e, (httpx.ConnectError, httpx.ConnectTimeout)):
                raise NotSent(f"cannot connect to {node.address}: {e}") from None
            if self.ssl is not None and isinstance(e, (httpx.RemoteProtocolError, httpx.ReadError)):
                # Not retried: the request was written. See `base.TLS_CLOSED` for why a refused
                # certificate looks like this.
                raise RemoteError("ConnectionLost", f"{node.address} closed the connection without answering ({type(e).__name__}); if it was new, {CLIENT_CERT_HINT}") from None
            raise RemoteError("ConnectionLost", f"{node.address}: {type(e).__name__}: {e}") from None
        if r.status_code in (202, 204):
            return None
        try:
            doc = loads(r.content) if r.content else None
        except ValueError:
            raise RemoteError("ProtocolError", f"{node.address} answered {r.status_code} with a body that is not JSON", r.status_code) from None
        if r.status_code == 200:
            return self._result[m.name](doc, "result") if m.name in self._result else None
        error = doc.get("error") if isinstance(doc, dict) else None
        if not isinstance(error, dict):
            raise RemoteError("HttpError", f"{node.address} answered {r.status_code}", r.status_code)
        kind = str(error.get("type", "Unknown"))
        if kind in self._throws and any(f.type.struct.name == kind for f in m.throws):  # type: ignore[union-attr]
            raise self._throws[kind](error.get("fields") or {}, "error.fields")
        message = str(error.get("message", ""))
        if r.status_code == 503 and kind in _REFUSALS:
            raise Refused(f"{node.address} refused {m.name}: {message}")
        if kind == "UnknownMethod":
            raise UnknownMethod(message)
        if kind == "InvalidArgument":
            raise InvalidArgument(message, str(error.get("path", "")))
        raise RemoteError(kind, message, r.status_code)

    def _close_node(self, node: Node) -> None:
        pass  # httpx's pool closes idle connections a member's end closed

    async def close(self) -> None:
        await self._http.aclose()
        await super().close()


def _tls_failure(e: BaseException) -> ssl.SSLError | None:
    """The `ssl.SSLError` behind an httpx error, if any (httpx keeps it as the cause)."""
    seen: BaseException | None = e
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _host(h: str) -> str:
    return f"[{h}]" if ":" in h else h
