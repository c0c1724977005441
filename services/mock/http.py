"""The mock's HTTP side, on the service's HTTP port behind the generated REST routes:

* ``/__admin/...``: WireMock's admin API where the two overlap (mappings, requests journal,
  near misses, recordings, scenarios, reset), plus ``/__admin/ui``, a page to browse them;
* every other request: answered by the REST stubs (or the upstream while recording).
"""

from __future__ import annotations

import asyncio
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route, Router

from framework.errors import AviaryError, ConfigError
from framework.rest.codec import dumps, dumps_ascii, json_type_name, loads

from .core import Mock
from .faults import http_fault
from .matching import Incoming, RequestPattern, StubError, _Bad, parse_error

__all__ = ["mock_app"]

ADMIN = "/__admin"


def _json(data: Any, status: int = 200) -> Response:
    # ASCII-escaped: admin answers echo what callers sent, which may be text UTF-8 cannot carry
    return Response(dumps_ascii(data), status, media_type="application/json")


def _error(status: int, message: str, pointer: str = "") -> Response:
    err: dict[str, Any] = {"title": message}
    if pointer:
        err["source"] = {"pointer": "/" + pointer.replace(".", "/").replace("[", "/").replace("]", "")}
    return _json({"errors": [err]}, status)


async def _body_json(request: Request, limit: int) -> dict[str, Any]:
    """An admin request's body: a JSON object (empty: {}), at most `limit` bytes."""
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge(f"body is over the limit of {limit} bytes (max_body_bytes)")
        parts.append(chunk)
    raw = b"".join(parts)
    if not raw.strip():
        return {}
    try:
        body = loads(raw)
    except ValueError as e:
        raise StubError("request body", "", f"not valid JSON: {e}") from None
    if not isinstance(body, dict):
        raise StubError("request body", "", f"expected a JSON object, got {json_type_name(body)}")
    return body


def _pattern(spec: Any) -> RequestPattern:
    try:
        return RequestPattern(spec if spec else {})
    except _Bad as e:
        raise parse_error("request body", e) from None


