"""The process lifecycle: start services on their ports, announce readiness, stop cleanly.

One host runs one or more services in one process on one uvloop event loop; each service has
its own Thrift port and HTTP port. Start-up prints one ``ready`` line per service, so scripts
and tests can wait for it::

    ready echo thrift=127.0.0.1:9999 http=127.0.0.1:8888

SIGTERM or SIGINT stops it in order: *drain* (extensions withdraw the process from discovery
and tell multiplexing clients to go elsewhere), keep serving for ``drain_grace_s`` if anything
was withdrawn, stop accepting, finish the calls in flight (at most ``shutdown_timeout_s``), run
the services' stop hooks, stop the extensions (last started, first stopped), exit 0. A second
signal exits at once.

Everything that lives beside the services for the life of the process (the admin port, the
ZooKeeper announcer, an embedded ZooKeeper, span exporters) is an `Extension`.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
import socket
import sys
from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence, TextIO

import uvicorn

from .config import Settings
from .errors import ConfigError
from .filters import Filter
from .rest.app import RestApp
from .service import Service, default_executor
from .thrift.server import ServerOptions, ThriftServer

__all__ = ["Host", "assemble", "Endpoints", "Extension", "bind_socket", "serve_http", "configure_logging"]

log = logging.getLogger("aviary.host")


def configure_logging(level: str = "info") -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_aviary", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._aviary = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn narrates its own start and stop at INFO; Aviary says what matters on stdout.
    logging.getLogger("uvicorn.error").setLevel(max(logging.WARNING, root.level))


def bind_socket(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A listening TCP socket (IPv6 when `host` is an IPv6 address)."""
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
    sock.listen(2048)
    sock.setblocking(False)
    return sock


async def serve_http(app: Any, sock: socket.socket, settings: Settings) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    """Serve the ASGI `app` on the listening `sock` with uvicorn on the running loop: the one
    way every HTTP port of the process (REST, admin) is served. Returns the server and the
    task of its main loop; stop with ``server.should_exit = True`` then ``await server.shutdown()``."""
    config = uvicorn.Config(
        app,
        loop="none",
        http="httptools",
        lifespan="off",
        access_log=False,
        log_config=None,
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=int(settings.shutdown_timeout_s) or None,
    )
    config.load()
    server = uvicorn.Server(config)
    server.lifespan = config.lifespan_class(config)  # "off": a no-op, but startup() reads it
    await server.startup(sockets=[sock])
    return server, asyncio.get_running_loop().create_task(server.main_loop())


def _port_is_free(host: str, port: int) -> bool:
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


class Extension(Protocol):
    """A part of the process beside the services. The host calls, in order:

    * ``start(host)`` once every service listens, before the ``ready`` lines (so ``ready``
      means announced); `host.endpoints` says where everything listens, and an extension that
      listens itself (the admin port) adds its own entry there;
    * ``drain(host)`` first thing on shutdown, while the ports still serve; returns True if it
      withdrew something callers must notice (then the host waits ``drain_grace_s``);
    * ``stop(host)`` after the services stopped, in reverse order of start.
    """

    name: str

    async def start(self, host: Host) -> None: ...

    async def drain(self, host: Host) -> bool: ...

    async def stop(self, host: Host) -> None: ...


class _Running:
    """A started service: its servers and sockets."""

    def __init__(self, service: Service, thrift: ThriftServer, http: uvicorn.Server, ticker: asyncio.Task[None]) -> None:
        self.service = service
        self.thrift = thrift
        self.http = http
        self.ticker = ticker


