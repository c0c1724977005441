"""``aviary run … --reload`` (and ``aviary dev --reload``): serve, and serve again on every change.

The command runs as a supervisor that serves nothing itself: it starts the same command
without ``--reload`` as a child process and watches (watchfiles) the package of each service's
factory and its IDL files. When a ``.py`` or ``.thrift`` there changes it first *checks* the
new code in a separate process (the same command with ``--check``: the services are built,
their IDL loaded and their handlers bound, no port opened). If that fails, the error is
printed and the running child keeps serving. If it passes, the running child is stopped as
SIGTERM stops it (it withdraws from ZooKeeper, finishes its calls) and only then a new one is
started, so the ZooKeeper member is replaced, not duplicated, and fixed ports are free again.

With ``zk = "embedded"`` the supervisor runs the embedded ZooKeeper itself and hands the child
its address, so discovery state (and a person's zkCli session) survives reloads.
"""

from __future__ import annotations

import importlib.util
import shutil
import signal
import subprocess
import sys
import threading
from functools import partial
from pathlib import Path
from typing import Any, Sequence, TextIO

from .config import Settings
from .discovery.embedded import die_with_parent
from .errors import DefinitionError

__all__ = ["Reloader", "package_dir", "idl_files", "CHECKED"]

CHECKED = "checked"  # `--check` prints "checked <service> idl=<path>" per service
WATCHED_SUFFIXES = (".py", ".thrift")


def package_dir(service: str) -> Path:
    """The directory of the package (or module) a service's factory lives in: what
    ``--reload`` watches. `service` is an installed name or ``package.module:function``."""
    from . import plugins

    if ":" in service:
        module = service.partition(":")[0]
    else:
        ep = plugins.available().get(service)
        if ep is None:
            plugins.factory(service)  # raises the error naming what is installed
            raise AssertionError("unreachable")
        module = ep.value.partition(":")[0].strip()
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError) as e:
        raise DefinitionError(f"cannot find the module {module!r} of service {service!r}: {e}") from None
    if spec is None:
        raise DefinitionError(f"cannot find the module {module!r} of service {service!r} (is it installed, or on PYTHONPATH?)")
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))).resolve()
    assert spec.origin is not None
    return Path(spec.origin).resolve().parent


def idl_files(module: Any) -> list[str]:
    """A loaded IDL's file and every file it includes (thriftpy2 records both), in order."""
    out: list[str] = []
    todo = [module]
    while todo:
        m = todo.pop(0)
        path = getattr(m, "__thrift_file__", None)
        if path and path not in out:
            out.append(path)
            todo.extend(getattr(m, "__thrift_meta__", {}).get("includes", []))
    return out


def _aviary() -> list[str]:
    """How to run this same `aviary` again."""
    script = shutil.which("aviary", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "framework.cli"]


