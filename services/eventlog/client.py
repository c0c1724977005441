"""Python clients of the event log, standard library only: `EventLogClient` and `LoggingHandler`.

    client = EventLogClient("inet!127.0.0.1:8888", service="billing", spool_dir="/var/spool/billing")
    client.emit("card declined", level="warning", labels={"customer": "42"})
    logging.getLogger().addHandler(LoggingHandler(client))

`emit` never blocks on the network: events go to a bounded in-memory queue that a background
thread sends in batches (each with a fresh batch id, so a retry after a lost answer is stored
once). A busy service (503 TryLater / 429) is retried with jittered exponential backoff. While
the service is unreachable, batches go to the spool directory (if given) and are sent later,
in order, before anything newer. At exit the client flushes for up to `exit_timeout_s`; what is
still unsent then stays in the spool for the next run.

Destinations: ``http://host:port``, ``inet!host:port`` (the service's HTTP port), or a
ZooKeeper serverset ``zk2!zkhosts!/aviary/prod/eventlog`` (each member's ``http`` endpoint,
followed as members come and go). `Destination` is the one place a destination becomes an
address. Apart from ZooKeeper names (which use `framework.discovery`), only the standard
library is used: this file also works alone, copied beside a program on a machine that has
nothing but python3 (the offline bundle ships it as ``eventlog_client.py``).
"""

from __future__ import annotations

import atexit
import http.client
import json
import logging
import os
import random
import re
import socket
import threading
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Destination", "EventLogClient", "LoggingHandler", "Rejected"]

_CATEGORY_UNSAFE = re.compile(r"[^A-Za-z0-9_.:/-]")
OVERFLOW = ("drop_oldest", "drop_newest", "block")
_log = logging.getLogger("aviary.eventlog.client")  # never routed to a LoggingHandler (see emit)


class Rejected(Exception):
    """The service refused a batch as malformed (HTTP 400, 413 or 422): retrying cannot help."""


class _Busy(Exception):
    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"busy, retry after {retry_after_s}s")
        self.retry_after_s = retry_after_s


class Destination:
    """Where the event log's HTTP port is. `address` is asked afresh for each new connection,
    so with a ZooKeeper name a reconnect goes to a member that is alive now."""

    def __init__(self, dest: str) -> None:
        self.dest = dest
        self._fixed: tuple[str, int] | None = None
        self._resolution: Any = None
        if dest.startswith("http://"):
            u = urlsplit(dest)
            if not u.hostname:
                raise ValueError(f"destination {dest!r}: expected http://host:port")
            self._fixed = (u.hostname, u.port or 80)
            return
        if dest.startswith(("zk!", "zk2!")):
            self._resolution = _resolve_http(dest)
            return
        # inet!host:port[,…] or host:port, read here rather than by framework.discovery.names so
        # that this file works alone, copied beside a program that has only python3.
        addresses = dest.removeprefix("inet!").split(",")
        host, sep, port = addresses[0].strip().rpartition(":")
        if dest.count("!") > (1 if dest.startswith("inet!") else 0) or not sep or not host.strip("[]") or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"destination {dest!r}: expected http://host:port, inet!host:port, host:port or a zk2!hosts!/path name")
        self._fixed = (host.strip("[]"), int(port))

    def address(self, timeout_s: float) -> tuple[str, int]:
        if self._fixed is not None:
            return self._fixed
        if not self._resolution.addresses:
            self._resolution.wait_ready(timeout_s)
        if not self._resolution.addresses:
            raise OSError(f"{self.dest}: no live event-log members")
        return tuple(random.choice(self._resolution.addresses))  # type: ignore[return-value]

    def close(self) -> None:
        if self._resolution is not None:
            self._resolution.close()


def _resolve_http(dest: str) -> Any:
    """A ZooKeeper name's live members (their ``http`` endpoint unless the name gives one)."""
    try:
        from dataclasses import replace

        from framework.discovery import names, resolver
    except ImportError:
        raise ValueError(f"destination {dest!r}: ZooKeeper names need Aviary installed (framework.discovery); give http://host:port or inet!host:port") from None
    try:
        name = names.parse(dest)
    except names.BadName as e:
        raise ValueError(f"destination {e}") from None
    return resolver.resolve(replace(name, endpoint=name.endpoint or "http"))


