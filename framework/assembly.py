"""Assembling a process: the host `aviary run` serves, with the standard extensions and filters.

`assemble` is where the layers meet: services and their transports (`framework.host`), the worker
supervisor (`framework.workers`), discovery, the admin port and the host filters. It sits above
all of them, so none of them imports another to put the process together.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from typing import TextIO

from . import access, workers
from .access_log import access_log
from .admission import admission_control
from .config import Settings
from .errors import AviaryError
from .filters import Filter
from .host import Host
from .hosting import Extension
from .service import Service

__all__ = ["assemble", "host_filters", "configure_logging", "worker_main"]


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


def assemble(settings: Settings, services: list[Service], *, out: TextIO | None = None, worker: bool = False) -> Host:
    """The host `aviary run` builds: the services plus the standard extensions and host
    filters the settings ask for. Tests build theirs the same way.

    With more than one worker (setting ``workers``) it is a `framework.workers.Supervisor`,
    which runs the extensions and forks the serving processes; each of those builds its host
    here with ``worker=True``: the same filters, no extensions (the supervisor runs them)."""
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


def worker_main() -> int:
    """A worker process: read the spec from stdin, serve until SIGTERM or until stdin closes
    (the supervisor is gone). SIGINT is ignored: Ctrl-C reaches the whole process group, and
    the supervisor decides the order of the shutdown."""
    import uvloop

    from . import plugins

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    spec = json.loads(sys.stdin.buffer.readline())
    settings = Settings(spec["settings"], spec["services"], spec["sources"])
    configure_logging(settings.log_level)
    try:
        services = [plugins.create(name, settings) for name in spec["plugins"]]
        host = assemble(settings, services, worker=True)
        return uvloop.run(workers.serve_worker(host))
    except AviaryError as e:
        print(f"aviary worker: {e}", file=sys.stderr)
        return 2