def mock_app(mock: Mock, max_body_bytes: int = 4 << 20) -> Any:
    """The ASGI app for the service's `fallback`; request bodies over `max_body_bytes` get 413
    (the host's limit, as on the generated routes)."""
    store, journal, recorder = mock.store, mock.journal, mock.recorder

    async def body_json(request: Request) -> dict[str, Any]:
        return await _body_json(request, max_body_bytes)

    # -- mappings ----------------------------------------------------------------------------
    async def mappings(request: Request) -> Response:
        if request.method == "GET":
            specs = [s.spec for s in store.ordered()]
            return _json({"mappings": specs, "meta": {"total": len(specs)}})
        if request.method == "DELETE":
            store.clear()
            return _json({})
        stub = store.add(store.parse(await body_json(request), "request body"))
        return _json(stub.spec, 201)

    async def mapping(request: Request) -> Response:
        sid = request.path_params["id"]
        if request.method == "PUT":
            if store.get(sid) is None:
                return _error(404, f"no stub mapping {sid}")
            spec = await body_json(request)
            stub = store.parse({**spec, "id": sid}, "request body")
            store.remove(sid)
            store.add(stub)
            return _json(stub.spec)
        stub = store.remove(sid) if request.method == "DELETE" else store.get(sid)
        if stub is None:
            return _error(404, f"no stub mapping {sid}")
        return _json(stub.spec if request.method == "GET" else {})

    async def mappings_reset(request: Request) -> Response:
        store.reset()
        return _json({})

    async def mappings_import(request: Request) -> Response:
        body = await body_json(request)
        items = body.get("mappings") if isinstance(body, dict) else None
        if not isinstance(items, list):
            return _error(422, 'expected {"mappings": [...]}', "mappings")
        stubs = []
        for i, item in enumerate(items):
            try:
                stubs.append(store._parse(item, "request body"))
            except _Bad as e:
                raise StubError("request body", f"mappings[{i}].{e.field}", e.message) from None
        for s in stubs:  # all or nothing
            store.add(s)
        return _json({})

    # -- requests journal --------------------------------------------------------------------
    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            journal.clear()
            return _json({})
        entries = list(reversed(list(journal)))  # newest first, as WireMock lists them
        limit = request.query_params.get("limit")
        if limit and limit.isdigit():
            entries = entries[: int(limit)]
        return _json({"requests": [e.to_json() for e in entries], "meta": {"total": len(journal)}, "requestJournalDisabled": False, "dropped": journal.dropped})

    async def requests_find(request: Request) -> Response:
        found = journal.find(_pattern(await body_json(request)))
        return _json({"requests": [e.request.to_json() | {"id": e.id} for e in found]})

    async def requests_count(request: Request) -> Response:
        return _json({"count": len(journal.find(_pattern(await body_json(request))))})

    async def requests_remove(request: Request) -> Response:
        gone = journal.remove_matching(_pattern(await body_json(request)))
        return _json({"requests": [e.to_json() for e in gone]})

    async def unmatched(request: Request) -> Response:
        return _json({"requests": [e.request.to_json() for e in journal.unmatched()]})

    async def unmatched_near_misses(request: Request) -> Response:
        out = []
        for e in journal.unmatched():
            out.extend(store.near_misses(e.request))
        return _json({"nearMisses": out})

    async def request_by_id(request: Request) -> Response:
        rid = request.path_params["id"]
        if request.method == "DELETE":
            return _json({}) if journal.remove(rid) else _error(404, f"no request {rid} in the journal")
        e = journal.get(rid)
        return _json(e.to_json()) if e is not None else _error(404, f"no request {rid} in the journal")

    async def near_misses_request(request: Request) -> Response:
        body = await body_json(request)
        return _json({"nearMisses": store.near_misses(Incoming.from_json(body if isinstance(body, dict) else {}))})

    async def near_misses_pattern(request: Request) -> Response:
        pattern = _pattern(await body_json(request))
        ranked = sorted(((pattern.distance(e.request), e) for e in journal), key=lambda x: x[0])
        out = [
            {"request": e.request.to_json(), "requestPattern": pattern.spec, "matchResult": {"distance": round(d, 3)},
             "diff": [c.diff(e.request) for c, ok in pattern.results(e.request) if not ok]}
            for d, e in ranked[:3] if d < 1.0
        ]  # fmt: skip
        return _json({"nearMisses": out})

    # -- recordings --------------------------------------------------------------------------
    async def recording_start(request: Request) -> Response:
        body = await body_json(request)
        recorder.start(body.get("targetBaseUrl"), bool(body.get("persist", False)))
        return _json({"status": recorder.status, "target": recorder.target})

    async def recording_stop(request: Request) -> Response:
        return _json({"mappings": await recorder.stop()})

    async def recording_status(request: Request) -> Response:
        return _json({"status": recorder.status, "target": recorder.target})

    async def recording_snapshot(request: Request) -> Response:
        body = await body_json(request)
        recorder.persist = bool(body.get("persist", False))
        return _json({"mappings": recorder.snapshot()})

    # -- scenarios ---------------------------------------------------------------------------
    async def scenarios(request: Request) -> Response:
        out = [
            {"id": name, "name": name, "state": store.scenarios.state(name), "possibleStates": sorted(states)}
            for name, states in sorted(store.scenario_names().items())
        ]
        return _json({"scenarios": out})

    async def scenarios_reset(request: Request) -> Response:
        store.scenarios.reset_all()
        return _json({})

    def _known(name: str) -> bool:
        return name in store.scenario_names()

    async def scenario_state(request: Request) -> Response:
        name = request.path_params["name"]
        if not _known(name):
            return _error(404, f"no scenario {name!r}")
        body = await body_json(request)
        state = body.get("state") if isinstance(body, dict) else None
        if not isinstance(state, str):
            return _error(422, 'expected {"state": "<state name>"}', "state")
        store.scenarios.set(name, state)
        return _json({})

    async def scenario_reset(request: Request) -> Response:
        name = request.path_params["name"]
        if not _known(name):
            return _error(404, f"no scenario {name!r}")
        store.scenarios.states.pop(name, None)
        return _json({})

    async def reset(request: Request) -> Response:
        mock.reset()
        return _json({})

    page = resources.files(__package__).joinpath("ui.html").read_text(encoding="utf-8")

    async def ui(request: Request) -> Response:
        return HTMLResponse(page)

    admin = [
        Route(f"{ADMIN}/mappings", mappings, methods=["GET", "POST", "DELETE"]),
        Route(f"{ADMIN}/mappings/reset", mappings_reset, methods=["POST"]),
        Route(f"{ADMIN}/mappings/import", mappings_import, methods=["POST"]),
        Route(f"{ADMIN}/mappings/{{id}}", mapping, methods=["GET", "PUT", "DELETE"]),
        Route(f"{ADMIN}/requests", requests, methods=["GET", "DELETE"]),
        Route(f"{ADMIN}/requests/find", requests_find, methods=["POST"]),
        Route(f"{ADMIN}/requests/count", requests_count, methods=["POST"]),
        Route(f"{ADMIN}/requests/remove", requests_remove, methods=["POST"]),
        Route(f"{ADMIN}/requests/unmatched", unmatched, methods=["GET"]),
        Route(f"{ADMIN}/requests/unmatched/near-misses", unmatched_near_misses, methods=["GET"]),
        Route(f"{ADMIN}/requests/{{id}}", request_by_id, methods=["GET", "DELETE"]),
        Route(f"{ADMIN}/near-misses/request", near_misses_request, methods=["POST"]),
        Route(f"{ADMIN}/near-misses/request-pattern", near_misses_pattern, methods=["POST"]),
        Route(f"{ADMIN}/recordings/start", recording_start, methods=["POST"]),
        Route(f"{ADMIN}/recordings/stop", recording_stop, methods=["POST"]),
        Route(f"{ADMIN}/recordings/status", recording_status, methods=["GET"]),
        Route(f"{ADMIN}/recordings/snapshot", recording_snapshot, methods=["POST"]),
        Route(f"{ADMIN}/scenarios", scenarios, methods=["GET"]),
        Route(f"{ADMIN}/scenarios/reset", scenarios_reset, methods=["POST"]),
        Route(f"{ADMIN}/scenarios/{{name}}/state", scenario_state, methods=["PUT"]),
        Route(f"{ADMIN}/scenarios/{{name}}/reset", scenario_reset, methods=["POST"]),
        Route(f"{ADMIN}/reset", reset, methods=["POST"]),
        Route(f"{ADMIN}/ui", ui, methods=["GET"]),
    ]
    router = Router(routes=admin)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path == ADMIN or path.startswith(ADMIN + "/"):
            await _admin(router, scope, receive, send)
            return
        await _serve_stub(mock, scope, receive, send, max_body_bytes)

    return app


