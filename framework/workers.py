"""Workers: N serving processes on the same ports, under one supervisor.

``aviary run … --workers N`` (setting ``workers``; the default is 1, no supervisor; ``auto`` or
0 means one per core) makes the process a `Supervisor`:

* it claims every port first (bound, not listening: port 0 becomes a real port here), then
  starts N workers, fresh interpreters (``fork`` + ``exec``: nothing of the supervisor's event
  loop or threads leaks into them), which each listen on those ports with ``SO_REUSEPORT``; the
  kernel spreads new connections over them;
* **extensions run in the supervisor, services in the workers.** The ZooKeeper announcer, the
  admin port and any other `Extension` run once per host, so there is one announcement per
  host:port; each worker builds its host with ``assemble(..., worker=True)``: the same filters,
  no extensions;
* the ``ready`` lines are printed once, by the supervisor, when every worker listens;
* SIGTERM/SIGINT: the extensions drain (withdraw from ZooKeeper), every worker is told so (its
  HTTP responses say ``Connection: close``), ``drain_grace_s`` passes, then every worker gets
  SIGTERM and drains its calls in flight; exit 0 when all exited cleanly;
* SIGHUP reaches every worker (each reloads its TLS certificates), and the supervisor's own
  ports (the admin port);
* a worker that dies is restarted (after a short backoff if it keeps dying); its lines on
  stdout are relayed as ``worker N: …``.

A service that must run in one process only (``Service.one_process``: the event log, whose
write-ahead log has one writer) is served by worker 1 alone; the host's other services run in
every worker. When every service is such, the host has one worker.

Workers rebuild the services from their plugin names (``service.plugin``), so a service built
in code rather than by name (`framework.plugins.create`) runs with ``workers = 1`` only.
``workers = 1`` means no supervisor and no extra process at all.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys
import time
from typing import Any

from .config import HOST_SETTINGS, Settings
from .errors import AviaryError, ConfigError
from .host import Host
from .hosting import Endpoints, bind_socket, bound
from .metrics import registry
from .recent_errors import recent_errors
from .service import Service

__all__ = ["Supervisor", "count", "serve_worker"]

log = logging.getLogger("aviary.workers")

_READY_TIMEOUT_S = 60.0
_STEADY_S = 10.0  # a worker that lived this long is restarted at once; sooner: with backoff
_MAX_BACKOFF_S = 10.0
# A worker's metrics reach the supervisor (whose admin port shows the host's totals) as a line
# on its stdout, once a second and once more when it stops.
_METRICS = b"metrics "
_METRICS_EVERY_S = 1.0
_DRAIN = b"drain\n"  # supervisor -> worker, on stdin: the drain began


def count(settings: Settings) -> int:
    """Serving processes the settings ask for (``workers = auto``, stored as 0: one per core this
    process may use)."""
    return settings.workers or len(os.sched_getaffinity(0))


class _Worker:
    """One serving process: a fresh interpreter running `framework.assembly.worker_main`."""

    def __init__(self, index: int, spec: bytes, services: int, supervisor: Supervisor) -> None:
        self.index = index
        self.spec = spec
        self.services = services  # how many services it serves: as many ready lines mean ready
        self.supervisor = supervisor
        self.proc: asyncio.subprocess.Process | None = None
        self.ready = asyncio.Event()
        self.started_at = 0.0
        self.backoff = 0.0
        self._reader: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    async def spawn(self) -> None:
        self.ready = asyncio.Event()
        self.started_at = time.monotonic()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "import sys; from framework.assembly import worker_main; sys.exit(worker_main())",
            stdin=asyncio.subprocess.PIPE,  # the spec, then held open: EOF tells the worker we are gone
            stdout=asyncio.subprocess.PIPE,
            stderr=None,  # logs go straight to ours
        )
        assert self.proc.stdin is not None
        self.proc.stdin.write(self.spec + b"\n")
        await self.proc.stdin.drain()
        self._reader = asyncio.get_running_loop().create_task(self._read(self.proc))

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        """The worker's stdout: its ``ready`` lines mark it ready; other lines are relayed."""
        assert proc.stdout is not None
        expect = self.services
        while line := await proc.stdout.readline():
            if line.startswith(_METRICS):
                try:
                    snap = json.loads(line[len(_METRICS) :])
                    recent_errors.absorb(snap.pop("recent_errors", []))
                    registry.absorb(self.source, snap)
                except (ValueError, TypeError):
                    log.warning("worker %d sent unreadable metrics", self.index)
                continue
            text = line.decode(errors="replace").rstrip("\n")
            if text.startswith("ready ") and not self.ready.is_set():
                expect -= 1
                if expect == 0:
                    self.ready.set()
                continue
            self.supervisor.say(f"worker {self.index}: {text}")

    async def wait_ready(self) -> None:
        """Until the worker listens on every port; raises if it exits first."""
        assert self.proc is not None
        exited = asyncio.ensure_future(self.proc.wait())
        ready = asyncio.ensure_future(self.ready.wait())
        try:
            await asyncio.wait({exited, ready}, timeout=_READY_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ready.cancel()
        if not self.ready.is_set():
            exited.cancel()
            if self.proc.returncode is None:
                self.proc.kill()
                raise AviaryError(f"worker {self.index} did not get ready within {_READY_TIMEOUT_S:g}s")
            raise AviaryError(f"worker {self.index} exited ({_status(self.proc.returncode)}) before it was ready; its error is above")
        exited.cancel()

    def tell(self, line: bytes) -> None:
        """A line on the worker's stdin (the spec went first; the pipe stays open)."""
        stdin = self.proc.stdin if self.proc is not None else None
        if stdin is not None and not stdin.is_closing():
            stdin.write(line)

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.returncode is None:
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass

    @property
    def source(self) -> str:
        return f"worker {self.index}"

    async def finished(self) -> int:
        assert self.proc is not None
        rc = await self.proc.wait()
        if self._reader is not None:
            await self._reader  # the worker's last lines (its final metrics among them)
        registry.retire(self.source)
        return rc


def _status(rc: int) -> str:
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit status {rc}"


class Supervisor(Host):
    """A host whose services run in worker processes (see the module's documentation)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # as Host's
        super().__init__(*args, **kwargs)
        services, settings = self.services, self.settings
        unnamed = [s.name for s in services if s.plugin is None]
        if unnamed:
            raise ConfigError("workers", f"{', '.join(unnamed)} was built in code, not by plugin name, so worker processes cannot rebuild it: use workers = 1")
        shared = [s for s in services if not s.one_process]
        self.count = count(settings) if shared else 1
        self.workers: list[_Worker] = []
        self.status = 0
        self._holds: list[socket.socket] = []
        self._watchers: list[asyncio.Task[None]] = []

    # -- ports -------------------------------------------------------------------------------------
    def _claim(self, service: Service, kind: str, port: int) -> tuple[str, int]:
        """Hold `port` for the workers: bound with SO_REUSEPORT, never listening, so the kernel
        hands connections to the workers only. A plain bind first, so a port someone else
        uses (even with SO_REUSEPORT) fails here with the setting named, as without workers."""
        probe = self._bind(service, kind, port, listen=False)
        port = probe.getsockname()[1]
        probe.close()
        held = bind_socket(self.settings.bind, port, reuse_port=True, listen=False)
        self._holds.append(held)
        return bound(held)

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start_services(self) -> None:
        taken: set[int] = set()
        services: dict[str, dict[str, Any]] = {k: dict(v) for k, v in self.settings.services.items()}
        owners = self._thrift_port_owners()
        for index, service in enumerate(self.services):
            own_thrift = owners[service.name] == service.name
            ports = self._ports_for(index, service, taken, own_thrift=own_thrift)
            claimed = {kind: self._claim(service, kind, ports[kind]) for kind in ports}
            services.setdefault(service.name, {}).update({f"{k}_port": p for k, (_, p) in claimed.items()})
            if not own_thrift:  # served on its owner's port (claimed above: owners come first)
                claimed = {"thrift": self.endpoints[owners[service.name]].ports["thrift"], **claimed}
            self.endpoints[service.name] = Endpoints(service.name, claimed)

        def spec(plugins: list[str | None]) -> bytes:
            return json.dumps(
                {
                    "settings": {**{s.name: getattr(self.settings, s.name) for s in HOST_SETTINGS}, "workers": 1},
                    "services": services,
                    "sources": self.settings.sources,
                    "plugins": plugins,
                },
                default=str,
            ).encode()

        every = [s.plugin for s in self.services]
        shared = [s.plugin for s in self.services if not s.one_process]
        self.workers = [_Worker(1, spec(every), len(every), self)]
        self.workers += [_Worker(i + 1, spec(shared), len(shared), self) for i in range(1, self.count)]
        for w in self.workers:
            await w.spawn()
        await asyncio.gather(*(w.wait_ready() for w in self.workers))
        pids = ", ".join(str(w.pid) for w in self.workers)
        single = [s.name for s in self.services if s.one_process]
        alone = f"; {', '.join(single)} in worker 1 only (one process by design)" if single else ""
        self.say(f"workers: {self.count} serving processes (pids {pids}){alone}")
        loop = asyncio.get_running_loop()
        self._watchers = [loop.create_task(self._watch(w)) for w in self.workers]

    async def _watch(self, w: _Worker) -> None:
        """Restart `w` whenever it dies, until the supervisor stops."""
        while True:
            rc = await w.finished()
            if self._stopping:
                return
            lived = time.monotonic() - w.started_at
            w.backoff = 0.0 if lived >= _STEADY_S else min(max(w.backoff * 2, 0.5), _MAX_BACKOFF_S)
            self.say(f"worker {w.index} (pid {w.pid}) exited ({_status(rc)}); restarting" + (f" in {w.backoff:g}s" if w.backoff else ""))
            await asyncio.sleep(w.backoff)
            if self._stopping:
                return
            try:
                await w.spawn()
                await w.wait_ready()
            except AviaryError as e:
                log.error("%s", e)
                continue
            self.say(f"worker {w.index} restarted (pid {w.pid})")

    async def stop_services(self) -> None:
        self.say(f"stopping: {len(self.workers)} workers finish their calls in flight")
        for t in self._watchers:
            t.cancel()
        for w in self.workers:
            w.signal(signal.SIGTERM)
        timeout = self.settings.shutdown_timeout_s + 5
        results = await asyncio.gather(*(asyncio.wait_for(w.finished(), timeout) for w in self.workers if w.proc), return_exceptions=True)
        for w, rc in zip([w for w in self.workers if w.proc], results):
            if isinstance(rc, BaseException):
                log.error("worker %d (pid %s) did not stop within %gs: killed", w.index, w.pid, timeout)
                w.signal(signal.SIGKILL)
                self.status = 1
            elif rc != 0:
                log.error("worker %d (pid %s) ended with %s", w.index, w.pid, _status(rc))
                self.status = 1
        for sock in self._holds:
            sock.close()
        self._holds.clear()

    def begin_drain(self) -> None:
        """Tell every worker the drain began (a line on its stdin): its HTTP responses say
        ``Connection: close`` through the grace period, before its SIGTERM."""
        super().begin_drain()
        for w in self.workers:
            w.tell(_DRAIN)

    def reload(self) -> None:
        super().reload()  # the supervisor's own ports (the admin port)
        for w in self.workers:
            w.signal(signal.SIGHUP)

    async def run(self) -> int:
        rc = await super().run()
        return rc or self.status


# -- inside a worker ---------------------------------------------------------------------------------


async def serve_worker(host: Host) -> int:
    """Serve `host` in a worker process until SIGTERM or until the supervisor is gone."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGHUP, host.reload)
    orphaned = loop.create_task(_from_supervisor(host, stop))
    try:
        await host.start()
    except BaseException:
        await host.stop()
        raise
    reporter = loop.create_task(_report_metrics())
    await stop.wait()
    orphaned.cancel()
    reporter.cancel()
    await host.stop()
    _send_metrics()  # the calls finished while draining count too
    return 0


_errors_sent = 0  # how many of this worker's recent errors the supervisor has had


def _send_metrics() -> None:
    """The metrics line: this worker's registry, and the internal errors it has not sent yet."""
    global _errors_sent
    snap = registry.snapshot()
    snap["recent_errors"], _errors_sent = recent_errors.since(_errors_sent), recent_errors.total
    print(_METRICS.decode() + json.dumps(snap, separators=(",", ":")), flush=True)


async def _report_metrics() -> None:
    while True:
        _send_metrics()
        await asyncio.sleep(_METRICS_EVERY_S)


async def _from_supervisor(host: Host, stop: asyncio.Event) -> None:
    """Lines from the supervisor on stdin: ``drain`` starts the drain (`Host.begin_drain`);
    the end of the pipe (the supervisor is gone) sets `stop`."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        if line == _DRAIN:
            host.begin_drain()
    log.warning("the supervisor is gone: draining")
    stop.set()
