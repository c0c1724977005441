"""The admin port: TwitterServer's admin HTTP surface, as an `Extension`.

Served on ``admin_port`` (default 9990) as a `framework.http_port.HttpPort`, like every other
HTTP port of the process. Prints ``ready admin http=HOST:PORT``. Routes: see `app.routes`;
requests that change the process pass `guard.AdminGuard` first (loopback or ``admin_allow``).

May import: the core and the layers under the transports (`framework.hosting`, `http_port`,
`telemetry`, `access`, `jsonio`, `recent_errors`). Not `rest`, `thrift` or `discovery`: what it
shows of them comes through the host (`hosting.HostView`) and its extensions.
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from ..access import AdminAllow
from ..errors import ConfigError
from ..http_port import HttpPort
from .app import AdminApp
from .guard import READING, AdminGuard

if TYPE_CHECKING:
    from ..config import Settings
    from ..hosting import HostView as Host

__all__ = ["AdminServer", "AdminApp", "AdminGuard", "admin_allow"]


class AdminServer:
    name = "admin"

    def __init__(self) -> None:
        self.app: AdminApp | None = None
        self._port: HttpPort | None = None

    async def start(self, host: Host) -> None:
        from ..hosting import IN_USE, Endpoints, bind_socket, bound

        s = host.settings
        try:
            sock = bind_socket(s.bind, s.admin_port)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise ConfigError("admin_port", f"port {s.admin_port} on {s.bind} is already in use{IN_USE}: stop that, or choose another port with --admin-port N (0: any free port)") from None
            raise ConfigError("admin_port", f"cannot listen on {s.bind}:{s.admin_port}: {e.strerror}") from None
        self.app = AdminApp(host)
        try:
            guard = AdminGuard(self.app.asgi, admin_allow(s, self.app))
        except ConfigError:
            sock.close()
            raise
        self.app.sampler_start()
        self._port = HttpPort(guard, s, "admin", "http")
        await self._port.start(sock)
        host.endpoints["admin"] = Endpoints("admin", {"http": bound(sock)})

    async def drain(self, host: Host) -> bool:
        return False  # the admin port serves until the very end: /health and metrics during drain

    async def stop(self, host: Host) -> None:
        if self.app is not None:
            self.app.sampler_stop()
        if self._port is not None:
            await self._port.stop()
        self._port = None


def admin_allow(settings: Settings, app: AdminApp) -> AdminAllow:
    """The ``admin_allow`` setting, checked against the app: each path it names must be an
    admin route that changes the process, and identities need TLS with client certificates."""
    rules: dict[str, list[str]] = settings.admin_allow
    writes = sorted({r.path for r in app.asgi.routes if getattr(r, "methods", None) and set(r.methods) - READING})
    unknown = sorted(set(rules) - set(writes) - {"*"})
    if unknown:
        raise ConfigError("admin_allow", f"{', '.join(unknown)}: not an admin endpoint that changes the process (those are: {', '.join(writes)})")
    allow = AdminAllow(rules)
    if allow.names_identities and (not settings.tls_cert or settings.tls_client_auth == "none"):
        raise ConfigError("admin_allow", "identities are checked against client certificates: set tls_cert and tls_ca, with tls_client_auth required or optional")
    return allow
