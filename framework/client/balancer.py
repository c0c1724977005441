"""Choosing a member for each call: power of two choices, least loaded, with failure accrual.

`Balancer.pick` samples two members and takes the one with fewer calls outstanding (Finagle's
default ``p2c`` least-loaded). A member that fails `accrual_failures` times in a row is set
aside for a backoff that doubles each time (up to `max_backoff_s`); when it is due, one call
probes it, and a success takes it back. If every member is set aside, the balancer picks among
them anyway (a panic mode, as Finagle's): calls failing is no worse than refusing them all.

The member set comes from a `Resolution` (ZooKeeper watches or fixed addresses) and is read on
every pick; a member that leaves has its idle connections closed by the client's `on_removed`.
"""

from __future__ import annotations

import random
import time
from typing import Any, Callable

from ..discovery.resolver import Address, Resolution
from ..errors import Unavailable

__all__ = ["Balancer", "Node", "RetryBudget", "NoMembers"]


class NoMembers(Unavailable):
    """No member to send the call to."""


class Node:
    """One member as the client sees it: its load, health and idle connections."""

    __slots__ = ("address", "load", "failures", "marks", "dead_until", "aside_until", "probing", "idle", "removed")

    def __init__(self, address: Address) -> None:
        self.address = address
        self.load = 0  # calls outstanding
        self.failures = 0  # consecutive
        self.marks = 0  # times set aside in a row (for the backoff)
        self.dead_until = 0.0
        self.aside_until = 0.0  # asked callers to go elsewhere until then (not a failure)
        self.probing = False
        self.idle: list[Any] = []  # the client's pooled connections
        self.removed = False

    def available(self, now: float) -> bool:
        if now < self.aside_until:
            return False
        if self.dead_until == 0.0:
            return True
        return now >= self.dead_until and not self.probing

    def __repr__(self) -> str:
        return f"Node({self.address}, load={self.load}, failures={self.failures})"


class Balancer:
    def __init__(
        self,
        resolution: Resolution,
        *,
        accrual_failures: int = 5,
        min_backoff_s: float = 0.5,
        max_backoff_s: float = 10.0,
        on_removed: Callable[[Node], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.resolution = resolution
        self.accrual_failures = accrual_failures
        self.min_backoff_s = min_backoff_s
        self.max_backoff_s = max_backoff_s
        self.on_removed = on_removed
        self._rng = rng or random.Random()
        self._seen: tuple[Address, ...] | None = None
        self.nodes: dict[Address, Node] = {}

    def refresh(self) -> list[Node]:
        """The current nodes, rebuilt when the resolution's set changed."""
        addresses = self.resolution.addresses
        if addresses is not self._seen:
            self._seen = addresses
            keep = set(addresses)
            for addr in [a for a in self.nodes if a not in keep]:
                node = self.nodes.pop(addr)
                node.removed = True
                if self.on_removed is not None:
                    self.on_removed(node)
            for addr in addresses:
                if addr not in self.nodes:
                    self.nodes[addr] = Node(addr)
        return list(self.nodes.values())

    def pick(self, avoid: Node | None = None) -> Node:
        """A node for one call (its load counted until `release`). `avoid`: the node a retry
        just failed on, skipped when there is another."""
        nodes = self.refresh()
        if not nodes:
            raise NoMembers(f"no member to call at {self.resolution.name}")
        now = time.monotonic()
        healthy = [n for n in nodes if n.available(now)]
        if avoid is not None and len(healthy) > 1:
            healthy = [n for n in healthy if n is not avoid] or healthy
        pool = healthy or nodes
        if len(pool) == 1:
            node = pool[0]
        else:
            a, b = self._rng.sample(pool, 2)
            node = a if a.load < b.load else b if b.load < a.load else self._rng.choice((a, b))
        if node.dead_until and now >= node.dead_until:
            node.probing = True
        node.load += 1
        return node

    def release(self, node: Node, ok: bool | None) -> None:
        """The call on `node` finished: `ok` if the member answered (even with an error); None
        when the caller gave up on it (a backup's loser): neither a success nor a failure."""
        node.load -= 1
        if ok is None:
            return
        if ok:
            node.failures = node.marks = 0
            node.dead_until = 0.0
            node.probing = False
            return
        node.failures += 1
        if node.probing or node.failures >= self.accrual_failures:
            node.probing = False
            node.marks += 1
            backoff = min(self.max_backoff_s, self.min_backoff_s * (2 ** (node.marks - 1)))
            node.dead_until = time.monotonic() + backoff

    def set_aside(self, node: Node) -> None:
        """Pick `node` only when no other member is available, for `max_backoff_s`, without
        counting a failure: it asked callers to go elsewhere (a ThriftMux Tdrain). Answers to
        calls already on it do not bring it back early (unlike a probe after failures)."""
        node.aside_until = time.monotonic() + self.max_backoff_s

    def describe(self) -> list[dict[str, Any]]:
        now = time.monotonic()
        return [
            {"address": str(n.address), "load": n.load, "failures": n.failures, "set_aside_s": max(0.0, round(n.dead_until - now, 3)) if n.dead_until else 0.0}
            for n in self.nodes.values()
        ]


class RetryBudget:
    """How many retries the client may make: `min_per_s` a second always, plus `percent` of the
    calls made in the last `ttl_s` seconds (Finagle's default: 10/s and 20% over 10 s). A budget
    keeps retries from multiplying the load on a service that is already failing."""

    def __init__(self, percent: float = 0.2, min_per_s: float = 10.0, ttl_s: float = 10.0) -> None:
        self.percent = percent
        self.min_per_s = min_per_s
        self.ttl_s = ttl_s
        self._start = time.monotonic()
        self._calls = 0
        self._retries = 0

    def _roll(self) -> None:
        now = time.monotonic()
        if now - self._start > self.ttl_s:
            self._start, self._calls, self._retries = now, 0, 0

    def deposit(self) -> None:
        self._roll()
        self._calls += 1

    def try_withdraw(self) -> bool:
        self._roll()
        if self._retries < self.min_per_s * self.ttl_s + self.percent * self._calls:
            self._retries += 1
            return True
        return False
