"""The handler of `idl/eventlog.thrift`'s ``EventLog`` (which extends Scribe's ``scribe`` and
fb303's ``FacebookService``): one object answers Scribe clients, structured clients and REST.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from typing import Any

from framework import load_idl, locate_idl
from framework.metrics import registry

from .query import QueryError, parse
from .store import Full, Store

IDL = load_idl(locate_idl("eventlog.thrift"))
T = IDL.module  # T.Event, T.Batch, T.Ack, ...; Scribe's types are T.scribe.*

CATEGORY = re.compile(r"[A-Za-z0-9_.:/-]{1,128}\Z")
LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,63}\Z")
MAX_LABELS = 32
MAX_LABEL_VALUE = 1024
VERSION = "0.1.0"


class Limits:
    def __init__(self, max_batch_events: int = 10_000, max_message_bytes: int = 1 << 20, max_query_limit: int = 5000) -> None:
        self.max_batch_events = max_batch_events
        self.max_message_bytes = max_message_bytes
        self.max_query_limit = max_query_limit


_known_categories: set[str] = set()  # names already checked: the check is per name, not per event
_known_label_names: set[str] = set()
_KNOWN_MAX = 10_000


def _known(name: str, rx: re.Pattern[str], cache: set[str]) -> bool:
    if name in cache:
        return True
    if not rx.match(name):
        return False
    if len(cache) < _KNOWN_MAX:
        cache.add(name)
    return True


def _unicode(s: str) -> bool:
    """Text UTF-8 can carry: not a lone surrogate, as JSON's "\\ud800" gives (the WAL could not
    write it)."""
    if s.isascii():
        return True
    try:
        s.encode()
    except UnicodeEncodeError:
        return False
    return True


_NOT_UNICODE = "not valid Unicode (a lone surrogate)"


def check_event(ev: dict[str, Any], where: str, limits: Limits) -> None:
    """Raise `T.Invalid` naming the field when an event (a plain dict) cannot be stored."""
    msg = ev.get("message")
    if not isinstance(msg, str):
        raise T.Invalid(field=f"{where}.message", reason="required, a string")
    if not _unicode(msg):
        raise T.Invalid(field=f"{where}.message", reason=_NOT_UNICODE)
    if len(msg) * 4 > limits.max_message_bytes and len(msg.encode("utf-8", "surrogatepass")) > limits.max_message_bytes:
        raise T.Invalid(field=f"{where}.message", reason=f"longer than {limits.max_message_bytes} bytes; split it")
    cat = ev.get("category", "")
    if cat and not _known(cat, CATEGORY, _known_categories):
        raise T.Invalid(field=f"{where}.category", reason="use 1-128 of A-Z a-z 0-9 _ . : / -")
    for key in ("service", "host", "level"):
        v = ev.get(key, "")
        if not isinstance(v, str) or len(v) > MAX_LABEL_VALUE:
            raise T.Invalid(field=f"{where}.{key}", reason=f"a string of at most {MAX_LABEL_VALUE} characters")
        if not _unicode(v):
            raise T.Invalid(field=f"{where}.{key}", reason=_NOT_UNICODE)
    labels = ev.get("labels")
    if labels:
        if len(labels) > MAX_LABELS:
            raise T.Invalid(field=f"{where}.labels", reason=f"at most {MAX_LABELS} labels")
        for k, v in labels.items():
            if not isinstance(k, str) or not _known(k, LABEL_NAME, _known_label_names):
                raise T.Invalid(field=f"{where}.labels", reason=f"label name {k!r}: use a letter or _ then letters, digits, _ or .")
            if not isinstance(v, str) or len(v) > MAX_LABEL_VALUE:
                raise T.Invalid(field=f"{where}.labels.{k}", reason=f"a string of at most {MAX_LABEL_VALUE} characters")
            if not _unicode(v):
                raise T.Invalid(field=f"{where}.labels.{k}", reason=_NOT_UNICODE)
    trace = ev.get("trace", "")
    if not isinstance(trace, str) or not _unicode(trace):
        raise T.Invalid(field=f"{where}.traceId", reason=f"a string; {_NOT_UNICODE}" if isinstance(trace, str) else "a string")
    t = ev.get("t", 0)
    if t.__class__ is not int or t < 0:
        raise T.Invalid(field=f"{where}.timeMs", reason="milliseconds since the epoch, at least 0")


def event_from_thrift(e: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "t": e.timeMs or 0,
        "service": e.serviceName or "",
        "host": e.host or "",
        "level": e.level or "info",
        "category": e.category or "",
        "message": e.message,
    }
    if e.labels:
        ev["labels"] = dict(e.labels)
    if e.traceId:
        ev["trace"] = e.traceId
    return ev


def event_to_thrift(ev: dict[str, Any]) -> Any:
    return T.Event(
        timeMs=ev.get("t", 0),
        serviceName=ev.get("service", ""),
        host=ev.get("host", ""),
        level=ev.get("level", ""),
        category=ev.get("category", ""),
        message=ev.get("message", ""),
        labels=ev.get("labels") or {},
        traceId=ev.get("trace", ""),
    )


def parse_cursor(cursor: str) -> int | None:
    if not cursor:
        return None
    try:
        return int(cursor)
    except ValueError:
        raise T.Invalid(field="cursor", reason="pass back the cursor of the previous page unchanged") from None


class EventLogHandler:
    def __init__(self, store: Store, limits: Limits | None = None) -> None:
        self.store = store
        self.limits = limits or Limits()
        self.options: dict[str, str] = {}
        self.host = socket.gethostname()
        self.scribe_ok = registry.counter("eventlog", "scribe", "ok")
        self.scribe_try_later = registry.counter("eventlog", "scribe", "try_later")
        self.scribe_dropped = registry.counter("eventlog", "scribe", "dropped_entries")
        self.invalid = registry.counter("eventlog", "invalid_batches")

    # -- structured -------------------------------------------------------------------------

    async def append(self, batch: Any) -> Any:
        events = batch.events or []
        if len(events) > self.limits.max_batch_events:
            self.invalid.incr()
            raise T.Invalid(field="batch.events", reason=f"{len(events)} events; at most {self.limits.max_batch_events} per batch")
        evs = [event_from_thrift(e) for e in events]
        try:
            for i, ev in enumerate(evs):
                check_event(ev, f"batch.events[{i}]", self.limits)
        except T.Invalid:
            self.invalid.incr()
            raise
        ack = await self.store_batch(evs, batch.batchId or "")
        return T.Ack(batchId=ack.batch_id, stored=ack.stored, duplicate=ack.duplicate, firstSeq=ack.first_seq)

    async def store_batch(self, events: list[dict[str, Any]], batch_id: str) -> Any:
        """Append checked events and wait until durable; `Full` becomes `T.TryLater`."""
        if not _unicode(batch_id):
            raise T.Invalid(field="batchId", reason=_NOT_UNICODE)
        try:
            return await asyncio.wrap_future(self.store.append(events, batch_id))
        except Full as e:
            raise T.TryLater(reason=e.reason, retryAfterMs=int(e.retry_after_s * 1000)) from None

    async def query(self, query: str, startMs: int, endMs: int, limit: int, direction: str, cursor: str) -> Any:
        q = parse_query(query)
        if direction not in ("backward", "forward"):
            raise T.Invalid(field="direction", reason='"backward" (newest first) or "forward" (oldest first)')
        if not 1 <= limit <= self.limits.max_query_limit:
            raise T.Invalid(field="limit", reason=f"between 1 and {self.limits.max_query_limit}")
        found, nxt = self.store.query(q, startMs or 0, endMs or 0, limit, direction == "forward", parse_cursor(cursor))
        return T.Page(events=[T.Stored(seq=s, event=event_to_thrift(e)) for s, e in found], cursor="" if nxt is None else str(nxt))

    async def tail(self, query: str, afterSeq: int, limit: int) -> list[Any]:
        q = parse_query(query)
        if not 1 <= limit <= self.limits.max_query_limit:
            raise T.Invalid(field="limit", reason=f"between 1 and {self.limits.max_query_limit}")
        return [T.Stored(seq=s, event=event_to_thrift(e)) for s, e in self.store.after(q, afterSeq or 0, limit)]

    # -- Scribe -----------------------------------------------------------------------------

    async def Log(self, messages: list[Any]) -> int:
        """Scribe's `Log`: OK once the whole batch is durable, TRY_LATER when nothing was stored.

        As in Scribe, entries with a blank category are dropped and counted; so are entries
        whose category has characters outside 1-128 of ``A-Z a-z 0-9 _ . : / -`` or whose
        message is over the size limit (Scribe's answer has no way to name a bad entry)."""
        events = []
        now_ms = int(time.time() * 1000)
        for m in messages or []:
            cat, msg = m.category, m.message
            if not cat or not isinstance(cat, str) or not CATEGORY.match(cat) or not isinstance(msg, str) or len(msg) > self.limits.max_message_bytes:
                self.scribe_dropped.incr()
                continue
            events.append({"t": now_ms, "service": "", "host": "", "level": "info", "category": cat, "message": msg})
        # No batch-size limit here: TRY_LATER would make a Scribe client resend the same batch
        # forever. The Thrift frame limit (max_frame_bytes) bounds a batch instead.
        if not events:
            self.scribe_ok.incr()
            return T.scribe.ResultCode.OK
        try:
            await asyncio.wrap_future(self.store.append(events))
        except Full:
            self.scribe_try_later.incr()
            return T.scribe.ResultCode.TRY_LATER
        self.scribe_ok.incr()
        return T.scribe.ResultCode.OK

    # -- fb303 ------------------------------------------------------------------------------

    async def getName(self) -> str:
        return "eventlog"

    async def getVersion(self) -> str:
        return VERSION

    async def getStatus(self) -> int:
        return T.scribe.fb303.fb_status.ALIVE if self.store.ready else T.scribe.fb303.fb_status.STARTING

    async def getStatusDetails(self) -> str:
        return "serving" if self.store.ready else "replaying the write-ahead log"

    async def getCounters(self) -> dict[str, int]:
        out = {c.name: int(c.value) for c in registry.counters() if c.name.startswith("eventlog/")}
        out.update({g.name: int(g.value) for g in registry.gauges() if g.name.startswith("eventlog/")})
        return out

    async def getSelectedCounters(self, keys: list[str]) -> dict[str, int]:
        return {k: int(registry.value(k)) for k in keys or []}

    async def getCounter(self, key: str) -> int:
        return int(registry.value(key))

    async def getExportedValues(self) -> dict[str, str]:
        return {k: str(v) for k, v in (await self.getCounters()).items()}

    async def getSelectedExportedValues(self, keys: list[str]) -> dict[str, str]:
        return {k: str(registry.value(k)) for k in keys or []}

    async def getExportedValue(self, key: str) -> str:
        return str(registry.value(key))

    async def setOption(self, key: str, value: str) -> None:
        self.options[key] = value

    async def getOption(self, key: str) -> str:
        return self.options.get(key, "")

    async def getOptions(self) -> dict[str, str]:
        return dict(self.options)

    async def aliveSince(self) -> int:
        return int(self.store.started_at)

    async def reinitialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def parse_query(query: str) -> Any:
    """A query's text to a `Query`; a malformed one is `T.Invalid` naming the problem."""
    try:
        return parse(query or "")
    except QueryError as e:
        raise T.Invalid(field="query", reason=str(e)) from None
