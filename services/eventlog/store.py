"""The event store: the WAL (the single source of truth) plus an in-memory index rebuilt from it.

An event is a plain dict: ``t`` (ms since the epoch), ``service``, ``host``, ``level``,
``category``, ``message``, ``labels`` (dict) and ``trace``. One WAL record holds one batch:
``{"b": batch id, "s": first seq, "e": [events]}``. Sequence numbers are assigned in WAL order,
so "newest first" means "last stored first".

Only durable events are visible: the index is updated after the WAL's writer confirms a
record (and, under policy ``always``, its fsync).
"""

from __future__ import annotations

import bisect
import json
import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Iterator

from framework.metrics import registry

from .query import Query
from .wal import Segment, Wal

__all__ = ["Store", "Full", "Ack", "LABEL_KEYS"]

log = logging.getLogger("aviary.eventlog")

LABEL_KEYS = ("service", "host", "level", "category")


class Full(Exception):
    """The store cannot take this batch now (queue over its limit, disk full, closing)."""

    def __init__(self, reason: str, retry_after_s: float = 1.0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


class Ack:
    __slots__ = ("batch_id", "stored", "duplicate", "first_seq")

    def __init__(self, batch_id: str, stored: int, duplicate: bool, first_seq: int) -> None:
        self.batch_id = batch_id
        self.stored = stored
        self.duplicate = duplicate
        self.first_seq = first_seq


# An indexed event is a flat tuple of strings and ints, (t, service, host, level, category,
# message, labels as ((k, v), ...), trace): the garbage collector stops tracking such tuples,
# so a large index does not make every collection walk millions of objects (with dicts it did:
# p99 ack latency tripled under load).
Packed = tuple[int, str, str, str, str, str, tuple[tuple[str, str], ...], str]


def _pack(ev: dict[str, Any]) -> Packed:
    labels = ev.get("labels")
    return (ev.get("t", 0), ev.get("service", ""), ev.get("host", ""), ev.get("level", ""), ev.get("category", ""), ev.get("message", ""),
            tuple(labels.items()) if labels else (), ev.get("trace", ""))  # fmt: skip


def _unpack(p: Packed) -> dict[str, Any]:
    ev: dict[str, Any] = {"t": p[0], "service": p[1], "host": p[2], "level": p[3], "category": p[4], "message": p[5]}
    if p[6]:
        ev["labels"] = dict(p[6])
    if p[7]:
        ev["trace"] = p[7]
    return ev


def _labels(p: Packed) -> dict[str, str]:
    """The labels a query selects on: the fixed ones over the event's own."""
    out = dict(p[6]) if p[6] else {}
    out.update(service=p[1], host=p[2], level=p[3], category=p[4])
    return out


class Store:
    def __init__(
        self,
        directory: Path,
        *,
        policy: str = "always",
        segment_bytes: int = 64 << 20,
        batch_interval_s: float = 0.05,
        max_queue_events: int = 100_000,
        dedup_window_s: float = 3600.0,
        retention_age_s: float = 7 * 86400.0,
        retention_bytes: int = 256 << 20,
    ) -> None:
        self.wal = Wal(directory, policy=policy, segment_bytes=segment_bytes, batch_interval_s=batch_interval_s)
        self.max_queue_events = max_queue_events
        self.dedup_window_s = dedup_window_s
        self.retention_age_s = retention_age_s
        self.retention_bytes = retention_bytes
        self._lock = threading.Lock()
        self._next_seq = 1
        self._queued_events = 0
        self._seqs: list[int] = []  # every visible seq, ascending
        self._events: dict[int, Packed] = {}
        self._by_label: dict[tuple[str, str], list[int]] = {}
        # batch id -> (first seq, events stored, when); oldest first, for the dedup window
        self._batches: OrderedDict[str, tuple[int, int, float]] = OrderedDict()
        self._pending: dict[str, Future[Ack]] = {}
        self.last_seq = 0
        self.started_at = time.time()
        self.ready = False
        self.events_stored = registry.counter("eventlog", "events_stored")
        self.batches_stored = registry.counter("eventlog", "batches_stored")
        self.duplicates = registry.counter("eventlog", "duplicate_batches")
        self.refused = registry.counter("eventlog", "refused_batches")
        registry.gauge(lambda: len(self._events), "eventlog", "events")
        registry.gauge(lambda: self._queued_events, "eventlog", "queued_events")

    # -- start and stop ---------------------------------------------------------------------

    def open(self) -> None:
        """Replay the WAL into the index, then start appending. Runs before the ports open."""
        t0 = time.monotonic()
        n = 0
        for seg, payload in self.wal.replay():
            try:
                rec = json.loads(payload)
                first, events, batch_id = int(rec["s"]), rec["e"], rec.get("b", "")
            except (ValueError, KeyError, TypeError):
                self.wal.corrupt.incr()
                log.error("%s: a record with a good checksum but unreadable content was skipped", seg.path.name)
                continue
            self._index(first, events, batch_id, time.time())
            seg.last_seq = max(seg.last_seq, first + len(events) - 1)
            n += len(events)
        self._next_seq = self.last_seq + 1
        self.wal.open(self._next_seq)
        self.ready = True
        log.info("event log replayed %d events from %d segments in %.2fs", n, len(self.wal.segments), time.monotonic() - t0)

    def close(self) -> None:
        self.ready = False
        self.wal.close()

    # -- writing ----------------------------------------------------------------------------

    def append(self, events: list[dict[str, Any]], batch_id: str = "") -> Future[Ack]:
        """Store a batch; the future resolves to an `Ack` once it is durable (per policy).

        Raises `Full` at once when the queue is over its limit. A batch id seen within the dedup
        window is acknowledged again without storing anything."""
        now = time.time()
        with self._lock:
            if not self.ready:
                raise Full("the event log is not open (starting or stopping)")
            if batch_id:
                known = self._batches.get(batch_id)
                if known is not None and now - known[2] <= self.dedup_window_s:
                    self.duplicates.incr()
                    done: Future[Ack] = Future()
                    done.set_result(Ack(batch_id, 0, True, known[0]))
                    return done
                pending = self._pending.get(batch_id)
                if pending is not None:  # the same batch is being written: answer both together
                    self.duplicates.incr()
                    return _chain(pending, lambda a: Ack(batch_id, 0, True, a.first_seq))
            if self._queued_events + len(events) > self.max_queue_events:
                self.refused.incr()
                raise Full(f"queue full ({self._queued_events} events waiting for the disk)")
            now_ms = int(now * 1000)
            for e in events:
                if not e.get("t"):
                    e["t"] = now_ms
            first = self._next_seq
            self._next_seq += len(events)
            self._queued_events += len(events)
            payload = json.dumps({"b": batch_id, "s": first, "e": events}, separators=(",", ":"), ensure_ascii=False).encode()
            written = self.wal.submit(payload, first + len(events) - 1)
            result: Future[Ack] = Future()
            if batch_id:
                self._pending[batch_id] = result
        written.add_done_callback(lambda f: self._written(f, result, first, events, batch_id))
        return result

    def _written(self, f: Future[None], result: Future[Ack], first: int, events: list[dict[str, Any]], batch_id: str) -> None:
        err = f.exception()
        with self._lock:
            self._queued_events -= len(events)
            if batch_id:
                self._pending.pop(batch_id, None)
            if err is None:
                self._index(first, events, batch_id, time.time())
        if err is not None:
            self.refused.incr()
            result.set_exception(Full(f"the write-ahead log could not be written ({err}); nothing was stored", 5.0))
            return
        self.events_stored.incr(len(events))
        self.batches_stored.incr()
        result.set_result(Ack(batch_id, len(events), False, first))

    def _index(self, first: int, events: list[dict[str, Any]], batch_id: str, when: float) -> None:
        seq = first
        by_label = self._by_label
        for ev in events:
            p = _pack(ev)
            self._seqs.append(seq)
            self._events[seq] = p
            for kv in zip(LABEL_KEYS, p[1:5]):
                by_label.setdefault(kv, []).append(seq)
            for kv in p[6]:
                if kv[0] not in LABEL_KEYS:
                    by_label.setdefault(kv, []).append(seq)
            seq += 1
        if events:
            self.last_seq = max(self.last_seq, seq - 1)
        if batch_id:
            self._batches[batch_id] = (first, len(events), when)
            self._batches.move_to_end(batch_id)
            self._expire_batches(when)

    def _expire_batches(self, now: float) -> None:
        while self._batches:
            _, (_, _, when) = next(iter(self._batches.items()))
            if now - when <= self.dedup_window_s:
                break
            self._batches.popitem(last=False)

    # -- reading ----------------------------------------------------------------------------

    def query(self, q: Query, start_ms: int, end_ms: int, limit: int, forward: bool, cursor: int | None) -> tuple[list[tuple[int, dict[str, Any]]], int | None]:
        """Up to `limit` matching events, and the cursor of the next page (None: no more)."""
        out: list[tuple[int, dict[str, Any]]] = []
        with self._lock:
            candidates = self._candidates(q)
            if forward:
                lo = bisect.bisect_right(candidates, cursor) if cursor is not None else 0
                it: Iterator[int] = (candidates[i] for i in range(lo, len(candidates)))
            else:
                hi = bisect.bisect_left(candidates, cursor) if cursor is not None else len(candidates)
                it = (candidates[i] for i in range(hi - 1, -1, -1))
            for seq in it:
                p = self._events.get(seq)
                if p is None:
                    continue
                t = p[0]
                if (start_ms and t < start_ms) or (end_ms and t >= end_ms):
                    continue
                if not q.matches(_labels(p), p[5]):
                    continue
                if len(out) == limit:
                    return out, out[-1][0]
                out.append((seq, _unpack(p)))
        return out, None

    def after(self, q: Query, after_seq: int, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """Matching events stored after `after_seq`, oldest first (for tailing)."""
        if after_seq >= self.last_seq:
            return []
        events, _ = self.query(q, 0, 0, limit, True, after_seq)
        return events

    def _candidates(self, q: Query) -> list[int]:
        best = self._seqs
        for kv in q.equal.items():
            seqs = self._by_label.get(kv)
            if seqs is None:
                return []
            if len(seqs) < len(best):
                best = seqs
        return best

    # -- retention --------------------------------------------------------------------------

    def enforce_retention(self) -> int:
        """Delete the oldest closed segments past the age (since last written) or size limit;
        returns the number of events dropped."""
        # Age is when a segment was last written (its mtime), not the events' own times: a
        # client with a wrong clock must not get acknowledged events deleted early.
        cutoff = time.time() - self.retention_age_s if self.retention_age_s else None

        def keep(seg: Segment) -> bool:
            if cutoff is not None and _mtime(seg) < cutoff:
                return False
            if self.retention_bytes and sum(s.size for s in self.wal.segments) > self.retention_bytes:
                return False
            return True

        dropped = self.wal.drop_oldest(keep)
        if not dropped:
            return 0
        upto = max(s.last_seq for s in dropped)
        n = 0
        with self._lock:
            cut = bisect.bisect_right(self._seqs, upto)
            for seq in self._seqs[:cut]:
                if self._events.pop(seq, None) is not None:
                    n += 1
            del self._seqs[:cut]
            for key in list(self._by_label):
                seqs = self._by_label[key]
                c = bisect.bisect_right(seqs, upto)
                if c == len(seqs):
                    del self._by_label[key]
                elif c:
                    del seqs[:c]
        registry.counter("eventlog", "retention", "events_deleted").incr(n)
        log.info("retention deleted %d segments (%d events)", len(dropped), n)
        return n


def _mtime(seg: Segment) -> float:
    try:
        return seg.path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _chain(f: Future[Ack], fn: Any) -> Future[Ack]:
    out: Future[Ack] = Future()

    def done(src: Future[Ack]) -> None:
        e = src.exception()
        if e is not None:
            out.set_exception(e)
        else:
            out.set_result(fn(src.result()))

    f.add_done_callback(done)
    return out
