"""The write-ahead log: segmented files of checksummed records, written by one thread.

A record is ``length (u32 LE) | crc32 (u32 LE) | payload``; the CRC (zlib's CRC-32) covers the
payload. Segments are ``wal-<first seq, 20 digits>.log``; a new one starts when the current one
passes `segment_bytes`, and the directory is fsynced so the new name survives a crash.

Group commit: callers `submit` records and get a `Future`; the writer thread takes everything
queued, writes it in one go, fsyncs once (policy ``always``) and then resolves every future.
Concurrent batches therefore share one fsync. A failed write (a full disk) truncates the
segment back to where the group started and fails every future in it: nothing that was not
written is ever acknowledged.

Policies, honestly:
- ``always``: fsync before every acknowledgement. An acknowledged record survives a crash of
  the process, the kernel or the machine.
- ``batch``: acknowledge once written to the OS; fsync at most every `batch_interval_s`. Survives
  a process crash (kill -9); a power loss can lose up to that interval of acknowledged records.
- ``os``: never fsync; the OS writes back when it likes. Survives a process crash; a power loss
  can lose any recent acknowledged records.
"""

from __future__ import annotations

import fcntl
import logging
import os
import struct
import threading
import time
import zlib
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from framework.metrics import registry

__all__ = ["Wal", "Segment", "POLICIES", "read_segment"]

log = logging.getLogger("aviary.eventlog.wal")

POLICIES = ("always", "batch", "os")
_HEADER = struct.Struct("<II")
_MAX_RECORD = 256 << 20  # a length above this is a torn or corrupt header, not a record


@dataclass
class Segment:
    path: Path
    first_seq: int
    size: int = 0
    last_seq: int = -1


def segment_name(first_seq: int) -> str:
    return f"wal-{first_seq:020d}.log"


def read_segment(path: Path) -> tuple[list[bytes], int, bool]:
    """The good records of a segment, the offset where they end, and whether bad bytes follow."""
    data = path.read_bytes()
    records: list[bytes] = []
    pos = 0
    n = len(data)
    while pos < n:
        if pos + _HEADER.size > n:
            return records, pos, True
        length, crc = _HEADER.unpack_from(data, pos)
        end = pos + _HEADER.size + length
        if length > _MAX_RECORD or end > n:
            return records, pos, True
        payload = data[pos + _HEADER.size : end]
        if zlib.crc32(payload) != crc:
            return records, pos, True
        records.append(payload)
        pos = end
    return records, pos, False


