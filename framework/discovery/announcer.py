"""The announcer: keeps exactly one serverset member per service of this process in ZooKeeper.

A host extension (see `framework.hosting.Extension`):

* ``start``: one ZooKeeper session; for every service an EPHEMERAL_SEQUENTIAL ``member_`` under
  ``<zk_root>/<env>/<service>`` (or the service's ``announce_path``), Finagle serverset JSON;
  with ``curator = true`` also ``<curator_root>/<service>/<uuid>`` in Curator x-discovery JSON.
  It waits briefly for the first announcement so that ``ready`` means announced; if ZooKeeper
  is unreachable the process serves anyway and the announcer keeps trying.
* ``drain``: delete the members (callers stop choosing this process), returns True.
* ``stop``: close the session.

The session is a `ZooKeeperSession`: kazoo's client, replaced by a fresh one when the session
cannot come back (a ZooKeeper rebuilt from empty refuses it), its connection failures logged
once and then summarised. One background thread owns the ZooKeeper work. It wakes when the
session (re)connects and once a second, and makes sure each service's member exists *in the
current session*: after a session expiry ZooKeeper deleted it, and a new client's session has
none, so it is created again, without a restart. Every member carries this process's instance
id in its metadata; after each creation the thread deletes any other member with the same id
(one left over when a create's reply was lost, or the old session's after a new client), so a
process is never announced twice. `announced` is true only while the session is live and every
member exists in it; `health` says why not, for ``/health``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import uuid
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator

from kazoo.client import KazooClient
from kazoo.exceptions import BadVersionError, KazooException, NodeExistsError, NoNodeError
from kazoo.protocol.states import KazooState
from kazoo.retry import KazooRetry
from kazoo.security import make_acl, make_digest_acl

from ..config import Settings
from ..errors import ConfigError
from . import serverset
from .session import ZooKeeperSession

if TYPE_CHECKING:
    from ..hosting import HostView as Host

__all__ = ["Announcer", "advertise_host", "serverset_path", "zk_auth"]

log = logging.getLogger("aviary.announcer")

_WILDCARDS = ("", "0.0.0.0", "::", "[::]")


def advertise_host(settings: Settings) -> str:
    """The host written into members: `advertise_host` if set; the bind address if it is a
    real one; for a wildcard bind this machine's name (as Finagle does) when it resolves, else
    127.0.0.1. Never 0.0.0.0."""
    if settings.advertise_host:
        if settings.advertise_host in _WILDCARDS:
            raise ConfigError("advertise_host", f"{settings.advertise_host!r} is not an address callers can reach; give a host name or IP")
        return settings.advertise_host
    if settings.bind not in _WILDCARDS:
        return settings.bind
    name = socket.gethostname()
    try:
        socket.getaddrinfo(name, None)
        return name
    except OSError:
        return "127.0.0.1"


def serverset_path(settings: Settings, service: str) -> str:
    """Where `service`'s members live: its ``announce_path``, else ``<zk_root>/<env>/<service>``."""
    own = settings.service_setting(service, "announce_path")
    if own:
        return str(own)
    root = settings.zk_root.rstrip("/")
    return f"{root}/{settings.env}/{service}"


def zk_auth(settings: Settings) -> tuple[list[tuple[str, str]], list[Any] | None]:
    """(auth_data, default_acl) for a KazooClient from ``zk_digest``: the digest user may do
    everything, anyone may read (so callers without the password still discover members)."""
    digest = settings.zk_digest
    if not digest:
        return [], None
    user, sep, password = digest.partition(":")
    if not sep or not user:
        raise ConfigError("zk_digest", "expected 'user:password'")
    return [("digest", digest)], [make_digest_acl(user, password, all=True), make_acl("world", "anyone", read=True)]


@dataclass
class _Announcement:
    service: str
    path: str  # the serverset path
    payload: bytes
    curator_path: str | None = None
    curator_payload: bytes = b""
    znode: str | None = None  # the member_ node in the current session
    curator_znode: str | None = None
    replace: bool = False  # set the other members aside while announced (Service.announce_mode)
    set_aside: dict[str, bytes] = field(default_factory=dict)  # znode -> its bytes before


_RESTORED = "restored "  # a drain step that gave a replaced member back, not a deletion


