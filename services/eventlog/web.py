"""HTTP routes beside the generated REST ones: Loki-shaped push, a live tail over server-sent
events, and the browser page at ``/eventlog/``."""

from __future__ import annotations

import asyncio
import json
from importlib import resources
from typing import Any, AsyncIterator

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from framework.rest.codec import dumps_ascii, loads

from .handler import LABEL_NAME, EventLogHandler, T, parse_query, check_event
from .store import LABEL_KEYS

__all__ = ["routes"]

TAIL_POLL_S = 0.1
TAIL_BATCH = 500


def _invalid(field: str, reason: str) -> Response:
    # ASCII-escaped: the field may quote a label name that is not valid Unicode
    return Response(dumps_ascii({"error": {"type": "Invalid", "fields": {"field": field, "reason": reason}}}), 400, media_type="application/json")


def _try_later(e: Any) -> JSONResponse:
    retry_s = max(1, round(e.retryAfterMs / 1000))
    return JSONResponse({"error": {"type": "TryLater", "fields": {"reason": e.reason, "retryAfterMs": e.retryAfterMs}}}, 503, headers={"Retry-After": str(retry_s)})


def event_json(seq: int, ev: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": seq,
        "timeMs": ev.get("t", 0),
        "service": ev.get("service", ""),
        "host": ev.get("host", ""),
        "level": ev.get("level", ""),
        "category": ev.get("category", ""),
        "message": ev.get("message", ""),
        "labels": ev.get("labels") or {},
        "traceId": ev.get("trace", ""),
    }


def _loki_events(body: Any, handler: EventLogHandler) -> tuple[list[dict[str, Any]], str]:
    """Loki's push body to events: ``{"streams": [{"stream": {labels}, "values": [[ns, line,
    {metadata}?], ...]}], "batchId": "..."}``. Raises `T.Invalid` naming the bad path."""
    if not isinstance(body, dict) or not isinstance(body.get("streams"), list):
        raise T.Invalid(field="streams", reason='expected {"streams": [{"stream": {...}, "values": [["<ns>", "<line>"]]}]}')
    batch_id = body.get("batchId", "")
    if not isinstance(batch_id, str):
        raise T.Invalid(field="batchId", reason="a string")
    events: list[dict[str, Any]] = []
    for i, s in enumerate(body["streams"]):
        where = f"streams[{i}]"
        if not isinstance(s, dict):
            raise T.Invalid(field=where, reason="an object with stream and values")
        stream = s.get("stream", {})
        values = s.get("values")
        if not isinstance(stream, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in stream.items()):
            raise T.Invalid(field=f"{where}.stream", reason="an object of string labels")
        for k in stream:
            if not LABEL_NAME.match(k):
                raise T.Invalid(field=f"{where}.stream.{k}", reason="label names: a letter or _ then letters, digits, _ or .")
        if not isinstance(values, list):
            raise T.Invalid(field=f"{where}.values", reason='a list of ["<unix ns>", "<line>"] pairs')
        fixed = {k: stream.get(k, "") for k in LABEL_KEYS}
        extra = {k: v for k, v in stream.items() if k not in LABEL_KEYS}
        for j, v in enumerate(values):
            at = f"{where}.values[{j}]"
            if not isinstance(v, list) or len(v) not in (2, 3) or not isinstance(v[1], str):
                raise T.Invalid(field=at, reason='["<unix ns as a string>", "<line>"] or with a third {metadata} object')
            try:
                ns = int(v[0])
            except (TypeError, ValueError):
                raise T.Invalid(field=f"{at}[0]", reason="nanoseconds since the epoch, as a string of digits") from None
            labels = dict(extra)
            if len(v) == 3:
                if not isinstance(v[2], dict) or not all(isinstance(x, str) and isinstance(y, str) for x, y in v[2].items()):
                    raise T.Invalid(field=f"{at}[2]", reason="structured metadata: an object of strings")
                labels.update(v[2])
            trace = labels.pop("traceId", "") if "traceId" in labels else ""
            ev: dict[str, Any] = {"t": ns // 1_000_000, **fixed, "message": v[1]}
            ev["level"] = ev["level"] or "info"
            if labels:
                ev["labels"] = labels
            if trace:
                ev["trace"] = trace
            check_event(ev, at, handler.limits)
            events.append(ev)
    if len(events) > handler.limits.max_batch_events:
        raise T.Invalid(field="streams", reason=f"{len(events)} values; at most {handler.limits.max_batch_events} per push")
    return events, batch_id


async def _body(request: Request, limit: int) -> bytes | None:
    """The request body, or None once it runs over `limit` bytes (the rest is not read)."""
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)


def routes(handler: EventLogHandler, max_body_bytes: int = 4 << 20) -> list[Any]:
    store = handler.store

    async def push(request: Request) -> Response:
        raw = await _body(request, max_body_bytes)
        if raw is None:
            message = f"body is over the limit of {max_body_bytes} bytes (max_body_bytes)"
            return JSONResponse({"error": {"type": "PayloadTooLarge", "message": message}}, 413, headers={"Connection": "close"})
        try:
            body = loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            return _invalid("body", f"not JSON: {e}")
        try:
            events, batch_id = _loki_events(body, handler)
            if not events:
                return Response(status_code=204)
            ack = await handler.store_batch(events, batch_id)
        except T.Invalid as e:
            handler.invalid.incr()
            return _invalid(e.field, e.reason)
        except T.TryLater as e:
            return _try_later(e)
        # Loki answers 204; the ack (with the batch id echoed) rides in headers.
        return Response(status_code=204, headers={"X-Batch-Id": ack.batch_id, "X-Stored": str(ack.stored), "X-Duplicate": "true" if ack.duplicate else "false"})

    async def sse(request: Request) -> Response:
        try:
            q = parse_query(request.query_params.get("query", ""))
            after = int(request.query_params.get("after", str(store.last_seq)))
        except T.Invalid as e:
            return _invalid(e.field, e.reason)
        except ValueError:
            return _invalid("after", "a sequence number")
        last_id = request.headers.get("last-event-id")
        if last_id and last_id.isdigit():
            after = int(last_id)

        async def stream() -> AsyncIterator[bytes]:
            nonlocal after
            yield b": tailing\n\n"
            idle = 0.0
            while True:
                found = store.after(q, after, TAIL_BATCH)
                for seq, ev in found:
                    yield f"id: {seq}\nevent: event\ndata: {json.dumps(event_json(seq, ev))}\n\n".encode()
                    after = seq
                if not found:
                    await asyncio.sleep(TAIL_POLL_S)
                    idle += TAIL_POLL_S
                    if idle >= 15:  # a comment keeps proxies from closing a quiet stream
                        idle = 0.0
                        yield b": keep-alive\n\n"
                if await request.is_disconnected():
                    return

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def page(request: Request) -> Response:
        return HTMLResponse(resources.files(__package__).joinpath("page.html").read_text(encoding="utf-8"))

    async def ready(request: Request) -> Response:
        return JSONResponse({"ready": store.ready, "lastSeq": store.last_seq}, 200 if store.ready else 503)

    return [
        Route("/loki/api/v1/push", push, methods=["POST"]),
        Route("/eventlog/tail", sse, methods=["GET"]),
        Route("/eventlog/ready", ready, methods=["GET"]),
        Route("/eventlog/", page, methods=["GET"]),
    ]

