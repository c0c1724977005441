"""Resolution: a destination name turned into a live set of addresses.

`resolve("zk2!zk1:2181!/aviary/prod/echo")` returns a `Resolution` whose `addresses` is always
the current set: a ZooKeeper watch on the serverset path fires on every join and leave, each
new member's JSON is read once, and the set is replaced in one assignment (readers on any thread
see the old set or the new one, never half of either). zk2 counts only ALIVE members; a member
whose JSON is malformed is ignored with one log line (see `serverset.parse`). While ZooKeeper
is unreachable the last known set stays, as Finagle keeps it; watches are set again when the
session comes back (kazoo's recipes do that after an expiry), or on the fresh client a
`ZooKeeperSession` makes when the old session cannot come back (a ZooKeeper rebuilt from empty).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, NamedTuple

from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError
from kazoo.recipe.watchers import ChildrenWatch, DataWatch
from kazoo.retry import KazooRetry

from . import names, serverset
from .session import ZooKeeperSession

__all__ = ["Address", "Resolution", "resolve"]

log = logging.getLogger("aviary.discovery")


class Address(NamedTuple):
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


Listener = Callable[[tuple[Address, ...]], None]


class _ServerSetWatch:
    """The members of one serverset path on one ZooKeeper cluster.

    Watches belong to a client: when the session gives up a client for a fresh one (a rebuilt
    ZooKeeper), they are made again on the new one. The new session's first answer is taken
    at once unless it is empty while members are known: right after a rebuild the members have
    not announced themselves again yet, so the known set is kept for up to one session timeout
    (they come back within that), as Finagle keeps its set while ZooKeeper cannot be trusted."""

    def __init__(self, hosts: str, path: str, on_change: Callable[[], None], session_timeout_s: float) -> None:
        self.hosts = hosts
        self.path = path
        self.members: dict[str, serverset.Member] = {}
        self.ready = threading.Event()
        self._on_change = on_change
        self._cache: dict[str, serverset.Member | None] = {}
        self._children: ChildrenWatch | None = None
        self._lock = threading.Lock()
        self._hold_until = 0.0  # an empty answer does not replace known members before this (monotonic)
        self._held: threading.Timer | None = None
        self._latest: dict[str, serverset.Member] = {}
        self.session = ZooKeeperSession(hosts, session_timeout_s, on_client=self._watch, connection_retry=KazooRetry(max_tries=-1, delay=0.1, max_delay=1.0), read_only=True)

    def start(self) -> None:
        self.session.start()

    def _watch(self, client: KazooClient) -> None:
        """Watch the path on `client` (called before it connects: the watch starts with the session)."""
        # No lock here: this runs on the session's watchdog, which must never wait on a ZooKeeper call.
        if self.session.new_sessions:  # a fresh session: the old member names mean nothing in it
            self._cache.clear()
            self._hold_until = time.monotonic() + self.session.timeout_s
        self._children = None
        DataWatch(client, self.path, lambda data, stat, *_: self._on_node(client, stat))

    def _on_node(self, client: KazooClient, stat: object | None) -> bool | None:
        if client is not self.session.client:
            return False  # a replaced client's watch: stop it
        with self._lock:
            if stat is None:  # no such path (yet): nothing is announced there
                self._children = None
                self._publish({})
                return None
            if self._children is None:
                self._children = ChildrenWatch(client, self.path, lambda children: self._on_children(client, children))
        return None

    def _on_children(self, client: KazooClient, children: list[str]) -> bool | None:
        if client is not self.session.client:
            return False
        found: dict[str, serverset.Member] = {}
        for child in children:
            if not child.startswith(serverset.MEMBER_PREFIX):
                continue
            if child not in self._cache:
                path = f"{self.path}/{child}"
                try:
                    data, _ = client.get(path)
                except NoNodeError:
                    continue
                self._cache[child] = serverset.parse(data, path)  # None: malformed, logged once
            member = self._cache[child]
            if member is not None:
                found[child] = member
        for gone in set(self._cache) - set(children):
            del self._cache[gone]
        self._publish(found)
        return None

    def _publish(self, members: dict[str, serverset.Member]) -> None:
        self._latest = members
        wait = self._hold_until - time.monotonic()
        if not members and self.members and wait > 0:
            if self._held is None:
                log.info("discovery: %s is empty in the new ZooKeeper session; keeping the %d known members up to %.0fs while they announce again", self.path, len(self.members), wait)
                self._held = threading.Timer(wait, self._release)
                self._held.daemon = True
                self._held.start()
            return
        self._hold_until = 0.0
        if self._held is not None:  # members came back before the hold ran out
            self._held.cancel()
            self._held = None
        self.members = members
        self.ready.set()
        self._on_change()

    def _release(self) -> None:
        """The hold is over: what ZooKeeper says now is the set, empty or not."""
        with self._lock:
            self._held = None
            self._hold_until = 0.0
            self._publish(self._latest)

    def close(self) -> None:
        if self._held is not None:
            self._held.cancel()
        self.session.stop()


class Resolution:
    """The live address set of one destination. `addresses` is always current; `listen` to be
    told of changes (called on a ZooKeeper thread: hand work to your loop)."""

    def __init__(self, name: names.Name, session_timeout_s: float = 10.0) -> None:
        self.name = name
        self.addresses: tuple[Address, ...] = ()
        self.members: tuple[serverset.Member, ...] = ()
        self._listeners: list[Listener] = []
        self._watches: list[_ServerSetWatch] = []
        if name.scheme == "inet":
            self.addresses = tuple(Address(h, p) for h, p in name.addresses)
            return
        self._watches = [_ServerSetWatch(hosts, name.path, self._changed, session_timeout_s) for hosts in name.clusters]
        for w in self._watches:  # after the list exists: the first answer may come at once
            w.start()

    @property
    def dynamic(self) -> bool:
        return bool(self._watches)

    @property
    def sessions(self) -> tuple[ZooKeeperSession, ...]:
        """The ZooKeeper session of each cluster watched (none for ``inet!``)."""
        return tuple(w.session for w in self._watches)

    def _changed(self) -> None:
        alive_only = self.name.scheme == "zk2"
        members: list[serverset.Member] = []
        addresses: dict[Address, None] = {}  # ordered, identical host:port merged
        for w in self._watches:
            for m in w.members.values():
                if alive_only and not m.alive:
                    continue
                members.append(m)
                ep = m.endpoint(self.name.endpoint)
                if ep is not None:
                    addresses[Address(*ep)] = None
        self.members = tuple(members)
        new = tuple(addresses)
        if new != self.addresses:
            self.addresses = new
            for fn in list(self._listeners):
                try:
                    fn(new)
                except Exception:  # noqa: BLE001 - one listener's bug must not stop the others
                    log.exception("a discovery listener failed")

    def listen(self, fn: Listener) -> None:
        self._listeners.append(fn)

    def wait_ready(self, timeout: float = 10.0) -> bool:
        """Wait until every cluster has answered once (True), or `timeout` passed (False)."""
        return all(w.ready.wait(timeout) for w in self._watches)

    def close(self) -> None:
        self._listeners.clear()
        for w in self._watches:
            w.close()
        self._watches.clear()

    def __repr__(self) -> str:
        return f"Resolution({self.name}, {len(self.addresses)} addresses)"


def resolve(dest: str | names.Name, session_timeout_s: float = 10.0) -> Resolution:
    """Start resolving `dest` (a destination string or a parsed `names.Name`)."""
    return Resolution(names.parse(dest) if isinstance(dest, str) else dest, session_timeout_s)