class Announcer:
    """Host extension: announce every service in ZooKeeper, withdraw on drain, re-announce
    after a session loss. `hosts` is the connect string, or a function returning it (the
    embedded ZooKeeper's ports are known only once it runs)."""

    name = "announcer"

    def __init__(self, settings: Settings, hosts: str | Callable[[], str]) -> None:
        self.settings = settings
        self._hosts = hosts
        self.instance_id = uuid.uuid4().hex
        self._announcements: list[_Announcement] = []
        self._session: ZooKeeperSession | None = None
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._first = threading.Event()
        self._lock = threading.Lock()
        self._draining = False
        self._closing = False
        self._last_error = ""
        self._host: Host | None = None
        zk_auth(settings)  # a bad zk_digest stops start-up before anything listens

    @property
    def hosts(self) -> str:
        return self._hosts() if callable(self._hosts) else self._hosts

    # -- extension -----------------------------------------------------------------------------
    async def start(self, host: Host) -> None:
        self._host = host
        s = self.settings
        advertised = advertise_host(s)
        admin = _admin_endpoint(host)
        from .. import __version__

        for svc in host.services:
            name, eps = svc.name, host.endpoints[svc.name]
            ports = {k: (advertised, p) for k, (_, p) in eps.ports.items() if k in ("thrift", "http")}
            if admin is not None:
                ports["admin"] = (advertised, admin)
            metadata = {
                "version": __version__,
                "protocols": ",".join(k for k in ("thrift", "http") if k in ports),
                "idl_service": svc.definition.name,
                "idl_file": svc.idl.path.name,
                "instance": self.instance_id,
                "pid": str(os.getpid()),
            }
            a = _Announcement(name, serverset_path(s, name), serverset.encode(ports["thrift"], ports, s.shard, metadata), replace=svc.announce_mode == "replace")
            if s.curator:
                cid = str(uuid.uuid4())
                a.curator_path = f"{s.curator_root.rstrip('/')}/{name}/{cid}"
                a.curator_payload = serverset.curator_instance(name, cid, advertised, ports["http"][1], metadata)
            self._announcements.append(a)
        auth, acl = zk_auth(s)
        self._session = ZooKeeperSession(
            self._hosts,
            s.zk_session_timeout_s,
            on_client=self._on_client,
            on_state=self._on_state,
            command_retry=KazooRetry(max_tries=2, delay=0.1, max_delay=0.5),
            auth_data=auth or None,
            default_acl=acl,
        )
        self._session.start()  # connects (and keeps reconnecting, with new sessions if need be) in the background
        self._thread = threading.Thread(target=self._run, name="aviary-announcer", daemon=True)
        self._thread.start()
        wait = max(1.0, min(5.0, s.zk_session_timeout_s))
        if not await asyncio.to_thread(self._first.wait, wait):
            why = self._last_error or f"{self.hosts} unreachable"
            host.say(
                f"zookeeper: not announced yet ({why}); serving anyway, announcing as soon as it answers"
                " (is ZooKeeper running there? --zk HOSTS names another, --zk none runs without discovery)"
            )

    async def drain(self, host: Host) -> bool:
        self._draining = True
        try:
            steps = await asyncio.wait_for(asyncio.to_thread(self._withdraw), 10.0)
        except asyncio.TimeoutError:
            steps = [(a.znode or a.path, "ZooKeeper did not answer") for a in self._announcements if a.znode]
        for znode, error in steps:
            if znode.startswith(_RESTORED):
                member = znode[len(_RESTORED) :]
                host.say(f"draining: could not mark {member} ALIVE again ({error})" if error else f"draining: {member} is ALIVE again")
            elif error:
                host.say(f"draining: could not delete {znode} ({error}); it goes when the session closes")
            else:
                host.say(f"draining: left ZooKeeper {znode}")
        return bool(steps)

    async def stop(self, host: Host) -> None:
        self._closing = True
        self._wake.set()
        if self._session is not None:
            await asyncio.to_thread(self._session.stop)
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5)

    @property
    def session(self) -> ZooKeeperSession | None:
        """The ZooKeeper session (None before `start`)."""
        return self._session

    @property
    def announced(self) -> bool:
        """True only with a live session in which every member exists (checked each second)."""
        session = self._session
        return session is not None and session.connected and not self._draining and all(a.znode for a in self._announcements)

    def describe(self) -> dict[str, Any]:
        """What is announced where, and the session's state (for the admin page)."""
        session = self._session.describe() if self._session is not None else {"zookeeper": "", "session": "not started"}
        return {
            "announced": self.announced,
            **session,
            "instance": self.instance_id,
            "last_error": self._last_error,
            "members": [
                {"service": a.service, "path": a.path, "znode": a.znode, "curator": a.curator_znode, "payload": json.loads(a.payload)} for a in self._announcements
            ],
        }

    def serversets(self) -> list[dict[str, Any]]:
        """What ZooKeeper holds now at each service's serverset path: every member (this
        process's and its peers'), parsed, with the session that owns it. Read when asked (the
        admin page), never kept; blocking, so called off the event loop."""
        session = self._session
        connected = session is not None and session.connected
        out = []
        for a in self._announcements:
            entry: dict[str, Any] = {"service": a.service, "path": a.path, "members": []}
            out.append(entry)
            if not connected:
                entry["error"] = "no ZooKeeper session: the members cannot be read"
                continue
            assert session is not None
            try:
                entry["members"] = _read_members(session.client, a.path, a.znode)
            except KazooException as e:
                entry["error"] = f"reading {a.path} failed: {type(e).__name__}: {e}"
        return out

    def health(self) -> str:
        """'' when announced; else why not (the process serves regardless: see /health)."""
        if self._session is None or self.announced or self._draining:
            return ""
        why = self._session.health() or (f"announcing failed ({self._last_error})" if self._last_error else "announcing")
        return f"{why}; not announced, serving anyway"

    # -- the background thread -----------------------------------------------------------------
    def _on_client(self, client: KazooClient) -> None:  # a new client, so a new session: nothing of ours is in it yet
        for a in self._announcements:
            a.znode = a.curator_znode = None
        self._wake.set()

    def _on_state(self, state: str, client: KazooClient) -> None:  # kazoo's thread: record and wake, never block
        if state == KazooState.LOST:
            for a in self._announcements:  # ZooKeeper deleted them with the session
                a.znode = a.curator_znode = None
        if state == KazooState.CONNECTED:
            self._wake.set()

    def _run(self) -> None:
        while not self._closing:
            self._wake.wait(1.0)
            self._wake.clear()
            if self._closing or self._draining:
                continue
            session = self._session
            if session is None or not session.connected:
                continue
            client = session.client
            try:
                with self._lock:
                    self._ensure_all(client)
                self._last_error = ""
                self._first.set()
            except KazooException as e:
                self._last_error = f"{type(e).__name__}: {e}"
                log.warning("announcing failed (%s); trying again", self._last_error)
            except Exception as e:  # noqa: BLE001 - the thread must live on to announce later
                self._last_error = f"{type(e).__name__}: {e}"
                log.exception("announcing failed; trying again")

    def _ensure_all(self, client: KazooClient) -> None:
        session = client.client_id[0] if client.client_id else None
        for a in self._announcements:
            if self._draining:
                return
            if not _owned(client, a.znode, session):
                again = self._first.is_set()
                a.znode = client.create(f"{a.path}/{serverset.MEMBER_PREFIX}", a.payload, ephemeral=True, sequence=True, makepath=True)
                self._remove_duplicates(client, a)
                self._say(f"zookeeper: {'re-announced' if again else 'announced'} {a.service} at {a.znode}")
            if a.replace:
                self._set_aside(client, a)
            if a.curator_path is not None and not _owned(client, a.curator_znode, session):
                try:
                    client.create(a.curator_path, a.curator_payload, ephemeral=True, makepath=True)
                except NodeExistsError:  # left by our previous session: replace it, as Curator does
                    client.delete(a.curator_path)
                    client.create(a.curator_path, a.curator_payload, ephemeral=True, makepath=True)
                a.curator_znode = a.curator_path
                self._say(f"zookeeper: registered {a.service} for Curator discovery at {a.curator_path}")

    def _withdraw(self) -> list[tuple[str, str]]:
        """Delete every member (under the lock, so no announcement is half made); returns
        (znode, error or '') per member that was announced."""
        steps = []
        # An announcement blocked on a lost connection holds the lock: do not wait for it long.
        locked = self._lock.acquire(timeout=2.0)
        try:
            connected = locked and self._session is not None and self._session.connected
            for a in self._announcements:
                for znode in (a.znode, a.curator_znode):
                    if znode is None:
                        continue
                    if not connected:
                        steps.append((znode, "ZooKeeper unreachable"))
                        continue
                    try:
                        self._delete(znode)
                        steps.append((znode, ""))
                    except KazooException as e:
                        steps.append((znode, type(e).__name__))
                if connected and a.set_aside:
                    steps += [(_RESTORED + path, error) for path, error in self._restore(a)]
                a.znode = a.curator_znode = None
        finally:
            if locked:
                self._lock.release()
        return steps

    def _set_aside(self, client: KazooClient, a: _Announcement) -> None:
        """Replace mode: mark every other ALIVE member STOPPED (checked each second, so a real
        instance that starts meanwhile is set aside too). zk2 callers then see this one only."""
        for path, data, stat, member in _other_members(client, a):
            if member is None or not member.alive:
                continue
            doc = json.loads(data)
            doc["status"] = "STOPPED"
            try:
                client.set(path, json.dumps(doc).encode(), version=stat.version)
            except (NoNodeError, BadVersionError):
                continue  # gone, or changed by its owner: looked at again in a second
            a.set_aside[path] = data
            self._say(f"zookeeper: replacing {path} (marked STOPPED while {a.service} is announced)")

    def _restore(self, a: _Announcement) -> list[tuple[str, str]]:
        """Give back the members set aside (those still there and still as we left them)."""
        steps = []
        assert self._session is not None
        client = self._session.client
        for path, data in a.set_aside.items():
            try:
                current, stat = client.get(path)
                member = serverset.parse(current, path)
                if member is not None and member.status == "STOPPED":
                    client.set(path, data, version=stat.version)
                    steps.append((path, ""))
            except (NoNodeError, BadVersionError):
                continue
            except KazooException as e:
                steps.append((path, type(e).__name__))
        a.set_aside.clear()
        return steps

    def _remove_duplicates(self, client: KazooClient, a: _Announcement) -> None:
        for path, _, _, member in _other_members(client, a):
            if member is not None and member.metadata.get("instance") == self.instance_id:
                log.info("deleting %s: an older announcement of this process", path)
                self._delete(path)

    def _delete(self, znode: str | None) -> None:
        if znode is None or self._session is None:
            return
        try:
            self._session.client.delete(znode)
        except NoNodeError:
            pass

    def _say(self, line: str) -> None:
        if self._host is not None:
            self._host.say(line)
        else:
            log.info("%s", line)


