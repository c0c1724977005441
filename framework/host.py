"""The process lifecycle: start services on their ports, announce readiness, stop cleanly.

One host runs one or more services in one process on one uvloop event loop; each service has
its own Thrift port and HTTP port. Start-up prints one ``ready`` line per service, with the
address each port is bound to, so scripts and tests can wait for it::

    ready echo thrift=127.0.0.1:9999 http=127.0.0.1:8888

When ``bind`` is a wildcard (``0.0.0.0``, the default, or ``::``) one more line says that the
ports are open on every interface.

SIGTERM or SIGINT stops it in order: *drain* (extensions withdraw the process from discovery;
HTTP responses say ``Connection: close`` from now on), keep serving for ``drain_grace_s`` if
anything was withdrawn (default 5 s: README "Defaults, and why"), stop accepting, close each
connection between requests (Mux sessions get Tdrain first), finish the calls in flight (at
most ``shutdown_timeout_s``), run the services' stop hooks, stop the extensions (last
started, first stopped), exit 0. A second signal exits at once.

SIGHUP reads the TLS certificates again (`framework.tls`): new connections use them,
established ones carry on. With ``workers`` above 1, `assemble` returns a
`framework.workers.Supervisor` instead: the same lifecycle, its services in worker processes.

Everything that lives beside the services for the life of the process (the admin port, the
ZooKeeper announcer, an embedded ZooKeeper, span exporters) is an `Extension`.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence, TextIO

from . import access, tls
from .access_log import access_log
from .admission import admission_control
from .config import Settings
from .connections import Limits, raise_descriptor_limit
from .dtab import set_base_dtab
from .errors import ConfigError
from .filters import Filter
from .http_port import HttpPort
from .rest.app import RestApp
from .service import Service, default_executor
from .thrift import header, json_protocol
from .thrift.mux import sniff as mux_sniff
from .thrift.server import ServerOptions, ThriftServer

__all__ = ["Host", "assemble", "host_filters", "IN_USE", "Endpoints", "Extension", "bind_socket", "bound", "port_is_free", "configure_logging"]

log = logging.getLogger("aviary.host")

# Every dialect a Thrift port detects beside plain binary/compact, framed or not (the first
# to claim a connection's first bytes wins); over HTTP the same, less Mux (a session protocol).
THRIFT_SNIFFERS = (json_protocol.sniff, header.sniff, mux_sniff)
HTTP_SNIFFERS = (json_protocol.sniff, header.sniff)
IN_USE = " (another process listens there, perhaps an aviary still running)"


def configure_logging(level: str = "info") -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_aviary", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        from .tracing import TraceLogFilter

        # %(trace)s: " trace=<id>" on every line logged inside a call, so a call's lines can be found
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s%(trace)s: %(message)s"))
        handler.addFilter(TraceLogFilter())
        handler._aviary = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn narrates its own start and stop at INFO; Aviary says what matters on stdout.
    logging.getLogger("uvicorn.error").setLevel(max(logging.WARNING, root.level))


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

    async def start(self, host: Host) -> None: ...

    async def drain(self, host: Host) -> bool: ...

    async def stop(self, host: Host) -> None: ...


class _Running:
    """A started service: its two ports."""

    def __init__(self, service: Service, thrift: ThriftServer | None, http: HttpPort, over_http: ThriftServer | None = None) -> None:
        self.service = service
        self.thrift = thrift
        self.over_http = over_http  # Thrift over the HTTP port: drained for its oneway calls
        self.http = http


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
        set_base_dtab(settings.dtab)  # what clients bind logical destinations (/s/…) through
        self.services = services
        self.out = out or sys.stdout
        self.extensions = list(extensions)
        self.filters = list(filters)  # host filters: run before each service's own, on every call
        self.endpoints: dict[str, Endpoints] = {}
        self.running: list[_Running] = []
        self._started: list[Extension] = []
        self._stopping = False
        self._stop_requested = asyncio.Event()
        self._in_run = False
        self.started_at = 0.0  # time.time() once every port listens
        self.reuse_port = False  # True in the worker processes of a `framework.workers.Supervisor`

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
    def on_every_interface(self) -> bool:
        """Whether ``bind`` is a wildcard: the ports are open to other hosts."""
        bind = self.settings.bind
        if bind == "":
            return True
        try:
            return ipaddress.ip_address(bind).is_unspecified
        except ValueError:  # a host name: one interface's address
            return False

    # -- ports -------------------------------------------------------------------------------------
    def _ports_for(self, index: int, service: Service, taken: set[int], own_thrift: bool = True) -> dict[str, int]:
        own = self.settings.service(service.name, service.declared_settings)  # a plugin's own settings are known too
        out = {}
        for kind in ("thrift", "http") if own_thrift else ("http",):
            explicit = own.get(f"{kind}_port")
            base = getattr(self.settings, f"{kind}_port")
            if explicit is not None:
                out[kind] = explicit
            elif index == 0 or base == 0:
                out[kind] = base
            else:  # later services: the next free port above the first service's
                p = base + index
                while p in taken or not port_is_free(self.settings.bind, p):
                    p += 1
                out[kind] = p
            if out[kind]:
                taken.add(out[kind])
        return out

    def _bind(self, service: Service, kind: str, port: int, *, listen: bool = True) -> socket.socket:
        try:
            return bind_socket(self.settings.bind, port, reuse_port=self.reuse_port, listen=listen)
        except OSError as e:
            setting = f"services.{service.name}.{kind}_port"
            if e.errno == errno.EADDRINUSE:
                raise ConfigError(setting, f"port {port} on {self.settings.bind} is already in use{IN_USE}: stop that, or choose another port with --{kind}-port N or --set {service.name}.{kind}_port=N (0: any free port)") from None
            raise ConfigError(setting, f"cannot listen on {self.settings.bind}:{port}: {e.strerror}") from None

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        raise_descriptor_limit()  # before any port opens (framework.connections)
        await self.start_services()
        self.started_at = time.time()
        for ext in self.extensions:
            await ext.start(self)
            self._started.append(ext)
        for eps in self.endpoints.values():
            self.say(f"ready {eps.service} " + " ".join(f"{k}={h}:{p}" for k, (h, p) in eps.ports.items()))
        if self.on_every_interface and not self.reuse_port:  # said once per host, not by each worker
            self.say(
                f"listening on every interface (bind = {self.settings.bind or '0.0.0.0'}): these ports are open to other hosts; "
                "admin endpoints that change the process answer loopback and admin_allow only"
            )

    async def start_services(self) -> None:
        """Start every service on its ports and fill `endpoints`. (A `Supervisor` overrides
        this and the matching `stop_services`: its services run in worker processes.)

        A service whose ``share_thrift_port`` names another is served on that one's Thrift
        port: multiplexed callers (``Service:method``) reach either, plain callers the port's
        own service. Each keeps its own HTTP port, REST routes and ZooKeeper path."""
        s = self.settings
        executor = default_executor(s.handler_threads)
        ssl_context = tls.server_context(s)  # before any port opens: a bad certificate stops start-up
        taken: set[int] = set()
        owners = self._thrift_port_owners()
        chains = {}
        for service in self.services:
            await service.start()
            chains[service.name] = service.chain(self.filters, executor=executor)
        groups: dict[str, tuple[tuple[Service, Any], ...]] = {}
        for service in self.services:
            owner = owners[service.name]
            groups[owner] = (*groups.get(owner, ()), (service, chains[service.name]))
        options = ServerOptions(max_frame_bytes=s.max_frame_bytes, stall_timeout_s=s.stall_timeout_s, sniffers=THRIFT_SNIFFERS, limits=Limits.of(s))
        http_options = ServerOptions(max_frame_bytes=s.max_frame_bytes, stall_timeout_s=s.stall_timeout_s, sniffers=HTTP_SNIFFERS, upgrade=False)
        thrift_ports: dict[str, tuple[str, int]] = {}  # owner -> where its Thrift port is bound
        for index, service in enumerate(self.services):
            ports = self._ports_for(index, service, taken, own_thrift=owners[service.name] == service.name)
            chain = chains[service.name]
            others = tuple(g for g in groups[owners[service.name]] if g[0] is not service)
            thrift: ThriftServer | None = None
            if owners[service.name] == service.name:
                thrift_sock = self._bind(service, "thrift", ports["thrift"])
                thrift = ThriftServer(service, chain, options, shared=others)
                await thrift.start(thrift_sock, ssl=ssl_context)
                thrift_ports[service.name] = bound(thrift_sock)
            http_sock = self._bind(service, "http", ports["http"])
            # Thrift over HTTP on the service's HTTP port: plain callers reach this service.
            over_http = ThriftServer(service, chain, http_options, shared=others)
            app = RestApp(service, chain, max_body_bytes=s.max_body_bytes, stall_timeout_s=s.stall_timeout_s, max_json_depth=s.max_json_depth, thrift=over_http)
            http = HttpPort(app, s, "srv", service.name, "http")
            await http.start(http_sock)
            self.running.append(_Running(service, thrift, http, over_http))
            eps = Endpoints(service.name, {"thrift": thrift_ports[owners[service.name]], "http": bound(http_sock)})
            self.endpoints[service.name] = eps

    def _thrift_port_owners(self) -> dict[str, str]:
        """Each service's Thrift port owner: itself, or the service its ``share_thrift_port``
        names (which must be an earlier service of this host that owns its port)."""
        owners: dict[str, str] = {}
        for service in self.services:
            shared = self.settings.service_setting(service.name, "share_thrift_port")
            if shared is None or shared == service.name:
                owners[service.name] = service.name
                continue
            setting = f"services.{service.name}.share_thrift_port"
            if shared not in owners:
                known = ", ".join(owners) or "none"
                raise ConfigError(setting, f"{shared!r} is not a service started before {service.name!r} in this host (earlier services: {known})")
            if owners[shared] != shared:
                raise ConfigError(setting, f"{shared!r} shares {owners[shared]!r}'s port itself: name {owners[shared]!r}")
            if self.settings.service_setting(service.name, "thrift_port") is not None:
                raise ConfigError(setting, "a service that shares another's Thrift port has no thrift_port of its own")
            owners[service.name] = shared
        return owners

    def request_stop(self, why: str = "stop requested") -> None:
        """Shut down as SIGTERM does (drain, finish calls, exit 0), from anywhere on the loop:
        the admin port's ``/quitquitquit`` calls this."""
        if self._stopping or self._stop_requested.is_set():
            return
        self.say(f"{why}: shutting down")
        self._stop_requested.set()
        if not self._in_run:  # a host driven without run() (tests): stop it directly
            asyncio.get_running_loop().create_task(self.stop())

    def begin_drain(self) -> None:
        """The drain starts: HTTP responses say ``Connection: close`` from now on, so keep-alive
        callers reconnect, and find other members, while this one still serves."""
        for r in self.running:
            r.http.drain()

    async def stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        self.begin_drain()
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
        await self.stop_services()
        for ext in reversed(self._started):
            try:
                await ext.stop(self)
            except Exception:
                log.exception("stopping %s failed", ext.name)
        self._started.clear()
        self.say("stopped")

    async def stop_services(self) -> None:
        """Stop accepting, finish the calls in flight, run the services' stop hooks."""
        for r in self.running:
            if r.thrift is not None:
                r.thrift.close()
            r.http.close()
        self.say("stopping: ports closed to new connections, finishing calls in flight")
        await asyncio.gather(*(self._stop_one(r, self.settings.shutdown_timeout_s) for r in self.running))
        for r in reversed(self.running):
            await r.service.stop()

    async def _stop_one(self, r: _Running, timeout: float) -> None:
        drains = [t.drain(timeout) for t in (r.thrift, r.over_http) if t is not None]
        await asyncio.gather(*drains, r.http.stop(), return_exceptions=True)

    def reload(self) -> None:
        """SIGHUP: read the TLS certificate, key and CA files again. New connections use them;
        established ones carry on. Files that do not load leave the old ones in use."""
        try:
            done = tls.reload(self.settings)
        except ConfigError as e:
            self.say(f"SIGHUP: reload failed, nothing changed: {e}")
            return
        self.say("SIGHUP: reloaded TLS certificates" if done else "SIGHUP: no TLS certificates in use here")

    async def run(self) -> int:
        """Start, wait for SIGTERM/SIGINT, stop. Returns the exit status."""
        loop = asyncio.get_running_loop()
        stop = self._stop_requested
        self._in_run = True
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
        loop.add_signal_handler(signal.SIGHUP, self.reload)
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        await stop.wait()
        await self.stop()
        return 0


