"""What a host is to the parts it runs, and the sockets it binds: the floor under the host.

The admin port, the ZooKeeper announcer, an embedded ZooKeeper, span exporters and the worker
supervisor all need a little of the host: where everything listens (`Endpoints`), a line on
stdout (`HostView.say`), the settings and services. They get it through `HostView`, so none of
them imports `framework.host`, which assembles them (`framework.assembly`).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .config import Settings
    from .filters import Filter
    from .service import Service

__all__ = ["HostView", "Extension", "Endpoints", "IN_USE", "bind_socket", "bound", "port_is_free"]

IN_USE = " (another process listens there, perhaps an aviary still running)"


def bind_socket(host: str, port: int, *, reuse_port: bool = False, listen: bool = True) -> socket.socket:
    """A listening TCP socket (IPv6 when `host` is an IPv6 address). ``listen=False``: only
    bound, which claims the port without accepting (a worker supervisor holds ports so)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    if listen:
        sock.listen(2048)
    sock.setblocking(False)
    return sock


def bound(sock: socket.socket) -> tuple[str, int]:
    """(host, port) a socket is bound to, as the ready lines show it."""
    name = sock.getsockname()
    return name[0], name[1]


def port_is_free(host: str, port: int) -> bool:
    """Whether a listening socket could bind `host`:`port` now (as every port here binds:
    SO_REUSEADDR, so a closed port in TIME_WAIT counts as free)."""
    try:
        bind_socket(host, port).close()
        return True
    except OSError:
        return False


@dataclass
class Endpoints:
    """Where one service listens: name -> (host, port), e.g. {"thrift": (...), "http": (...)}."""

    service: str
    ports: dict[str, tuple[str, int]] = field(default_factory=dict)


class HostView(Protocol):
    """What an extension reads of the host it runs in (`framework.host.Host` is one)."""

    settings: Settings
    services: list[Service]
    endpoints: dict[str, Endpoints]
    extensions: list[Extension]
    filters: list[Filter]
    started_at: float  # time.time() once every port listens (0 before)

    def say(self, line: str) -> None:
        """A line on stdout for people and scripts (the ready lines, the drain)."""


class Extension(Protocol):
    """A part of the process beside the services. The host calls, in order:

    * ``start(host)`` once every service listens, before the ``ready`` lines (so ``ready``
      means announced); `host.endpoints` says where everything listens, and an extension that
      listens itself (the admin port) adds its own entry there;
    * ``drain(host)`` first thing on shutdown, while the ports still serve; returns True if it
      withdrew something callers must notice (then the host waits ``drain_grace_s``);
    * ``stop(host)`` after the services stopped, in reverse order of start.

    With workers (`framework.workers`), extensions run once per host, in the supervisor, and
    the services run in the worker processes: one announcement per host:port, one admin port.
    Worker processes build the extensions too (`assemble` is the same code) but never start
    them, so a constructor only records its settings: sessions, threads and sockets belong in
    ``start``.
    """

    name: str

    async def start(self, host: HostView) -> None: ...

    async def drain(self, host: HostView) -> bool: ...

    async def stop(self, host: HostView) -> None: ...
