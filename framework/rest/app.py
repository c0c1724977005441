"""The REST gateway: an ASGI app generated from the IDL, calling the same chain as Thrift.

Routes (see DESIGN "REST mapping"):

* every method answers ``POST /<Service>/<method>`` with a JSON object of named arguments;
* a method annotated ``(http.method = "GET", http.path = "/messages/{id}")`` also answers
  there: path parameters bind arguments by name, the rest come from the query string (GET,
  DELETE) or the JSON body (other methods).

Generated routes are served by a small router with no per-request objects of its own (a dict
lookup for fixed paths, one regex per template); that lean path is what lets the gateway, with
validation and the filter chain, cost less per request than a bare Starlette route. Everything
else (``/openapi.json``, ``/docs``, ``/idl``, a service's own routes and its fallback) is a
Starlette app behind it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from typing import Any, Awaitable, Callable, Protocol
from urllib.parse import parse_qsl, unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from ..call import enter, leave
from ..context import Context
from ..dtab import BadDtab
from ..errors import ApplicationError, DefinitionError, InternalError, InvalidArgument
from ..filters import Handler
from ..idl import Method, T
from ..metrics import registry
from ..service import Call, Resume, Service, served
from ..tls import scope_identity
from ..tracing import read_http_headers
from .codec import MAX_JSON_DEPTH, EncodeError, JsonCodec, TooDeep, dumps, dumps_ascii, json_type_name, loads

__all__ = ["RestApp", "routes_of", "RouteSpec", "Reply", "app_error", "too_large"]

log = logging.getLogger("aviary.rest")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_JSON = [(b"content-type", b"application/json")]

# A reply: status, body (JSON, or empty) and any headers beyond Content-Length and Content-Type.
Reply = tuple[int, bytes, "list[tuple[bytes, bytes]] | None"]
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class RouteSpec:
    """One HTTP binding of a method."""

    __slots__ = ("verb", "path", "method", "params", "regex", "from_query", "decode_args", "text_to_json", "encode", "status")

    def __init__(self, verb: str, path: str, method: Method, codec: JsonCodec) -> None:
        self.verb = verb
        self.path = path
        self.method = method
        self.params = _PARAM.findall(path)
        arg_names = {f.name for f in method.args}
        for p in self.params:
            if p not in arg_names:
                raise DefinitionError(f"{method.service}.{method.name}: http.path {path!r} names {{{p}}}, which is not an argument")
        parts = _PARAM.split(path)  # literal, name, literal, name, ...
        pattern = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
        self.regex = re.compile(f"^{pattern}$") if self.params else None
        self.from_query = verb in ("GET", "DELETE", "HEAD")
        self.decode_args = codec.args_decoder(method)
        self.text_to_json = {f.name: codec.text_to_json(f.type) for f in method.args}
        self.encode = codec.encoder(method.result) if method.result is not None else None
        self.status = 202 if method.oneway else (204 if method.result is None else 200)


def routes_of(service: Service, codec: JsonCodec) -> list[RouteSpec]:
    """The REST routes of a service, in the order they are matched."""
    out: list[RouteSpec] = []
    for m in service.methods.values():
        out.append(RouteSpec("POST", f"/{service.definition.name}/{m.name}", m, codec))
        verb = m.annotations.get("http.method")
        path = m.annotations.get("http.path")
        if path is not None or verb is not None:
            verb = (verb or "POST").upper()
            if verb not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                raise DefinitionError(f"{m.service}.{m.name}: http.method {verb!r} is not GET, POST, PUT, PATCH or DELETE")
            if not path or not path.startswith("/"):
                raise DefinitionError(f"{m.service}.{m.name}: http.path must start with '/', got {path!r}")
            out.append(RouteSpec(verb, path, m, codec))
    return out


def _error_body(error: dict[str, Any]) -> bytes:
    return dumps_ascii({"error": error})  # it may quote text that is not valid Unicode


class BodyProtocol(Protocol):
    """Another protocol on the service's HTTP port, for requests no REST route owns: the host
    gives the app Thrift over HTTP (`framework.thrift.http.ThriftOverHttp`) this way, so REST
    knows nothing of Thrift."""

    content_type: bytes

    def claims(self, scope: Scope) -> bool: ...

    async def serve(self, body: bytes, peer: tuple[str, int] | None, identity: str | None) -> tuple[int, bytes]: ...


class RestApp:
    """ASGI app of one service's HTTP port."""

    def __init__(
        self,
        service: Service,
        chain: Handler,
        *,
        max_body_bytes: int = 4 << 20,
        stall_timeout_s: float = 30.0,
        max_json_depth: int = MAX_JSON_DEPTH,
        pages: bool = True,
        thrift: BodyProtocol | None = None,
    ) -> None:
        self.service = service
        self.thrift = thrift  # Thrift over HTTP (`framework.thrift.http.ThriftOverHttp`), given by the host
        self.chain = chain
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth
        self.stall_timeout_s = stall_timeout_s
        self.codec = JsonCodec()
        self.routes = routes_of(service, self.codec)
        self.fixed: dict[str, dict[str, RouteSpec]] = {}
        self.templated: list[RouteSpec] = []
        for r in self.routes:
            if r.regex is None:
                self.fixed.setdefault(r.path, {})[r.verb] = r
            else:
                self.templated.append(r)
        self._status: dict[int, Any] = {}
        self.fallback = self._starlette(pages)
        self._exc_status = {
            f.type.struct.name: int(f.type.struct.annotations.get("http.status", "400"))  # type: ignore[union-attr]
            for m in service.methods.values()
            for f in m.throws
        }

    def _starlette(self, pages: bool) -> Starlette:
        from . import docs, openapi

        routes: list[Any] = []
        if pages:
            spec = openapi.document(self.service, self.routes)
            page = docs.page(self.service, self.routes)
            sources = self.service.idl.sources()
            main = self.service.idl.path.name

            async def openapi_json(_: Request) -> Response:
                return Response(dumps(spec), media_type="application/json")

            async def docs_page(_: Request) -> Response:
                return HTMLResponse(page)

            async def idl_text(request: Request) -> Response:
                name = request.query_params.get("file", main)
                if name not in sources:
                    return JSONResponse({"error": {"type": "NotFound", "message": f"no IDL file {name!r}; files: {', '.join(sources)}"}}, 404)
                return PlainTextResponse(sources[name])

            routes += [Route("/openapi.json", openapi_json), Route("/docs", docs_page), Route("/idl", idl_text)]
        routes += self.service.routes
        if self.service.fallback is not None:
            routes.append(Mount("", app=self.service.fallback))

        async def not_found(request: Request, exc: Exception) -> Response:
            status = getattr(exc, "status_code", 404)
            if status == 405:
                return JSONResponse({"error": {"type": "MethodNotAllowed", "message": f"{request.method} is not allowed on {request.url.path}"}}, 405)
            return JSONResponse(
                {"error": {"type": "NotFound", "message": f"no route for {request.method} {request.url.path}; see /docs"}}, status
            )

        return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})

    # -- routing ---------------------------------------------------------------------------------
    def match(self, verb: str, path: str) -> tuple[RouteSpec | None, dict[str, str] | None, dict[str, RouteSpec] | None]:
        """(route, path parameters, routes of the path by verb). No route but some verbs: the
        path exists and `verb` is not one of them (405); neither: not a generated route."""
        by_verb = self.fixed.get(path)
        if by_verb is not None:
            return by_verb.get(verb), None, by_verb
        for r in self.templated:
            m = r.regex.match(path)  # type: ignore[union-attr]
            if m is not None:
                if r.verb == verb:
                    return r, m.groupdict(), None
                by_verb = by_verb or {}
                by_verb[r.verb] = r
        return None, None, by_verb

    # -- ASGI --------------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.fallback(scope, receive, send)
            return
        path: str = scope["path"]
        verb: str = scope["method"]
        route, params, by_verb = self.match(verb, path)
        if route is None:
            if by_verb:  # the path exists, the verb does not
                await _send(send, self.not_allowed(verb, path, by_verb))
                return
            if self.thrift is not None and self.thrift.claims(scope):
                await self._thrift(scope, receive, send)
                return
            # The server's own `send` rides along for the fallback: Starlette wraps `send`, and the
            # mock plugin's faults (a reset, an empty reply) must reach the connection under it.
            scope.setdefault("extensions", {})["aviary.send"] = send
            await self.fallback(scope, receive, send)
            return
        await self._serve(route, params, scope, receive, send)

    async def _serve(self, route: RouteSpec, params: dict[str, str] | None, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        if not route.from_query:
            try:
                body = await _read_body(scope, receive, self.max_body_bytes, self.stall_timeout_s)
            except ApplicationError as e:
                await _send(send, app_error(e))
                return
            except _TooLarge as e:
                await _send(send, too_large(str(e)))
                return
            except _Stalled:
                await _send(send, self.stalled())
                return
        client = scope.get("client")
        begun = self.begin(
            route, params, scope.get("query_string", b""), body, scope["headers"],
            tuple(client) if client else None, scope.get("http_version", "1.1"), scope_identity(scope),
        )
        if not isinstance(begun, Call):
            await _send(send, begun)
            return
        token = enter(begun)
        try:
            result = await served(self.chain, begun)
        except Exception as e:  # noqa: BLE001 - declared exceptions, or a filter's failure
            reply = self.finish(route, None, e)
        else:
            reply = self.finish(route, result, None)
        finally:
            leave(token)
        await _send(send, reply)

    # -- one request: decoded arguments -> call -> encoded reply (both transports: ASGI, fast.py) ----
    def begin(
        self,
        route: RouteSpec,
        params: dict[str, str] | None,
        query: bytes,
        body: bytes,
        headers: list[tuple[bytes, bytes]],
        client: tuple[str, int] | None,
        http_version: str,
        identity: str | None,
    ) -> Call | Reply:
        """The call a request makes (run it with `served` or `run_eagerly`, then `finish`), or the
        reply refusing it: arguments that do not decode, a ``Dtab-Local`` that does not parse."""
        method = route.method
        try:
            args = route.decode_args(self._arguments(route, params, query, body))
        except ApplicationError as e:
            return app_error(e)
        ctx = Context("http", http_version, client, identity=identity)
        try:
            read_http_headers(headers, ctx)
        except BadDtab as e:
            return 400, _error_body({"type": "BadDtab", "message": f"Dtab-Local: {e}"}), None
        return Call(self.service, method, args, ctx)

    def finish(self, route: RouteSpec, result: Any, error: BaseException | None) -> Reply:
        """The reply of a call that returned `result` or raised `error`."""
        method = route.method
        if error is not None:
            if isinstance(error, ApplicationError):
                return app_error(error)
            return self._exception(error, method)
        if route.encode is None:
            return route.status, b"", None
        if result is None:
            return self._bad_result(method, f"returned None, but the IDL declares {method.result.name}")  # type: ignore[union-attr]
        try:
            return 200, dumps(route.encode(result)), None
        except EncodeError as e:
            return self._bad_result(method, f"returned a value that does not fit the IDL: {e.at('result')}")
        except ValueError as e:
            return self._bad_result(method, f"returned a value JSON cannot carry: {e}")

    def not_allowed(self, verb: str, path: str, by_verb: dict[str, RouteSpec]) -> Reply:
        allow = ", ".join(sorted(by_verb))
        body = _error_body({"type": "MethodNotAllowed", "message": f"{verb} is not allowed on {path}; allowed: {allow}"})
        return 405, body, [(b"allow", allow.encode())]

    def stalled(self) -> Reply:
        """The reply when a request body stops arriving for ``stall_timeout_s`` (counted)."""
        registry.counter("srv", self.service.name, "http", "bad_input", "stalled").value += 1
        message = f"the request body stopped arriving for {self.stall_timeout_s:g}s"
        return 408, _error_body({"type": "RequestTimeout", "message": message}), _CLOSE

    def _arguments(self, route: RouteSpec, params: dict[str, str] | None, query: bytes, body: bytes) -> dict[str, Any]:
        if route.from_query:
            named: dict[str, Any] = {}
            if query:
                for k, v in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
                    named.setdefault(k, []).append(v)
                named = {k: self._query_value(route, k, vs) for k, vs in named.items()}
        elif body.strip():
            try:
                named = loads(body, self.max_json_depth)
            except TooDeep as e:
                raise InvalidArgument(f"body is refused: {e}") from None
            except ValueError as e:
                raise InvalidArgument(f"body is not valid JSON: {e}") from None
            if not isinstance(named, dict):
                raise InvalidArgument(f"body must be a JSON object of named arguments, got {json_type_name(named)}")
        else:
            named = {}
        if params:
            for k, v in params.items():
                if k in named:
                    raise InvalidArgument(f"{k!r} is given both in the path and in the request", f"args.{k}")
                named[k] = route.text_to_json[k](unquote(v), f"args.{k}")
        return named

    def _query_value(self, route: RouteSpec, key: str, values: list[str]) -> Any:
        """Query text -> the JSON value the argument decoder then checks like a body's."""
        to_json = route.text_to_json.get(key)
        if to_json is None:
            return values[-1]  # not an argument: the argument decoder names it
        f = next(f for f in route.method.args if f.name == key)
        item = f.type.item
        if item is not None and item.ttype not in (T.STRUCT, T.LIST, T.SET, T.MAP) and not values[0].startswith("["):
            # list<i32> as ?ids=1&ids=2 or ?ids=1,2
            parts = values if len(values) > 1 else [p for p in values[0].split(",") if p != ""]
            item_to_json = self.codec.text_to_json(item)
            return [item_to_json(p, f"args.{key}[{i}]") for i, p in enumerate(parts)]
        if len(values) > 1:
            raise InvalidArgument(f"given {len(values)} times; it takes one value", f"args.{key}")
        return to_json(values[0], f"args.{key}")

    async def _thrift(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A POST of application/x-thrift: Thrift messages in the body (`framework.thrift.http`)."""
        try:
            body = await _read_body(scope, receive, self.max_body_bytes, self.stall_timeout_s)
        except _TooLarge as e:
            await _send_typed(send, 413, str(e).encode(), b"text/plain; charset=utf-8", _CLOSE)
            return
        except _Stalled:
            await _send_typed(send, 408, b"the request body stopped arriving", b"text/plain; charset=utf-8", _CLOSE)
            return
        except ApplicationError as e:
            await _send_typed(send, 400, e.message.encode(), b"text/plain; charset=utf-8")
            return
        client = scope.get("client")
        assert self.thrift is not None
        status, out = await self.thrift.serve(body, tuple(client) if client else None, scope_identity(scope))
        await _send_typed(send, status, out, self.thrift.content_type if status == 200 else b"text/plain; charset=utf-8")

    def _exception(self, e: BaseException, method: Method) -> Reply:
        field = method.exception_field(e)
        if field is None:
            error_id = uuid.uuid4().hex[:16]
            log.error("%s.%s failed outside the handler (error id %s)", self.service.name, method.name, error_id, exc_info=e)
            return app_error(InternalError(error_id))
        sdef = field.type.struct
        assert sdef is not None
        try:
            fields = self.codec.exception_fields(sdef, e)
        except EncodeError as err:
            return self._bad_result(method, f"raised {sdef.name} with fields that do not fit the IDL: {err}")
        return self._exc_status.get(sdef.name, 400), _error_body({"type": sdef.name, "fields": fields}), None

    def _bad_result(self, method: Method, what: str) -> Reply:
        error_id = uuid.uuid4().hex[:16]
        log.error("%s.%s %s (error id %s)", self.service.name, method.name, what, error_id)
        registry.counter("srv", self.service.name, "http", "bad_results").value += 1
        return app_error(InternalError(error_id))


def app_error(e: ApplicationError) -> Reply:
    """The reply of an `ApplicationError`: its status and body, and ``Retry-After`` when it
    says when to come back (Overloaded)."""
    retry = getattr(e, "retry_after_s", None)
    extra = [(b"retry-after", str(max(1, round(retry))).encode())] if retry is not None else None
    return e.http_status, _error_body(e.to_json()), extra


def too_large(why: str) -> Reply:
    """413, and the connection closes: the rest of the body is not read."""
    return 413, _error_body({"type": "PayloadTooLarge", "message": why}), _CLOSE


class _TooLarge(Exception):
    pass


class _Stalled(Exception):
    pass


_CLOSE = [(b"connection", b"close")]


async def _send_typed(send: Send, status: int, body: bytes, content_type: bytes, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-length", str(len(body)).encode()), (b"content-type", content_type), *(extra or ())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send(send: Send, reply: Reply) -> None:
    status, body, extra = reply
    headers = [(b"content-length", str(len(body)).encode())]
    if body:
        headers += _JSON
    if extra:
        headers += extra
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _read_body(scope: Scope, receive: Receive, limit: int, stall_timeout_s: float) -> bytes:
    for k, v in scope["headers"]:
        if k == b"content-length":
            try:
                n = int(v)
            except ValueError:
                raise InvalidArgument("Content-Length is not a number") from None
            if n > limit:
                raise _TooLarge(f"body of {n} bytes is over the limit of {limit}")
            break
    msg = await _receive(receive, stall_timeout_s)
    body = msg.get("body", b"")
    if not msg.get("more_body"):
        return body
    parts = [body]
    size = len(body)
    if size > limit:  # a chunked body's first piece may already be over it
        raise _TooLarge(f"body is over the limit of {limit} bytes")
    while msg.get("more_body"):
        msg = await _receive(receive, stall_timeout_s)
        if msg["type"] == "http.disconnect":
            raise InvalidArgument("the client went away before sending the whole body")
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge(f"body is over the limit of {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)


async def _receive(receive: Receive, timeout: float) -> dict[str, Any]:
    """`receive()`, failing with _Stalled if the client stops sending for `timeout` seconds.

    Usually the whole body came with the headers and `receive()` returns without waiting, so
    it is stepped eagerly; only a wait is put under a timer."""
    coro = receive()
    try:
        first = coro.send(None)  # type: ignore[attr-defined]
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    try:
        async with asyncio.timeout(timeout):
            return await Resume(coro, first)  # type: ignore[no-any-return]
    except TimeoutError:
        raise _Stalled from None
