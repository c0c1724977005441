"""The admin port: TwitterServer's admin HTTP surface, as an `Extension`.

Served on ``admin_port`` (default 9990) with `framework.host.serve_http`, like every other
HTTP port of the process. Prints ``ready admin http=HOST:PORT``. Routes: see `app.routes`.
"""

from __future__ import annotations

import asyncio
import errno
from typing import TYPE_CHECKING

from ..errors import ConfigError
from .app import AdminApp

if TYPE_CHECKING:
    from ..host import Host

__all__ = ["AdminServer", "AdminApp"]


class AdminServer:
    name = "admin"

    def __init__(self) -> None:
        self.app: AdminApp | None = None
        self._server: object = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, host: Host) -> None:
        from ..host import IN_USE, Endpoints, bind_socket, serve_http

        s = host.settings
        try:
            sock = bind_socket(s.bind, s.admin_port)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise ConfigError("admin_port", f"port {s.admin_port} on {s.bind} is already in use{IN_USE}: stop that, or choose another port with --admin-port N (0: any free port)") from None
            raise ConfigError("admin_port", f"cannot listen on {s.bind}:{s.admin_port}: {e.strerror}") from None
        self.app = AdminApp(host)
        self.app.sampler_start()
        server, self._task = await serve_http(self.app.asgi, sock, s)
        self._server = server
        host.endpoints["admin"] = Endpoints("admin", {"http": (host._display_host, sock.getsockname()[1])})

    async def drain(self, host: Host) -> bool:
        return False  # the admin port serves until the very end: /health and metrics during drain

    async def stop(self, host: Host) -> None:
        if self.app is not None:
            self.app.sampler_stop()
        server = self._server
        if server is not None:
            server.should_exit = True  # type: ignore[attr-defined]
            await asyncio.gather(server.shutdown(), self._task, return_exceptions=True)  # type: ignore[attr-defined]
        self._server = None
