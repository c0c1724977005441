"""Servers as child processes: start one, wait for its ready line, read its CPU time, stop it.

CPU time is utime + stime from /proc, summed over the server's whole process tree (gunicorn's
master and worker), plus what its exited children left in cutime + cstime.
"""

from __future__ import annotations

import ctypes
import os
import re
import signal
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable

from .tlscerts import Pki

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_READY = re.compile(r"(\w+)=([\w.:\[\]-]+):(\d+)")
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class ServerSpec:
    """How to run one server: `endpoint` names the ready-line entry to load (http, thrift)."""

    name: str
    label: str
    argv: list[str]
    endpoint: str
    cwd: Path | None = None
    tls: Pki | None = None  # the server speaks TLS: clients trust this CA and present its client certificate


def _stat_fields(pid: int) -> list[str]:
    """Fields 3.. of /proc/PID/stat (after the command name, which may hold spaces)."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2 :].split()


def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            ppid = int(_stat_fields(int(entry.name))[1])
        except (OSError, ValueError, IndexError):
            continue  # exited while we looked
        out.setdefault(ppid, []).append(int(entry.name))
    return out


def tree_cpu_seconds(root: int) -> tuple[float, float]:
    """(user, system) CPU seconds used so far by `root` and every live descendant, plus
    what its reaped children used."""
    children = _children()
    user = system = 0
    todo, first = [root], True
    while todo:
        pid = todo.pop()
        try:
            f = _stat_fields(pid)  # f[11..14]: utime stime cutime cstime
        except OSError:
            continue
        user += int(f[11]) + (int(f[13]) if first else 0)
        system += int(f[12]) + (int(f[14]) if first else 0)
        first = False
        todo.extend(children.get(pid, ()))
    return user / CLOCK_TICKS, system / CLOCK_TICKS


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the harness dies, so no server outlives a killed run."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def pinned(cpus: set[int] | None) -> Callable[[], None] | None:
    """A preexec_fn that keeps a child (and what it forks) on `cpus`; None: no pinning."""
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


@dataclass
class Server:
    spec: ServerSpec
    log_path: Path
    endpoints: dict[str, tuple[str, int]] = field(default_factory=dict)
    proc: subprocess.Popen[str] | None = None
    _log: IO[str] | None = None
    _drainer: threading.Thread | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def address(self) -> tuple[str, int]:
        return self.endpoints[self.spec.endpoint]

    def start(self, timeout: float = 60.0, cpus: set[int] | None = None) -> None:
        """Start the process (on `cpus`, if given) and wait for a line ``ready NAME
        KIND=HOST:PORT ...`` on stdout."""
        pin = pinned(cpus)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            self.spec.argv,
            cwd=self.spec.cwd,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            start_new_session=True,  # its own process group: stop() signals the whole tree
            preexec_fn=_die_with_parent if pin is None else lambda: (_die_with_parent(), pin()),
        )
        assert self.proc.stdout is not None
        timer = threading.Timer(timeout, self.proc.kill)
        timer.start()
        try:
            for line in self.proc.stdout:
                self._log.write(line)
                if line.startswith("ready "):
                    self.endpoints = {k: (h, int(p)) for k, h, p in _READY.findall(line)}
                    break
        finally:
            timer.cancel()
        if self.spec.endpoint not in self.endpoints:
            self.stop()
            raise RuntimeError(f"{self.spec.label} did not get ready (no {self.spec.endpoint}= in a ready line); see {self.log_path}")
        # keep draining stdout so that the server never blocks on a full pipe
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None and self._log is not None
        for line in self.proc.stdout:
            self._log.write(line)

    def cpu_seconds(self) -> tuple[float, float]:
        """(user, system) CPU seconds of the server's process tree so far."""
        return tree_cpu_seconds(self.pid)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace: float = 10.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self._drainer is not None:
            self._drainer.join(2.0)  # the last lines it printed
        if self._log is not None:
            self._log.close()