class Wal:
    """The segment files of one data directory and the thread that appends to them."""

    def __init__(self, directory: Path, *, policy: str = "always", segment_bytes: int = 64 << 20, batch_interval_s: float = 0.05, scope: str = "eventlog") -> None:
        if policy not in POLICIES:
            raise ValueError(f"fsync policy must be one of {', '.join(POLICIES)}, got {policy!r}")
        self.directory = directory
        self.policy = policy
        self.segment_bytes = segment_bytes
        self.batch_interval_s = batch_interval_s
        self.segments: list[Segment] = []
        self._fd = -1
        self._lock_fd = -1
        self._queue: list[tuple[bytes, int, Future[None]]] = []
        self._cond = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None
        self._last_sync = 0.0
        self._dirty = False
        self.fsyncs = registry.counter(scope, "wal", "fsyncs")
        self.fsync_us = registry.counter(scope, "wal", "fsync_us_total")
        self.bytes_written = registry.counter(scope, "wal", "bytes_written")
        self.write_errors = registry.counter(scope, "wal", "write_errors")
        self.corrupt = registry.counter(scope, "wal", "corrupt_records")
        self.torn_tails = registry.counter(scope, "wal", "torn_tails_cut")
        registry.gauge(lambda: sum(s.size for s in self.segments), scope, "wal", "bytes")
        registry.gauge(lambda: len(self.segments), scope, "wal", "segments")

    # -- recovery ---------------------------------------------------------------------------

    def replay(self) -> Iterator[tuple[Segment, bytes]]:
        """Every good record, oldest first. A torn tail of the newest segment is cut off at the
        last good checksum; bad bytes inside an older segment are counted and skipped."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock_directory()
        paths = sorted(self.directory.glob("wal-*.log"))
        for i, path in enumerate(paths):
            try:
                first = int(path.stem.split("-", 1)[1])
            except ValueError:
                log.warning("ignoring %s: not a WAL segment name", path.name)
                continue
            records, good_end, bad = read_segment(path)
            seg = Segment(path, first, size=good_end)
            if bad:
                self.corrupt.incr()
                newest = i == len(paths) - 1
                if newest:
                    log.warning("%s: torn tail after byte %d cut at the last good checksum", path.name, good_end)
                    self.torn_tails.incr()
                    with open(path, "r+b") as f:
                        f.truncate(good_end)
                        os.fsync(f.fileno())
                else:
                    log.error("%s: corrupt record at byte %d; the rest of this segment is unreadable", path.name, good_end)
            self.segments.append(seg)
            for rec in records:
                yield seg, rec

    def _lock_directory(self) -> None:
        # One writer per directory: a second process (or a second worker) would interleave
        # records. The kernel releases the lock when the process dies, even by kill -9.
        self._lock_fd = os.open(self.directory / "LOCK", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            self._lock_fd = -1
            raise RuntimeError(f"{self.directory} is in use by another event-log process (give each event-log process its own data_dir)") from None

    def open(self, next_seq: int) -> None:
        """Start appending (after `replay`), in the newest segment or a new one."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.segments and self.segments[-1].size < self.segment_bytes:
            self._fd = os.open(self.segments[-1].path, os.O_WRONLY | os.O_APPEND)
        else:
            self._roll(next_seq)
        self._thread = threading.Thread(target=self._run, name="eventlog-wal", daemon=True)
        self._thread.start()

    def _roll(self, first_seq: int) -> None:
        if self._fd >= 0:
            if self.policy != "os":
                os.fsync(self._fd)
            os.close(self._fd)
        seg = Segment(self.directory / segment_name(first_seq), first_seq)
        self._fd = os.open(seg.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.segments.append(seg)
        _fsync_dir(self.directory)

    # -- appending --------------------------------------------------------------------------

    def submit(self, payload: bytes, last_seq: int) -> Future[None]:
        """Queue one record; the future resolves once it is written (and synced, per policy)."""
        fut: Future[None] = Future()
        rec = _HEADER.pack(len(payload), zlib.crc32(payload)) + payload
        with self._cond:
            if self._closing:
                fut.set_exception(OSError("the event log is closing"))
                return fut
            self._queue.append((rec, last_seq, fut))
            self._cond.notify()
        return fut

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    timeout = None
                    if self._dirty and self.policy == "batch":
                        timeout = max(0.0, self._last_sync + self.batch_interval_s - time.monotonic())
                    if not self._cond.wait(timeout) and timeout is not None:
                        break
                group, self._queue = self._queue, []
                closing = self._closing
            if group:
                self._commit(group)
            elif self._dirty and self.policy == "batch":
                self._sync()
            if closing and not group:
                if self._dirty and self.policy != "os":
                    self._sync()
                return

    def _commit(self, group: list[tuple[bytes, int, Future[None]]]) -> None:
        seg = self.segments[-1]
        start = seg.size
        data = b"".join(g[0] for g in group)
        try:
            view = memoryview(data)
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
            seg.size += len(data)
            self._dirty = True
            if self.policy == "always" or (self.policy == "batch" and time.monotonic() - self._last_sync >= self.batch_interval_s):
                self._sync()
        except OSError as e:
            self.write_errors.incr()
            log.error("WAL write failed (%s); %d batches refused, nothing acknowledged", e, len(group))
            try:
                os.ftruncate(self._fd, start)
            except OSError:
                log.exception("could not truncate %s back to %d", seg.path.name, start)
            seg.size = start
            for *_, fut in group:
                fut.set_exception(e)
            return
        seg.last_seq = max(seg.last_seq, group[-1][1])
        self.bytes_written.incr(len(data))
        for *_, fut in group:
            fut.set_result(None)
        if seg.size >= self.segment_bytes:
            try:
                self._roll(group[-1][1] + 1)
            except OSError:
                log.exception("could not start a new WAL segment; appending to %s", seg.path.name)

    def _sync(self) -> None:
        t0 = time.perf_counter()
        os.fsync(self._fd)
        self.fsync_us.incr(int((time.perf_counter() - t0) * 1e6))
        self.fsyncs.incr()
        self._last_sync = time.monotonic()
        self._dirty = False

    # -- retention and shutdown -------------------------------------------------------------

    def drop_oldest(self, keep: Callable[[Segment], bool]) -> list[Segment]:
        """Delete closed segments from the oldest while `keep(segment)` is false."""
        dropped = []
        while len(self.segments) > 1 and not keep(self.segments[0]):
            seg = self.segments.pop(0)
            try:
                seg.path.unlink()
            except FileNotFoundError:
                pass
            dropped.append(seg)
        if dropped:
            _fsync_dir(self.directory)
        return dropped

    def close(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(30)
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
