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
`framework.workers.Supervisor` instead (`framework.assembly`): the same lifecycle, its services in worker processes.

Everything that lives beside the services for the life of the process (the admin port, the
ZooKeeper announcer, an embedded ZooKeeper, span exporters) is an `Extension`.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import ipaddress
import logging
import os
import signal
import socket
import sys
import time
from typing import Any, Sequence, TextIO

from . import tls
from .config import Settings
from .connections import Limits, raise_descriptor_limit
from .dtab import set_base_dtab
from .errors import ConfigError
from .filters import Filter
from .hosting import IN_USE, Endpoints, Extension, bind_socket, bound, port_is_free
from .http_port import HttpPort
from .rest.app import RestApp
from .rest.fast import fast_protocol
from .service import Service, default_executor
from .thrift import header, json_protocol
from .thrift.mux import sniff as mux_sniff
from .thrift.http import ThriftOverHttp
from .thrift.server import ServerOptions, ThriftServer

__all__ = ["Host"]

log = logging.getLogger("aviary.host")

# Every dialect a Thrift port detects beside plain binary/compact, framed or not (the first
# to claim a connection's first bytes wins); over HTTP the same, less Mux (a session protocol).
THRIFT_SNIFFERS = (json_protocol.sniff, header.sniff, mux_sniff)
HTTP_SNIFFERS = (json_protocol.sniff, header.sniff)


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
            app = RestApp(service, chain, max_body_bytes=s.max_body_bytes, stall_timeout_s=s.stall_timeout_s, max_json_depth=s.max_json_depth, thrift=ThriftOverHttp(over_http))
            fast = (lambda base, app=app: functools.partial(fast_protocol(base), rest=app)) if s.rest_fast_path else None
            http = HttpPort(app, s, "srv", service.name, "http", protocol=fast)
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