def assemble(settings: Settings, services: list[Service], *, out: TextIO | None = None, worker: bool = False) -> Host:
    """The host `aviary run` builds: the services plus the standard extensions and host
    filters the settings ask for. Tests build theirs the same way.

    With more than one worker (setting ``workers``) it is a `framework.workers.Supervisor`,
    which runs the extensions and forks the serving processes; each of those builds its host
    here with ``worker=True``: the same filters, no extensions (the supervisor runs them)."""
    from . import workers  # here: workers.Supervisor is a Host, so that module imports this one
    from .admin import AdminServer

    # Per process: the span exporter sends what this process's filters record.
    filters, local = host_filters(settings, services)
    if worker:
        host = Host(settings, services, extensions=local, filters=filters, out=out)
        host.reuse_port = True
        return host
    # Once per host: an embedded ZooKeeper first, so it stops last (after the services, the
    # announcer and the admin port, whose dashboard reads it until the end); then the admin
    # port, then the announcer (the admin port is up before the member appears).
    zookeeper, announcer = _discovery_extensions(settings)
    extensions = [*zookeeper, *local, AdminServer(), *announcer]
    if workers.count(settings) > 1:
        return workers.Supervisor(settings, services, extensions=extensions, filters=filters, out=out)
    return Host(settings, services, extensions=extensions, filters=filters, out=out)