class Reloader:
    """Runs ``aviary ARGV`` as a child and restarts it on changes (see the module's text).
    `argv` is the command line without ``--reload``; `services` the names it serves."""

    def __init__(self, argv: Sequence[str], services: Sequence[str], settings: Settings, *, out: TextIO | None = None, debounce_ms: int = 300) -> None:
        self.argv = list(argv)
        self.services = list(services)
        self.settings = settings
        self.out = out or sys.stdout
        self.debounce_ms = debounce_ms
        self.packages = [package_dir(s) for s in self.services]
        self.idl_files: set[Path] = set()
        self.child: subprocess.Popen[bytes] | None = None
        self.stop_requested = threading.Event()
        self._zookeeper: Any = None
        self._reported_exit = False

    def say(self, line: str) -> None:
        print(f"reload: {line}", file=self.out, flush=True)

    # -- the child -----------------------------------------------------------------------------
    def check(self) -> bool:
        """Whether the code on disk builds the services; the error is printed if not. Learns
        the IDL files to watch from what it prints."""
        done = subprocess.run([*_aviary(), *self.argv, "--check"], capture_output=True, text=True)
        if done.returncode != 0:
            error = (done.stderr.strip() or done.stdout.strip() or f"exit status {done.returncode}").splitlines()
            for line in error[-20:]:  # a traceback's end says what is wrong
                self.say(line)
            return False
        for line in done.stdout.splitlines():
            parts = line.split()
            if parts[:1] == [CHECKED]:
                self.idl_files.update(Path(p.partition("=")[2]).resolve() for p in parts[2:] if p.startswith("idl="))
        return True

    def start(self) -> None:
        self.child = subprocess.Popen(
            [*_aviary(), *self.argv],
            start_new_session=True,  # Ctrl-C reaches the supervisor, which stops the child once
            preexec_fn=partial(die_with_parent, signal.SIGTERM) if sys.platform.startswith("linux") else None,
        )
        self._reported_exit = False

    def stop_child(self, timeout: float = 120) -> None:
        child, self.child = self.child, None
        if child is None or child.poll() is not None:
            return
        child.send_signal(signal.SIGTERM)  # drains: withdrawn from ZooKeeper before its ports close
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            self.say(f"the old process did not stop within {timeout:g}s; killing it")
            child.kill()
            child.wait()

    # -- watching ------------------------------------------------------------------------------
    def relevant(self, path: str) -> bool:
        p = Path(path)
        if p.suffix not in WATCHED_SUFFIXES or "__pycache__" in p.parts:
            return False
        resolved = p.resolve()
        return resolved in self.idl_files or any(resolved.is_relative_to(d) for d in self.packages)

    def roots(self) -> list[Path]:
        dirs = {*self.packages, *(f.parent for f in self.idl_files)}
        return sorted(d for d in dirs if not any(d != o and d.is_relative_to(o) for o in dirs))

    def run(self) -> int:
        import logging

        import watchfiles

        logging.getLogger("watchfiles").setLevel(logging.WARNING)  # it logs every change at INFO; we say which files

        def on_signal(sig: int, _frame: Any) -> None:
            self.stop_requested.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, on_signal)
        if self.settings.zk == "embedded":  # one ZooKeeper for every child, so reloads keep it
            from .discovery.embedded import EmbeddedZooKeeper

            self._zookeeper = EmbeddedZooKeeper(client_port=self.settings.zk_embedded_port).start()
            self.argv += ["--zk", self._zookeeper.hosts]
            self.say(f"embedded ZooKeeper at {self._zookeeper.hosts}, kept across reloads")
        watcher = None
        try:
            # The watcher exists before each check, so a save made while checking or restarting
            # is never missed (watchfiles keeps what changes between two reads).
            watcher, roots = self._watcher(watchfiles), self.roots()
            ok = self.check()
            if self.roots() != roots:  # the check found IDL files outside the packages: watch them too
                watcher.close()
                watcher, roots = self._watcher(watchfiles), self.roots()
                ok = self.check()
            if ok:
                self.start()
            else:
                self.say("waiting for a change that fixes it")
            self.say("watching " + ", ".join(map(str, roots)) + " for changes to .py and .thrift files")
            while not self.stop_requested.is_set():
                changed = self._next_change(watcher)
                if changed is None:
                    break
                self.say(", ".join(changed) + " changed")
                ok = self.check()
                if self.roots() != roots:
                    watcher.close()
                    watcher, roots = self._watcher(watchfiles), self.roots()
                    ok = self.check()
                if not ok:
                    if self.child is not None and self.child.poll() is None:
                        self.say("the new code does not load (above); the running process keeps serving")
                    continue
                if self.child is not None:
                    self.say("restarting: the running process drains first")
                self.stop_child()
                self.start()
        finally:
            if watcher is not None:
                watcher.close()
            self.stop_child()
            if self._zookeeper is not None:
                self._zookeeper.stop()
        return 0

    def _watcher(self, watchfiles: Any) -> Any:
        """A watch on `roots`, started now (its first read returns once the watch is set up)."""
        watcher = watchfiles.watch(
            *self.roots(),
            watch_filter=lambda _change, path: self.relevant(path),
            debounce=self.debounce_ms,
            stop_event=self.stop_requested,
            yield_on_timeout=True,
            rust_timeout=500,
            raise_interrupt=False,
        )
        next(watcher, None)  # anything changed already is in what the check that follows reads
        return watcher

    def _next_change(self, watcher: Any) -> list[str] | None:
        """The files that changed (relative where possible), or None once asked to stop."""
        for changes in watcher:
            if self.stop_requested.is_set():
                return None
            if self.child is not None and not self._reported_exit and self.child.poll() is not None:
                self._reported_exit = True
                self.say(f"the process exited with status {self.child.returncode}; waiting for a change")
            if changes:
                return sorted({_short(path) for _, path in changes})
        return None


def _short(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path

