"""Per-call context: who called, on whose trace, by when the answer is needed.

Transports fill a `Context` from what arrived on the wire (TTwitter header, Mux contexts, B3
and Finagle-Ctx HTTP headers, the TLS peer certificate); filters and handlers read it through
`framework.call.current()`, which works in `async def` handlers and in plain `def` handlers run on the thread
pool alike.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass
from typing import Any

from .dtab import Dtab

__all__ = ["TraceId", "Deadline", "Context"]


def _rand64() -> int:
    return int.from_bytes(os.urandom(8), "big") & 0x7FFF_FFFF_FFFF_FFFF or 1


def _rand63() -> int:
    # A server's root ids need to be unique, not secret: the Mersenne Twister is ~10x cheaper
    # than urandom. 63 bits, as Finagle's, since sampling reads the id's low 63 bits.
    return random.getrandbits(63) or 1


@dataclass(slots=True)
class TraceId:
    """A Zipkin/Finagle trace position. Ids are unsigned 64-bit; `trace_id_high` extends the
    trace id to 128 bits when non-zero. `sampled` is None when no one has decided yet."""

    trace_id: int
    span_id: int
    parent_id: int | None = None
    sampled: bool | None = None
    debug: bool = False
    trace_id_high: int = 0

    @classmethod
    def new_root(cls) -> TraceId:
        tid = _rand64()
        return cls(trace_id=tid, span_id=tid)

    def child(self) -> TraceId:
        """The id an outgoing call made within this span carries."""
        return TraceId(self.trace_id, _rand64(), self.span_id, self.sampled, self.debug, self.trace_id_high)

    @property
    def trace_hex(self) -> str:
        if self.trace_id_high:
            return f"{self.trace_id_high:016x}{self.trace_id:016x}"
        return f"{self.trace_id:016x}"


@dataclass(slots=True, frozen=True)
class Deadline:
    """When an answer stops being useful, as Finagle carries it: nanoseconds since the epoch
    of when the deadline was set (`timestamp_ns`) and of when it passes (`deadline_ns`)."""

    timestamp_ns: int
    deadline_ns: int

    @classmethod
    def in_seconds(cls, seconds: float) -> Deadline:
        now = time.time_ns()
        return cls(now, now + int(seconds * 1e9))

    def remaining(self) -> float:
        """Seconds left (negative once passed)."""
        return (self.deadline_ns - time.time_ns()) / 1e9

    @property
    def expired(self) -> bool:
        return time.time_ns() >= self.deadline_ns

    def earliest(self, other: Deadline | None) -> Deadline:
        return self if other is None or self.deadline_ns <= other.deadline_ns else other


class Context:
    """What the transport knows about one call. Filled by the transport; read by filters."""

    __slots__ = ("transport", "protocol", "peer", "_trace", "unsampled_root", "deadline", "client_id", "identity", "retries", "dtab", "extra")

    def __init__(
        self,
        transport: str,
        protocol: str = "",
        peer: tuple[str, int] | None = None,
        trace: TraceId | None = None,
        deadline: Deadline | None = None,
        client_id: str | None = None,
        identity: str | None = None,
        retries: int = 0,
        dtab: Dtab = Dtab(),
    ) -> None:
        self.transport = transport  # "thrift" | "http"
        self.protocol = protocol  # e.g. "framed/binary", "ttwitter", "mux", "http/1.1"
        self.peer = peer
        self._trace = trace
        # Set by the telemetry filter for a call that came without a trace and that it did not
        # sample: its root `TraceId` is made the first time something reads `trace`.
        self.unsampled_root = False
        self.deadline = deadline
        self.client_id = client_id
        self.identity = identity  # the TLS peer's certificate identity, when there is one
        self.retries = retries
        # The caller's per-request delegations (Finagle's Dtab.local: the ``Dtab-Local`` header,
        # a Mux Tdispatch's or a TTwitter header's delegations); every call made while serving
        # this one carries them on.
        self.dtab = dtab
        self.extra: dict[str, Any] | None = None  # contexts the transport carried but Aviary does not use

    @property
    def trace(self) -> TraceId | None:
        """The call's trace: the caller's, or the root the host began for it. Most calls are
        never sampled, and most handlers never ask: an unsampled root gets its id when
        something first reads this (a log line, an outgoing call)."""
        t = self._trace
        if t is None and self.unsampled_root:
            tid = _rand63()
            t = self._trace = TraceId(tid, tid, None, False)
        return t

    @trace.setter
    def trace(self, trace: TraceId | None) -> None:
        self._trace = trace

    def __repr__(self) -> str:
        return (
            f"Context(transport={self.transport!r}, protocol={self.protocol!r}, peer={self.peer!r}, "
            f"trace={self.trace!r}, deadline={self.deadline!r}, client_id={self.client_id!r})"
        )