def host_filters(settings: Settings, services: list[Service]) -> tuple[list[Filter], list[Extension]]:
    """The filters the host runs before each service's own on every call (telemetry, access
    log, deadline, allow-lists), and the extensions they need (a span exporter): what
    `assemble` serves with, and what `framework.testing.call` runs a call through."""
    from .tracing import DeadlineFilter, SpanExporter

    local: list[Extension] = []
    filters: list[Filter] = []
    if settings.telemetry:
        from .telemetry import TelemetryFilter

        exporter = SpanExporter(settings.zipkin_url, settings.trace_scribe) if (settings.zipkin_url or settings.trace_scribe) else None
        if exporter is not None:
            local.append(exporter)
        filters.append(TelemetryFilter(settings.trace_sample_rate, exporter))
    logged = access_log(settings, services)  # inside the trace (its lines carry trace=), outside refusals (they are logged)
    if logged is not None:
        filters.append(logged)
    filters.append(DeadlineFilter())
    admission = admission_control(settings, services)  # after the observing filters: a refusal is counted and traced
    if admission is not None:
        filters.append(admission)
    allow = access.allow_lists(settings, services)  # after the observing filters: a refusal is counted and traced
    if allow is not None:
        filters.append(allow)
    return filters, local


def _discovery_extensions(settings: Settings) -> tuple[list[Extension], list[Extension]]:
    """(embedded ZooKeeper, announcer). None of either with ``zk = "none"``; with ``zk =
    "embedded"`` a real ZooKeeper (on ``zk_embedded_port``) and the announcer registering in
    it; otherwise the announcer for the given hosts."""
    if settings.zk == "none":
        return [], []
    from .discovery.announcer import Announcer

    if settings.zk == "embedded":
        from .discovery.embedded import EmbeddedExtension, EmbeddedZooKeeper

        embedded = EmbeddedExtension(EmbeddedZooKeeper(client_port=settings.zk_embedded_port))
        return [embedded], [Announcer(settings, lambda: embedded.hosts)]
    return [], [Announcer(settings, settings.zk)]
