"""Test helpers: Aviary hosts on real sockets, in this process or as `aviary` subprocesses.

A plain module (tests import it as ``support``; every conftest.py shares one module name).

Nothing here fakes a component: servers listen on 127.0.0.1, clients are real peers.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from framework.testing import BackgroundHost

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
READY = re.compile(r"^ready (\S+) (.*)$")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_ready(line: str) -> tuple[str, dict[str, tuple[str, int]]] | None:
    m = READY.match(line.strip())
    if not m:
        return None
    eps = {}
    for part in m.group(2).split():
        k, _, v = part.partition("=")
        host, _, port = v.rpartition(":")
        eps[k] = (host, int(port))
    return m.group(1), eps


def read_http_response(sock: socket.socket) -> bytes:
    """One whole HTTP/1.1 response (head and a Content-Length body) from a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed before a whole response head: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")[1:] if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, f"closed before the whole body: {data!r}"
        body += chunk
    return head + b"\r\n\r\n" + body


# A host on its own loop in a background thread: framework.testing's, which users test with too.
InProcessHost = BackgroundHost


class AviaryProcess:
    """``aviary ARGS…`` as a subprocess; waits for its ready lines."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None, expect: int = 1, cwd: Path | None = None) -> None:
        self.args = args
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        # Stopping waits for no callers (every aviary run announces, in an embedded ZooKeeper
        # by default); a test of the default drain removes this before start().
        self.env.setdefault("AVIARY_DRAIN_GRACE_S", "0")
        self.expect = expect
        self.cwd = cwd
        self.proc: subprocess.Popen[str] | None = None
        self.signalled = False
        self.lines: list[str] = []
        self.endpoints: dict[str, dict[str, tuple[str, int]]] = {}
        self._reader: threading.Thread | None = None
        self._cond = threading.Condition()

    def start(self, timeout: float = 60) -> AviaryProcess:
        exe = shutil.which("aviary", path=str(Path(sys.executable).parent)) or "aviary"
        self.proc = subprocess.Popen(
            [exe, *self.args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=self.env, cwd=self.cwd, start_new_session=True
        )

        def read() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                with self._cond:
                    self.lines.append(line.rstrip("\n"))
                    ready = parse_ready(line)
                    if ready:
                        self.endpoints[ready[0]] = ready[1]
                    self._cond.notify_all()
            with self._cond:
                self._cond.notify_all()

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        # Every service's ready line and then the admin port's (printed last); expect=0: none yet.
        ready = lambda: len([k for k in self.endpoints if k != "admin"]) >= self.expect and (self.expect == 0 or "admin" in self.endpoints)  # noqa: E731
        self.wait_for(ready, timeout, "ready lines")
        return self

    def wait_for(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                if self.proc is not None and self.proc.poll() is not None and not predicate():
                    raise AssertionError(f"aviary exited ({self.proc.returncode}) before {what}:\n" + "\n".join(self.lines))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {what} within {timeout}s:\n" + "\n".join(self.lines))
                self._cond.wait(min(left, 0.2))

    def wait_line(self, pattern: str, timeout: float = 30) -> str:
        rx = re.compile(pattern)
        self.wait_for(lambda: any(rx.search(ln) for ln in self.lines), timeout, f"line matching {pattern!r}")
        return next(ln for ln in self.lines if rx.search(ln))

    def addr(self, service: str, kind: str = "thrift") -> tuple[str, int]:
        return self.endpoints[service][kind]

    def url(self, service: str, path: str = "") -> str:
        host, port = self.addr(service, "http")
        return f"http://{host}:{port}{path}"

    def send_signal(self, sig: int = signal.SIGTERM) -> None:
        assert self.proc is not None
        self.signalled = True
        self.proc.send_signal(sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Signal it (once) and wait; returns the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None and not self.signalled:
            self.send_signal(sig)
        return self.wait(timeout)

    def wait(self, timeout: float = 30) -> int:
        """Wait for it to exit; returns the exit status."""
        assert self.proc is not None
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise AssertionError(f"aviary did not stop within {timeout}s:\n" + "\n".join(self.lines)) from None
        if self._reader is not None:
            self._reader.join(5)
        return rc

    def kill(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


def require_tool(name: str, package: str) -> str:
    """Path of a real peer's tool; a missing one fails loudly (it is part of the test setup)."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: `make test` installs it (Debian package {package})", pytrace=False)
    return path


class ZipkinCollector:
    """A real HTTP server recording what span exporters POST to it (Zipkin's /api/v2/spans)."""

    def __init__(self) -> None:
        import json
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        received = self.received = []  # (path, content type, parsed JSON body)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, self.headers["Content-Type"], json.loads(body)))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v2/spans"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def spans(self) -> list[Any]:
        return [s for _, _, batch in self.received for s in batch]

    def wait(self, count: int, timeout: float = 10) -> list[Any]:
        deadline = time.monotonic() + timeout
        while len(self.spans()) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.spans()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class LoopbackServer:
    """A real TCP server on 127.0.0.1 for peers a test scripts byte by byte: each connection
    is handed to `serve` on its own thread. Subclasses implement `serve`."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.addr: tuple[str, int] = self.sock.getsockname()[:2]
        self.port = self.addr[1]
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.sock.close()
        self._accepting.join(5)


class MuxPeer(LoopbackServer):
    """A Mux server that answers each frame with `reply(frame)` (bytes, or None for nothing)."""

    def __init__(self, reply: Callable[[Any], bytes | None]) -> None:
        self.reply = reply
        super().__init__()

    def serve(self, conn: socket.socket) -> None:
        from framework.thrift import mux_wire as w

        buf = bytearray()
        with conn:
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                buf += chunk
                while (m := w.read_frame(buf, 1 << 20)) is not None:
                    out = self.reply(m)
                    if out:
                        conn.sendall(out)


def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    """The first true value `predicate` returns, polled until `timeout`; fails naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.02)