class EventLogClient:
    """Sends events to the event log from a background thread; `emit` returns at once."""

    def __init__(
        self,
        dest: str,
        *,
        service: str = "",
        host: str | None = None,
        spool_dir: str | os.PathLike[str] | None = None,
        batch_size: int = 100,
        flush_interval_s: float = 0.2,
        max_queue: int = 100_000,
        overflow: str = "drop_oldest",
        timeout_s: float = 5.0,
        max_backoff_s: float = 30.0,
        exit_timeout_s: float = 5.0,
    ) -> None:
        if overflow not in OVERFLOW:
            raise ValueError(f"overflow must be one of {', '.join(OVERFLOW)}, got {overflow!r}")
        self.dest = Destination(dest)  # a bad destination fails here, not in the thread
        self.service = service
        self.host = host if host is not None else socket.gethostname()
        self.spool = Path(spool_dir) if spool_dir is not None else None
        if self.spool is not None:
            self.spool.mkdir(parents=True, exist_ok=True)
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.max_queue = max_queue
        self.overflow = overflow
        self.timeout_s = timeout_s
        self.max_backoff_s = max_backoff_s
        self.exit_timeout_s = exit_timeout_s
        # what happened, for the application's own metrics
        self.sent = 0
        self.dropped = 0
        self.rejected = 0
        self.retries = 0
        self.spooled = 0
        self._queue: deque[dict[str, Any]] = deque()
        self._cond = threading.Condition()
        self._inflight = 0
        self._flushing = 0
        self._closed = False
        self._conn: http.client.HTTPConnection | None = None
        self._spool_seq = self._next_spool_seq()
        self._thread = threading.Thread(target=self._run, name="eventlog-client", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    # -- the application's side -------------------------------------------------------------

    def emit(self, message: str, *, level: str = "info", category: str = "", labels: dict[str, str] | None = None, trace_id: str = "", time_ms: int | None = None, service: str | None = None) -> bool:
        """Queue one event; False when it was dropped (queue full under a drop policy, or closed)."""
        ev: dict[str, Any] = {
            "timeMs": time_ms if time_ms is not None else int(time.time() * 1000),
            "serviceName": self.service if service is None else service,
            "host": self.host,
            "level": level,
            "category": category,
            "message": message,
        }
        if labels:
            ev["labels"] = labels
        if trace_id:
            ev["traceId"] = trace_id
        with self._cond:
            if self._closed:
                self.dropped += 1
                return False
            while len(self._queue) >= self.max_queue:
                if self.overflow == "drop_newest":
                    self.dropped += 1
                    return False
                if self.overflow == "drop_oldest":
                    self._queue.popleft()
                    self.dropped += 1
                    break
                self._cond.wait(0.1)  # block
            self._queue.append(ev)
            if len(self._queue) >= self.batch_size:
                self._cond.notify_all()
        return True

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until everything queued has been delivered or spooled; True if it was."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            self._flushing += 1
            self._cond.notify_all()
            try:
                while self._queue or self._inflight:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._cond.wait(min(left, 0.05))
            finally:
                self._flushing -= 1
        return True

    def pending_spool(self) -> int:
        """Batches waiting in the spool directory."""
        return len(self._spool_files()) if self.spool is not None else 0

    def close(self) -> None:
        """Flush for up to `exit_timeout_s`, spool whatever is left, stop the thread."""
        if self._closed:
            return
        self.flush(self.exit_timeout_s)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(self.exit_timeout_s + self.timeout_s)
        with self._cond:
            left = list(self._queue)
            self._queue.clear()
        if left and self.spool is not None:
            for i in range(0, len(left), self.batch_size):
                self._spool_write(left[i : i + self.batch_size], uuid.uuid4().hex)
        elif left:
            self.dropped += len(left)
        if self._conn is not None:
            self._conn.close()
        self.dest.close()
        atexit.unregister(self.close)

    # -- the sending thread -----------------------------------------------------------------

    def _run(self) -> None:
        backoff = 0.0
        while True:
            if backoff:
                with self._cond:
                    if self._closed:
                        return
                    self._cond.wait(backoff)
            # 1. the spool first, oldest first: order is kept across an outage
            files = self._spool_files()
            if files:
                try:
                    body = json.loads(files[0].read_text(encoding="utf-8"))
                    self._send(body["events"], body["batchId"])
                except (OSError, _Busy, http.client.HTTPException) as e:
                    backoff = self._next_backoff(backoff, e)
                    self._spool_new_batch_if_due()
                    continue
                except (Rejected, ValueError, KeyError) as e:
                    self.rejected += 1
                    _log.warning("event log refused spooled batch %s: %s (dropped)", files[0].name, e)
                files[0].unlink(missing_ok=True)
                backoff = 0.0
                continue
            # 2. a fresh batch from memory
            with self._cond:
                if not self._queue and self._closed:
                    return
                if len(self._queue) < self.batch_size and not self._closed and not self._flushing:
                    self._cond.wait(self.flush_interval_s)  # let a batch fill up a little
                n = min(len(self._queue), self.batch_size)
                if n == 0:
                    continue
                batch = [self._queue.popleft() for _ in range(n)]
                self._inflight = n
            batch_id = uuid.uuid4().hex
            try:
                while True:
                    try:
                        self._send(batch, batch_id)
                        backoff = 0.0
                        break
                    except _Busy as e:
                        backoff = self._next_backoff(backoff, e)
                        if self._closed:
                            raise OSError("closing") from None
                        time.sleep(backoff)
                    except (OSError, http.client.HTTPException) as e:
                        if self.spool is None:
                            # no spool: keep the batch in memory and retry it first
                            backoff = self._next_backoff(backoff, e)
                            if self._closed:
                                raise
                            time.sleep(backoff)
                            continue
                        raise
            except Rejected as e:
                self.rejected += len(batch)
                _log.warning("event log refused a batch of %d events: %s (dropped)", len(batch), e)
            except (OSError, http.client.HTTPException) as e:
                if self.spool is not None:
                    self._spool_write(batch, batch_id)
                    backoff = self._next_backoff(backoff, e)
                else:
                    with self._cond:  # closing with no spool: give them back for close() to count
                        self._queue.extendleft(reversed(batch))
            finally:
                with self._cond:
                    self._inflight = 0
                    self._cond.notify_all()

    def _next_backoff(self, current: float, why: BaseException) -> float:
        self.retries += 1
        base = min(self.max_backoff_s, max(0.05, current * 2))
        if isinstance(why, _Busy):
            base = max(base, min(self.max_backoff_s, why.retry_after_s))
        return base * random.uniform(0.5, 1.0)  # jitter: many clients must not retry in step

    def _send(self, events: list[dict[str, Any]], batch_id: str) -> None:
        body = json.dumps({"batch": {"batchId": batch_id, "events": events}}, ensure_ascii=False).encode()
        conn = self._connection()
        try:
            conn.request("POST", "/events", body, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            self._conn = None
            raise
        if resp.status == 200:
            self.sent += len(events)
            return
        if resp.status in (429, 503):
            retry = resp.getheader("Retry-After")
            try:
                fields = json.loads(data)["error"]["fields"]
                after = float(fields.get("retryAfterMs", 1000)) / 1000
            except (ValueError, KeyError, TypeError):
                after = float(retry) if retry and retry.isdigit() else 1.0
            raise _Busy(after)
        if resp.status in (400, 413, 422):
            raise Rejected(data.decode("utf-8", "replace")[:500])
        raise OSError(f"event log answered HTTP {resp.status}")

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            host, port = self.dest.address(self.timeout_s)
            self._conn = http.client.HTTPConnection(host, port, timeout=self.timeout_s)
        return self._conn

    # -- the spool --------------------------------------------------------------------------

    def _spool_files(self) -> list[Path]:
        if self.spool is None:
            return []
        return sorted(self.spool.glob("*.batch"))

    def _next_spool_seq(self) -> int:
        files = self._spool_files()
        return int(files[-1].name.split("-", 1)[0]) + 1 if files else 1

    def _spool_write(self, events: list[dict[str, Any]], batch_id: str) -> None:
        assert self.spool is not None
        name = f"{self._spool_seq:012d}-{batch_id}.batch"
        self._spool_seq += 1
        tmp = self.spool / (name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"batchId": batch_id, "events": events}, f, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.spool / name)
        self.spooled += len(events)

    def _spool_new_batch_if_due(self) -> None:
        """While the spool is being retried, move a full batch from memory to it (order kept)."""
        if self.spool is None:
            return
        with self._cond:
            if len(self._queue) < self.batch_size and not (self._queue and (self._closed or self._flushing)):
                return
            n = min(len(self._queue), self.batch_size)
            batch = [self._queue.popleft() for _ in range(n)]
            self._inflight = n
        try:
            self._spool_write(batch, uuid.uuid4().hex)
        finally:
            with self._cond:
                self._inflight = 0
                self._cond.notify_all()


class LoggingHandler(logging.Handler):
    """A `logging.Handler` that emits each record to an `EventLogClient` without blocking.

    The record's level becomes ``level``, its logger name ``category`` (dots kept),
    ``extra={"labels": {...}}`` adds labels and ``extra={"service": "echo"}`` names the event's
    service (default: the client's; `framework.access_log` sets both). Records of the client's
    own logger are skipped so an outage cannot feed itself."""

    def __init__(self, client: EventLogClient, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.client = client
        # level and logger travel as fields, so the text is the message (and any traceback)
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == _log.name:
            return
        try:
            labels = getattr(record, "labels", None)
            service = getattr(record, "service", None)
            self.client.emit(
                self.format(record),
                level=record.levelname.lower(),
                category=_CATEGORY_UNSAFE.sub("_", record.name)[:128],
                labels=dict(labels) if isinstance(labels, dict) else None,
                time_ms=int(record.created * 1000),
                service=service if isinstance(service, str) else None,
            )
        except Exception:
            self.handleError(record)

    def flush(self) -> None:
        self.client.flush(self.client.exit_timeout_s)

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            super().close()
