"""The admin port's guard: anyone may read, only loopback and ``admin_allow`` may change.

Every port binds ``bind`` (default ``0.0.0.0``), the admin port too, so Prometheus and
TwitterServer-style tooling can read it from elsewhere: GET and HEAD requests (metrics,
/health, /admin/server_info, the dashboard) are open to every peer. A request with any other
method is one that changes the process (``POST /quitquitquit``, ``POST /abortabortabort``, and
whatever writes an admin route may add later): it is answered 403 before the route runs unless
the peer is on loopback or `framework.access.AdminAllow` admits its address or TLS identity.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from ..access import AdminAllow
from ..errors import PermissionDenied
from ..jsonio import dumps
from ..tls import scope_identity

__all__ = ["AdminGuard", "READING"]

log = logging.getLogger("aviary.admin")

READING = frozenset({"GET", "HEAD", "OPTIONS"})  # methods that change nothing

ASGIApp = Callable[[dict[str, Any], Callable[[], Awaitable[Any]], Callable[[dict[str, Any]], Awaitable[None]]], Awaitable[None]]


class AdminGuard:
    """ASGI middleware in front of the admin app (see the module's documentation)."""

    def __init__(self, app: ASGIApp, allow: AdminAllow) -> None:
        self.app = app
        self.allow = allow

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in READING:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        host = client[0] if client else None
        identity = scope_identity(scope)
        path = scope["path"]
        if self.allow.permits(path, host, identity):
            await self.app(scope, receive, send)
            return
        who = f"{host}" + (f" (identity {identity!r})" if identity else "")
        message = f"{scope['method']} {path} changes the process: allowed from loopback or admin_allow only, and {who} is neither"
        log.warning("admin: refused %s %s from %s: not loopback, not admitted by admin_allow", scope["method"], path, who)
        body = dumps({"error": {"type": PermissionDenied.__name__, "message": message}})
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": PermissionDenied.http_status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
