"""``aviary dev`` (what ``make run`` runs): the example services in one process, ready to poke.

It runs echo, eventlog and mock (mimicking echo's IDL, announced under its own path) in one
host with an embedded ZooKeeper, sends echo's access log to the event log through the event
log's Python ``LoggingHandler``, and prints where to look::

    aviary dev                          # ports 9999/8888 for echo, the next free ones after
    aviary dev --http-port 0 --set …    # the flags of `aviary run` (but --workers) override
    aviary dev --reload                 # restart on changes to the services' .py and .thrift files

Its settings go through the one loader (`framework.config.load`) with this command's defaults
under the file, environment and flags: ZooKeeper embedded (on 2181 when that is free), env
``dev``, loopback only, echo's ``access_log`` on, the event log's data in a temporary
directory, the mock on ``echo.thrift``. It always runs one process: the log handler lives
beside echo's handler. Ctrl-C drains and stops it all, ZooKeeper last, and exits 0.

It lives in ``services`` (entry point ``dev`` in ``aviary.commands``) because it knows these
plugins' pages; ``framework`` never imports ``services``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shlex
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from framework.access_log import LOGGER as ACCESS_LOGGER
from framework.cli import add_run_flags, flags_from, reload_or_check

if TYPE_CHECKING:
    from framework.config import Settings
    from framework.host import Host

    from .eventlog.client import LoggingHandler

__all__ = ["add_command", "run", "SERVICES", "defaults"]

SERVICES = ("echo", "eventlog", "mock")
ZOOKEEPER_PORT = 2181  # ZooKeeper's own default: what a person's other tools expect
EXAMPLE_CALL = ("repeat", '{"text": "hi", "times": 2}')


def add_command(sub: Any) -> None:
    """Entry point ``dev`` in ``aviary.commands``: adds ``aviary dev`` to the parser."""
    p = sub.add_parser("dev", help="run echo, eventlog and mock with an embedded ZooKeeper, and print where to look (make run)")
    add_run_flags(p, workers=False)
    p.set_defaults(fn=run)


def defaults(data_dir: Path) -> dict[str, Any]:
    """This command's settings under the file, environment and flags."""
    from framework.hosting import port_is_free  # here: every `aviary` command loads this module

    return {
        "zk": "embedded",
        "zk_embedded_port": ZOOKEEPER_PORT if port_is_free("127.0.0.1", ZOOKEEPER_PORT) else 0,
        "env": "dev",
        "bind": "127.0.0.1",  # a laptop's demo: nothing listens beyond this machine unless asked
        "drain_grace_s": 0,  # and Ctrl-C stops it at once: no callers elsewhere to wait for
        "log_level": "info",
        "services.echo.access_log": True,
        "services.eventlog.data_dir": str(data_dir),
        "services.mock.idl": "echo.thrift",  # the mock mimics echo, at /aviary/dev/mock
    }


def run(args: argparse.Namespace) -> int:
    import uvloop

    from framework import config, plugins
    from framework.assembly import assemble, configure_logging

    with tempfile.TemporaryDirectory(prefix="aviary-dev-") as tmp:
        # workers is forced: echo's log handler must live in the process that serves echo
        configure_logging()  # before the settings load: an ignored AVIARY_* variable is logged like any line
        settings = config.load(args.config, flags={**flags_from(args), "workers": 1}, defaults=defaults(Path(tmp) / "eventlog"))
        configure_logging(settings.log_level)
        done = reload_or_check(args, settings, SERVICES)  # --reload: each new process has its own data dir
        if done is not None:
            return done
        host = assemble(settings, [plugins.create(name, settings) for name in SERVICES])
        host.extensions.append(DevConsole(settings, _program()))
        return int(uvloop.run(host.run()))


class DevConsole:
    """The dev command's part of the host (a `framework.hosting.Extension`): once every port
    listens, send echo's access log to the event log and print where to look; on drain, flush
    what is queued while the event log still serves."""

    name = "dev"

    def __init__(self, settings: Settings, program: str) -> None:
        self.settings = settings
        self.program = program
        self.handler: LoggingHandler | None = None

    async def start(self, host: Host) -> None:
        from .eventlog.client import EventLogClient, LoggingHandler

        h, p = host.endpoints["eventlog"].ports["http"]
        self.handler = LoggingHandler(EventLogClient(f"http://{h}:{p}", service="aviary-dev", flush_interval_s=0.1))
        logging.getLogger(ACCESS_LOGGER).addHandler(self.handler)
        # The host prints its `ready` lines right after the last extension starts, without
        # yielding; this runs once it yields, so the block is the last thing on the screen.
        asyncio.get_running_loop().call_soon(host.say, self.block(host))

    async def drain(self, host: Host) -> bool:
        handler, self.handler = self.handler, None
        if handler is not None:
            logging.getLogger(ACCESS_LOGGER).removeHandler(handler)
            await asyncio.to_thread(handler.close)  # flushes to the event log, which still serves
        return False

    async def stop(self, host: Host) -> None:
        await self.drain(host)

    def block(self, host: Host) -> str:
        """What a person needs: the pages, the ZooKeeper, a call to paste."""
        from framework.discovery.announcer import serverset_path

        def url(service: str, path: str) -> str:
            h, p = host.endpoints[service].ports["http"]
            return f"http://{h}:{p}{path}"

        zk = self.settings.zk
        if zk == "embedded":
            zk = next(e for e in host.extensions if e.name == "zookeeper").hosts  # type: ignore[attr-defined]
        idl: list[str] = []
        if zk == "none":  # no discovery: call echo's Thrift port directly, naming its IDL (no member announces it)
            h, p = host.endpoints["echo"].ports["thrift"]
            echo, where = f"inet!{h}:{p}", "none (--zk none)"
            idl = ["--idl", str(next(s for s in host.services if s.name == "echo").idl.path)]
        else:
            echo = f"zk2!{zk}!{serverset_path(self.settings, 'echo')}"
            where = f"{zk}   (echo at {serverset_path(self.settings, 'echo')}, mock at {serverset_path(self.settings, 'mock')})"
        method, body = EXAMPLE_CALL
        rows = [
            *((f"{s} docs", url(s, "/docs")) for s in SERVICES),
            ("admin dashboard", url("admin", "/admin")),
            ("event log", url("eventlog", "/eventlog/") + '   (echo\'s calls: {service="echo"})'),
            ("mock admin UI", url("mock", "/__admin/ui")),
            ("zookeeper", where),
            ("try", shlex.join([self.program, "call", *idl, echo, method, body])),
        ]
        width = max(len(k) for k, _ in rows)
        lines = [f"aviary dev: {', '.join(SERVICES)} are up; Ctrl-C stops everything", *(f"  {k.ljust(width)}  {v}" for k, v in rows)]
        return "\n".join(lines)


def _program() -> str:
    """How to run `aviary` again from this shell: ``aviary`` when that is this program on the
    PATH, else the path this one was started by (``.venv/bin/aviary`` under ``make run``)."""
    me = Path(sys.argv[0])
    if me.name != "aviary":
        return "aviary"
    found = shutil.which("aviary")
    if found is not None and Path(found).resolve() == me.resolve():
        return "aviary"
    return str(me)