def _other_members(client: KazooClient, a: _Announcement) -> Iterator[tuple[str, bytes, Any, serverset.Member | None]]:
    """(path, bytes, stat, parsed member or None) of every member at `a`'s path but its own."""
    for child in client.get_children(a.path):
        path = f"{a.path}/{child}"
        if not child.startswith(serverset.MEMBER_PREFIX) or path == a.znode:
            continue
        try:
            data, stat = client.get(path)
        except NoNodeError:
            continue
        yield path, data, stat, serverset.parse(data, path)


_MEMBERS_SHOWN = 200  # a page lists this many members of one serverset at most


def _read_members(client: KazooClient, path: str, own: str | None) -> list[dict[str, Any]]:
    """The members at `path` as the admin page shows them (reads in parallel: one round trip)."""
    try:
        children = sorted(c for c in client.get_children(path) if c.startswith(serverset.MEMBER_PREFIX))[:_MEMBERS_SHOWN]
    except NoNodeError:
        return []
    reads = [(child, client.get_async(f"{path}/{child}")) for child in children]
    members = []
    for child, pending in reads:
        try:
            data, stat = pending.get(timeout=5)
        except NoNodeError:
            continue  # left between the listing and the read
        m = serverset.parse(data, f"{path}/{child}")
        ep = m.service_endpoint if m is not None else None
        members.append(
            {
                "znode": child,
                "endpoint": f"{ep[0]}:{ep[1]}" if ep else None,
                "status": m.status if m is not None else "UNREADABLE",
                "shard": m.shard if m is not None else None,
                "endpoints": {k: f"{h}:{p}" for k, (h, p) in m.additional_endpoints.items()} if m is not None else {},
                "session": f"0x{stat.ephemeralOwner:x}" if stat.ephemeralOwner else "none (persistent)",
                "this_process": f"{path}/{child}" == own,
            }
        )
    return members


def _owned(client: KazooClient, znode: str | None, session: int | None) -> bool:
    """Whether `znode` exists as an ephemeral of the current session."""
    if znode is None or session is None:
        return False
    stat = client.exists(znode)
    return stat is not None and stat.ephemeralOwner == session


def _admin_endpoint(host: Host) -> int | None:
    eps = host.endpoints.get("admin")
    if eps is None or not eps.ports:
        return None
    _, port = eps.ports.get("http") or next(iter(eps.ports.values()))
    return port