async def _admin(router: Router, scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Admin errors are answers, not crashes: a bad stub is 422 naming the field."""
    try:
        await router(scope, receive, send)
    except StubError as e:
        await _error(422, str(e), e.field)(scope, receive, send)
    except _TooLarge as e:
        await _error(413, str(e))(scope, receive, send)
    except ConfigError as e:
        await _error(409, str(e))(scope, receive, send)
    except AviaryError as e:
        await _error(400, str(e))(scope, receive, send)


class _TooLarge(Exception):
    pass


async def _read_body(receive: Any, limit: int) -> bytes:
    chunks = []
    size = 0
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            break
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not msg.get("more_body"):
            break
    return b"".join(chunks)


async def _serve_stub(mock: Mock, scope: dict[str, Any], receive: Any, send: Any, max_body_bytes: int) -> None:
    headers: dict[str, list[str]] = {}
    for k, v in scope["headers"]:
        headers.setdefault(k.decode("latin-1").lower(), []).append(v.decode("latin-1"))
    qs = scope.get("query_string", b"").decode("latin-1")
    path = scope.get("raw_path", scope["path"].encode()).decode("latin-1") if scope.get("raw_path") else scope["path"]
    client = scope.get("client")
    try:
        body = await _read_body(receive, max_body_bytes)
    except _TooLarge:
        message = {"error": {"type": "PayloadTooLarge", "message": f"request body over {max_body_bytes} bytes"}}
        await _respond(send, 413, [(b"content-type", b"application/json"), (b"connection", b"close")], dumps(message))
        return
    incoming = Incoming(
        scope["method"], path + (f"?{qs}" if qs else ""), headers, body, transport="http", peer=f"{client[0]}:{client[1]}" if client else ""
    )
    if mock.recorder.http_base is not None:
        try:
            r = await mock.recorder.forward_http(incoming)
        except OSError as e:  # the upstream is down or refused: say so, record nothing
            message = {"error": {"type": "BadGateway", "message": f"recording: upstream {mock.recorder.target} failed: {e}"}}
            await _respond(send, 502, [(b"content-type", b"application/json")], dumps(message))
            return
        await _respond(send, r.status, [(k.encode(), v.encode()) for k, v in r.headers], r.body)
        return
    stub, entry = mock.http_match(incoming)
    if stub is None:
        near = mock.store.near_misses(incoming)
        body = {"error": {"type": "NotFound", "message": f"no stub matches {incoming.method} {incoming.url}", "nearMisses": near}}
        await _respond(send, 404, [(b"content-type", b"application/json")], dumps(body))
        return
    response = stub.response
    delay = mock.delay_s(stub)
    if delay > 0:
        await asyncio.sleep(delay)
    if response.fault is not None:
        await http_fault(response.fault, scope, receive, send)
        return
    out = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]  # type: ignore[union-attr]
    out.append((b"matched-stub-id", stub.id.encode()))
    if stub.name:
        out.append((b"matched-stub-name", stub.name.encode("utf-8", "replace")))
    await _respond(send, response.status, out, response.body)  # type: ignore[union-attr]


async def _respond(send: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [h for h in headers if h[0].lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
