"""The admin port's routes (TwitterServer's names and answers, see the interop spec §5).

* ``/admin/ping`` -> ``pong``; ``/health`` -> ``OK`` (200 while the process serves; a line
  per extension with a problem follows, e.g. no ZooKeeper session)
* ``/admin/server_info``, ``/admin/registry.json`` (config, IDLs, endpoints),
  ``/admin/announcer`` (what the announcers say: where, ZooKeeper session state; ``announced``
  only with a live session in which every member exists)
* ``/admin/metrics.json`` (Finagle's flat map), ``/metrics`` (Prometheus text)
* ``POST /quitquitquit`` (graceful drain, as SIGTERM), ``POST /abortabortabort`` (exit now)
* ``/admin`` (the dashboard) and ``/admin/dashboard.json`` (what it draws)
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import sys
import time
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..dtab import base_dtab
from ..jsonio import dumps
from ..metrics import registry
from ..recent_errors import recent_errors
from ..telemetry import TelemetryFilter
from . import prometheus
from .dashboard import PAGE
from .sampler import CallSampler

if TYPE_CHECKING:
    from ..hosting import HostView as Host

__all__ = ["AdminApp"]

log = logging.getLogger("aviary.admin")

_SECRET_SETTINGS = ("zk_digest",)
_ZK_READ_S = 3.0  # longest the dashboard waits for ZooKeeper to list the members


def _json(body: Any, status: int = 200) -> Response:
    return Response(dumps(body), status, media_type="application/json")


class AdminApp:
    """The admin ASGI app of one host, and the sampler behind the dashboard's charts."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.telemetry = next((f for f in host.filters if isinstance(f, TelemetryFilter)), None)
        self.calls = CallSampler()
        self._sampler: asyncio.Task[None] | None = None
        self.asgi = Starlette(routes=self.routes())

    def routes(self) -> list[Route]:
        return [
            Route("/admin/ping", self.ping),
            Route("/health", self.health),
            Route("/admin/server_info", self.server_info),
            Route("/admin/registry.json", self.registry_json),
            Route("/admin/announcer", self.announcer),
            Route("/admin/dtab", self.dtab),
            Route("/admin/metrics.json", self.metrics_json),
            Route("/metrics", self.metrics_text),
            Route("/quitquitquit", self.quit, methods=["POST"]),
            Route("/abortabortabort", self.abort, methods=["POST"]),
            Route("/admin", self.dashboard),
            Route("/admin/", self.dashboard),
            Route("/admin/dashboard.json", self.dashboard_json),
        ]

    # -- health and lifecycle ------------------------------------------------------------------
    async def ping(self, _: Request) -> Response:
        return PlainTextResponse("pong")

    async def health(self, _: Request) -> Response:
        # 200 "OK" whenever the process serves (a ZooKeeper away is no reason to restart it or
        # take it out of a load balancer); a line after it says what is wrong meanwhile.
        return PlainTextResponse("".join(f"{line}\n" for line in ["OK", *self._health_notes()]))

    def _health_notes(self) -> list[str]:
        """One line per extension with something to say (`health()`: '' when all is well)."""
        notes = []
        for ext in self.host.extensions:
            health = getattr(ext, "health", None)
            if callable(health):
                try:
                    note = health()
                except Exception as e:  # noqa: BLE001 - /health must answer regardless
                    note = f"health check failed: {type(e).__name__}: {e}"
                if note:
                    notes.append(f"{ext.name}: {note}")
        return notes

    async def quit(self, request: Request) -> Response:
        # Answer first, then stop on the next turn: the caller gets its "quitting".
        asyncio.get_running_loop().call_soon(self.host.request_stop, "/quitquitquit")
        return PlainTextResponse("quitting\n")

    async def abort(self, _: Request) -> Response:
        self.host.say("/abortabortabort: exiting now")
        asyncio.get_running_loop().call_later(0.05, os._exit, 1)
        return PlainTextResponse("aborting\n")

    # -- what the process is -------------------------------------------------------------------
    def _endpoints(self) -> dict[str, dict[str, str]]:
        return {name: {k: f"{h}:{p}" for k, (h, p) in eps.ports.items()} for name, eps in self.host.endpoints.items()}

    async def server_info(self, _: Request) -> Response:
        from importlib.metadata import PackageNotFoundError, version

        try:
            ver = version("aviary")
        except PackageNotFoundError:  # pragma: no cover - run from a source tree
            ver = "unknown"
        started = self.host.started_at
        return _json(
            {
                "name": "aviary",
                "version": ver,
                "build": ver,
                "python": platform.python_version(),
                "pid": os.getpid(),
                "argv": sys.argv,
                "start_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)) if started else None,
                "uptime": int((time.time() - started) * 1000) if started else 0,
                "services": [s.name for s in self.host.services],
                "telemetry": self.telemetry is not None,
                "tracing": next((e.status() for e in self.host.extensions if e.name == "tracing" and hasattr(e, "status")), None),
            }
        )

    async def registry_json(self, _: Request) -> Response:
        config = self.host.settings.as_dict()
        for key in _SECRET_SETTINGS:
            if config.get(key):
                config[key] = "<redacted>"
        idls = {s.name: {"service": s.definition.name, "file": s.idl.path.name, "sources": s.idl.sources()} for s in self.host.services}
        return _json({"registry": {"config": config, "idls": idls, "endpoints": self._endpoints()}})

    def _announcers(self) -> list[dict[str, Any]]:
        out = []
        for ext in self.host.extensions:
            describe = getattr(ext, "describe", None)
            if callable(describe):
                try:
                    out.append({"extension": ext.name, **describe()})
                except Exception as e:  # noqa: BLE001 - the admin page must render regardless
                    out.append({"extension": ext.name, "error": f"{type(e).__name__}: {e}"})
        return out

    async def announcer(self, _: Request) -> Response:
        announcers = self._announcers()
        if not announcers:
            return _json({"announced": False, "message": f"not announced: no announcer runs (zk = {self.host.settings.zk!r})", "announcers": []})
        # Announced only if every extension that announces says so (a live session, its znodes there).
        said = [a["announced"] for a in announcers if "announced" in a]
        if said and all(said):
            return _json({"announced": True, "announcers": announcers})
        why = "; ".join(self._health_notes()) or "not announced: no extension reports an announcement"
        return _json({"announced": False, "message": why, "announcers": announcers})

    async def dtab(self, _: Request) -> Response:
        """The base dtab logical destinations are bound through (TwitterServer's /admin/dtab)."""
        base = base_dtab()
        return _json({"base": base.show(), "dentries": [{"prefix": p, "dst": d} for p, d in base.pairs()]})

    # -- metrics -------------------------------------------------------------------------------
    async def metrics_json(self, request: Request) -> Response:
        flat = registry.flat()
        if request.query_params.get("pretty") == "true":
            import json

            return Response(json.dumps(flat, indent=2), media_type="application/json")
        return _json(flat)

    async def metrics_text(self, _: Request) -> Response:
        return PlainTextResponse(prometheus.render(registry), media_type="text/plain; version=0.0.4")

    # -- dashboard -----------------------------------------------------------------------------
    async def dashboard(self, _: Request) -> Response:
        return HTMLResponse(PAGE)

    async def dashboard_json(self, _: Request) -> Response:
        services = [
            {
                "name": s.name,
                "idl": f"{s.idl.path.name} ({s.definition.name})",
                "methods": list(s.methods),
                "endpoints": self._endpoints().get(s.name, {}),
            }
            for s in self.host.services
        ]
        return _json(
            {
                "services": services,
                "admin": self._endpoints().get("admin", {}),
                # overall and per service over the last `window_s` seconds, with totals
                "summary": self.calls.summary(s.name for s in self.host.services),
                "announcers": self._announcers(),
                # each service's members as ZooKeeper has them now (read for this request)
                "serversets": await self._serversets(),
                "recent_errors": {"total": recent_errors.total, "errors": [e.as_dict() for e in recent_errors.newest_first()]},
                "links": self._links(),
                "zk": self.host.settings.zk,
                "uptime_s": round(time.time() - self.host.started_at, 1) if self.host.started_at else 0,
                "telemetry": self.telemetry is not None,
                # [t, requests/s, errors/s, p50 ms, p99 ms] per "service/transport/method"
                "series": {k: list(v) for k, v in self.calls.series.items()},
            }
        )

    async def _serversets(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for ext in self.host.extensions:
            read = getattr(ext, "serversets", None)
            if not callable(read):
                continue
            try:
                out += await asyncio.wait_for(asyncio.to_thread(read), _ZK_READ_S)
            except asyncio.TimeoutError:
                out.append({"extension": ext.name, "error": f"ZooKeeper did not list the members within {_ZK_READ_S:g}s"})
            except Exception as e:  # noqa: BLE001 - the admin page must render regardless
                out.append({"extension": ext.name, "error": f"{type(e).__name__}: {e}"})
        return out

    def _links(self) -> list[dict[str, Any]]:
        """Where the dashboard links: docs, the raw metrics and JSON, and the services' own
        pages (``port`` set: on that service's HTTP port, which the browser reaches by the
        host name it used for the admin port)."""
        links: list[dict[str, Any]] = [
            {"label": "docs", "href": self.host.settings.docs_url or "#admin-routes"},
            {"label": "metrics.json", "href": "/admin/metrics.json?pretty=true"},
            {"label": "Prometheus metrics", "href": "/metrics"},
            {"label": "dashboard.json", "href": "/admin/dashboard.json"},
        ]
        for s in self.host.services:
            http = self.host.endpoints.get(s.name)
            if http is None or "http" not in http.ports:
                continue
            for label, path in s.pages.items():
                links.append({"label": label, "service": s.name, "port": http.ports["http"][1], "href": path})
        return links

    def sampler_start(self, interval_s: float = 1.0) -> None:
        if self.telemetry is not None:
            self._sampler = asyncio.get_running_loop().create_task(self._sample_forever(interval_s))

    def sampler_stop(self) -> None:
        if self._sampler is not None:
            self._sampler.cancel()

    async def _sample_forever(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                self.calls.sample(interval_s, [s.name for s in self.host.services])
            except Exception:  # pragma: no cover - a chart must never take the process down
                log.exception("dashboard sampling failed")
