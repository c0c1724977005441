"""The event-log plugin: durable application events over Scribe Thrift, structured Thrift and REST.

One Aviary service, ``eventlog``, serves `idl/eventlog.thrift`'s ``EventLog``, which *extends*
Scribe's ``scribe`` (itself extending fb303's ``FacebookService``). Only method names travel on
the Thrift wire, so a Scribe client calling ``Log`` on this port is served unchanged, beside
structured clients calling ``append``/``query``/``tail``; one handler, one store, one port.

Every batch is written to a segmented, checksummed write-ahead log and (policy ``always``)
fsynced before it is acknowledged; see `wal` for the policies and `store` for the index.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from framework import Service
from framework.config import Setting, Settings, choice, number, positive, size, text

from .handler import IDL, EventLogHandler, Limits
from .store import Store
from .web import routes

__all__ = ["create"]

RETENTION_CHECK_S = 60.0


def create(settings: dict[str, Any] | None = None, host: Settings | None = None) -> Service:
    """Entry point ``eventlog`` in the ``aviary.services`` group (`host`: the host's settings,
    for the body limit its own routes share with the generated ones)."""
    s = {spec.name: spec.default for spec in create.settings}  # type: ignore[attr-defined]
    s.update(settings or {})
    store = Store(
        Path(s["data_dir"]),
        policy=s["fsync"],
        segment_bytes=s["segment_bytes"],
        batch_interval_s=s["batch_interval_ms"] / 1000,
        max_queue_events=s["max_queue_events"],
        dedup_window_s=s["dedup_window_s"],
        retention_age_s=s["retention_age_s"],
        retention_bytes=s["retention_bytes"],
    )
    handler = EventLogHandler(store, Limits(max_batch_events=s["max_batch_events"], max_message_bytes=s["max_message_bytes"]))
    retention: list[asyncio.Task[None]] = []

    async def start() -> None:
        # Replay before the ports open: nothing is served from a half-built index.
        await asyncio.get_running_loop().run_in_executor(None, store.open)
        retention.append(asyncio.get_running_loop().create_task(_retention_loop(store)))

    async def stop() -> None:
        for t in retention:
            t.cancel()
        await asyncio.get_running_loop().run_in_executor(None, store.close)

    service = Service(IDL, handler, name="eventlog", idl_service="EventLog", routes=routes(handler, host.max_body_bytes if host is not None else 4 << 20), on_start=[start], on_stop=[stop])
    # One process owns the data directory. One WAL per worker was the other choice, but a retry
    # may reach any worker (the kernel spreads connections), so batch-id deduplication would
    # need a window shared across processes, and queries, tail and replay would have to merge
    # logs that other processes are still writing. One writer keeps the guarantees as they
    # are: group commit, idempotent batch ids, replay after kill -9.
    service.one_process = True
    service.pages["event log"] = "/eventlog/"  # linked from the admin dashboard
    return service


async def _retention_loop(store: Store) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await loop.run_in_executor(None, store.enforce_retention)
        await asyncio.sleep(RETENTION_CHECK_S)


create.settings = (  # type: ignore[attr-defined]
    Setting("data_dir", "eventlog-data", text, "directory of the write-ahead log segments"),
    Setting("fsync", "always", choice("always", "batch", "os"), "always: fsync before every ack; batch: fsync every batch_interval_ms (power loss can lose that much); os: never (power loss can lose acked events)"),
    Setting("batch_interval_ms", 50, positive, "with fsync = batch, the longest time between fsyncs"),
    Setting("segment_bytes", 64 << 20, size, "start a new WAL segment after this many bytes"),
    Setting("retention_age_s", 7 * 86400.0, number, "delete segments last written longer ago than this (0: keep forever)"),
    Setting("retention_bytes", 256 << 20, size, "delete the oldest segments while the WAL is larger than this (the in-memory index takes a few times this)"),
    Setting("max_queue_events", 100_000, positive, "events waiting for the disk before new batches get TRY_LATER / 503 (keep it above the largest batch)"),
    Setting("max_batch_events", 10_000, positive, "largest structured or Loki batch accepted (larger: Invalid); Scribe batches are bounded by max_frame_bytes"),
    Setting("max_message_bytes", 1 << 20, size, "largest single message"),
    Setting("dedup_window_s", 3600.0, number, "how long a client batch id is remembered for idempotent retries"),
)