class Host:
    def __init__(
        self,
        settings: Settings,
        services: list[Service],
        *,
        extensions: Sequence[Extension] = (),
        filters: Sequence[Filter] = (),
        out: TextIO | None = None,
    ) -> None:
        if not services:
            raise ConfigError("services", "no service to run")
        names = [s.name for s in services]
        if len(set(names)) != len(names):
            raise ConfigError("services", f"a service is named twice: {', '.join(names)}")
        self.settings = settings
        self.services = services
        self.out = out or sys.stdout
        self.extensions = list(extensions)
        self.filters = list(filters)  # host filters: run before each service's own, on every call
        self.endpoints: dict[str, Endpoints] = {}
        self.running: list[_Running] = []
        self._started: list[Extension] = []
        self._stopping = False

    # -- output ------------------------------------------------------------------------------------
    def say(self, line: str) -> None:
        """A line for people and scripts on stdout (logs go to stderr). If nobody reads stdout
        any more (a closed pipe), the line goes to the log instead: a supervisor that stopped
        listening must still be able to stop the process."""
        try:
            print(line, file=self.out, flush=True)
        except (BrokenPipeError, ValueError, OSError):
            log.info("%s", line)

    @property
    def _display_host(self) -> str:
        bind = self.settings.bind
        return "127.0.0.1" if bind in ("0.0.0.0", "") else ("::1" if bind == "::" else bind)

    # -- ports -------------------------------------------------------------------------------------
    def _ports_for(self, index: int, service: Service, taken: set[int]) -> dict[str, int]:
        own = self.settings.service(service.name, getattr(service, "declared_settings", ()))  # a plugin's own settings are known too
        out = {}
        for kind in ("thrift", "http"):
            explicit = own.get(f"{kind}_port")
            base = getattr(self.settings, f"{kind}_port")
            if explicit is not None:
                out[kind] = explicit
            elif index == 0 or base == 0:
                out[kind] = base
            else:  # later services: the next free port above the first service's
                p = base + index
                while p in taken or not _port_is_free(self.settings.bind, p):
                    p += 1
                out[kind] = p
            if out[kind]:
                taken.add(out[kind])
        return out

    def _bind(self, service: Service, kind: str, port: int) -> socket.socket:
        try:
            return bind_socket(self.settings.bind, port)
        except OSError as e:
            setting = f"services.{service.name}.{kind}_port"
            if e.errno == errno.EADDRINUSE:
                raise ConfigError(setting, f"port {port} on {self.settings.bind} is already in use (choose another, or 0 for any free port)") from None
            raise ConfigError(setting, f"cannot listen on {self.settings.bind}:{port}: {e.strerror}") from None

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        s = self.settings
        executor = default_executor(s.handler_threads)
        taken: set[int] = set()
        for index, service in enumerate(self.services):
            await service.start()
            ports = self._ports_for(index, service, taken)
            chain = service.chain(self.filters, executor=executor)
            thrift_sock = self._bind(service, "thrift", ports["thrift"])
            http_sock = self._bind(service, "http", ports["http"])
            thrift = ThriftServer(service, chain, ServerOptions(max_frame_bytes=s.max_frame_bytes, stall_timeout_s=s.stall_timeout_s))
            await thrift.start(thrift_sock)
            app = RestApp(service, chain, max_body_bytes=s.max_body_bytes, stall_timeout_s=s.stall_timeout_s)
            http, ticker = await serve_http(app, http_sock, s)
            self.running.append(_Running(service, thrift, http, ticker))
            host = self._display_host
            eps = Endpoints(service.name, {"thrift": (host, thrift_sock.getsockname()[1]), "http": (host, http_sock.getsockname()[1])})
            self.endpoints[service.name] = eps
        for ext in self.extensions:
            await ext.start(self)
            self._started.append(ext)
        for eps in self.endpoints.values():
            self.say(f"ready {eps.service} " + " ".join(f"{k}={h}:{p}" for k, (h, p) in eps.ports.items()))

    async def stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        timeout = self.settings.shutdown_timeout_s
        withdrawn = False
        for ext in self._started:
            try:
                withdrawn = bool(await ext.drain(self)) or withdrawn
            except Exception:
                log.exception("draining %s failed", ext.name)
        grace = self.settings.drain_grace_s
        if withdrawn and grace > 0:
            self.say(f"draining: still serving for {grace:g}s so callers notice")
            await asyncio.sleep(grace)
        for r in self.running:
            r.thrift.close()
            for srv in r.http.servers:
                srv.close()
        self.say("stopping: ports closed to new connections, finishing calls in flight")
        await asyncio.gather(*(self._stop_one(r, timeout) for r in self.running))
        for r in reversed(self.running):
            await r.service.stop()
        for ext in reversed(self._started):
            try:
                await ext.stop(self)
            except Exception:
                log.exception("stopping %s failed", ext.name)
        self._started.clear()
        self.say("stopped")

    async def _stop_one(self, r: _Running, timeout: float) -> None:
        r.http.should_exit = True
        await asyncio.gather(r.thrift.drain(timeout), r.http.shutdown(), r.ticker, return_exceptions=True)

    async def run(self) -> int:
        """Start, wait for SIGTERM/SIGINT, stop. Returns the exit status."""
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        signals = 0

        def on_signal(sig: int) -> None:
            nonlocal signals
            signals += 1
            if signals > 1:
                self.say(f"{signal.Signals(sig).name} again: exiting now")
                os._exit(1)
            self.say(f"{signal.Signals(sig).name}: shutting down")
            stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal, sig)
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        await stop.wait()
        await self.stop()
        return 0


def assemble(settings: Settings, services: list[Service], *, out: TextIO | None = None) -> Host:
    """The host `aviary run` builds: the services plus the standard extensions and host
    filters the settings ask for. Tests build theirs the same way."""
    extensions: list[Extension] = []
    filters: list[Filter] = []
    return Host(settings, services, extensions=extensions, filters=filters, out=out)
