"""Connections bounded in time and number, seen from raw sockets (`framework.connections`).

Short settings keep the tests quick; what is asserted is what happens to a connection (a 408,
a close, a refusal) and that other callers are served meanwhile, never how long it took.
"""

from __future__ import annotations

import socket
import struct
import sys
import time
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import InProcessHost  # noqa: E402

from framework.metrics import registry  # noqa: E402
from framework.thrift.codec import CALL, REPLY, service_codecs  # noqa: E402
from services.echo import create  # noqa: E402

WAIT_S = 15.0  # longest a test waits for the server to act; far above every timeout set here


def _echo(**settings: object) -> InProcessHost:
    return InProcessHost(lambda: [create()], **settings)


def _read_all(s: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    s.settimeout(WAIT_S)
    out = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            return out
        if not chunk:
            return out
        out += chunk


def repeat_frame(text: str, seqid: int) -> bytes:
    service = create()
    codec = service_codecs(service)[0]
    out = bytearray()
    codec.write_message_begin(out, "repeat", CALL, seqid)
    codec.write_args(service.methods["repeat"], [text, 1], out)
    return struct.pack(">i", len(out)) + bytes(out)


def thrift_call(s: socket.socket, text: str, seqid: int) -> str:
    s.sendall(repeat_frame(text, seqid))
    s.settimeout(WAIT_S)
    buf = b""
    while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
        chunk = s.recv(65536)
        assert chunk, "closed before the reply"
        buf += chunk
    service = create()
    codec = service_codecs(service)[0]
    name, mtype, rseq, p = codec.read_message_begin(buf[4:], 0)
    assert (name, mtype, rseq) == ("repeat", REPLY, seqid)
    fid, value, _ = codec.read_result(service.methods["repeat"], buf[4:], p)
    assert fid == 0
    return value


@pytest.mark.parametrize("port", ["http", "admin"])
def test_a_silent_http_connection_gets_408_and_is_closed(port: str) -> None:
    with _echo(http_header_timeout_s=0.4) as h:
        addr = h.addr("echo", "http") if port == "http" else h.addr("admin", "http")
        timeouts = registry.counter(*(("srv", "echo", "http") if port == "http" else ("admin", "http")), "head_timeouts")
        before = timeouts.value
        with socket.create_connection(addr) as silent:
            reply = _read_all(silent)
        assert reply.startswith(b"HTTP/1.1 408 "), reply
        assert b"connection: close" in reply.lower() and b"http_header_timeout_s" in reply
        assert timeouts.value == before + 1


def test_a_head_sent_one_line_at_a_time_is_cut_off_while_others_are_served() -> None:
    with _echo(http_header_timeout_s=0.6) as h:
        addr = h.addr("echo", "http")
        slow = socket.create_connection(addr)
        slow.sendall(b"GET /docs HTTP/1.1\r\nHost: x\r\n")
        cut_off = False
        with httpx.Client(timeout=WAIT_S) as others:
            for i in range(200):  # one header line every 0.1 s: the head would take 20 s
                try:
                    slow.sendall(b"X-Slow-%d: 1\r\n" % i)
                except (BrokenPipeError, ConnectionResetError):
                    cut_off = True
                    break
                # Callers on other connections are served meanwhile.
                assert others.post(h.url("echo", "/Echo/repeat"), json={"text": "x", "times": 1}).json() == "x"
                slow.settimeout(0.1)
                try:
                    got = slow.recv(65536)
                except TimeoutError:
                    continue
                except ConnectionResetError:
                    cut_off = True
                    break
                assert got.startswith(b"HTTP/1.1 408 ") or got == b"", got
                cut_off = True
                break
        slow.close()
        assert cut_off, "the slow head was never cut off"


def test_an_idle_keep_alive_connection_closes_as_uvicorns_does() -> None:
    with _echo() as h:
        with socket.create_connection(h.addr("echo", "http")) as s:
            s.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(WAIT_S)
            head = s.recv(65536)
            assert head.startswith(b"HTTP/1.1 200 ")
            assert b"connection: close" not in head.lower()  # kept alive, not draining
            rest = _read_all(s)  # then nothing more is asked: closed after timeout_keep_alive
        assert b"HTTP/1.1" not in rest


@pytest.mark.parametrize("kind", ["thrift", "http"])
def test_past_max_connections_a_new_connection_is_refused_at_once(kind: str) -> None:
    with _echo(max_connections=3, http_header_timeout_s=60) as h:
        addr = h.addr("echo", kind)
        refused = registry.counter("srv", "echo", kind, "connections_refused")
        before = refused.value
        held = [socket.create_connection(addr) for _ in range(3)]
        try:
            time.sleep(0.2)  # the server has accepted all three
            with socket.create_connection(addr) as extra:
                assert _read_all(extra) == b""  # closed as it was accepted, long before any timeout
            assert refused.value == before + 1
            # The connections it holds still work.
            if kind == "thrift":
                assert thrift_call(held[0], "still", 1) == "still"
            else:
                held[0].sendall(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
                held[0].settimeout(WAIT_S)
                assert held[0].recv(65536).startswith(b"HTTP/1.1 200 ")
            # One closes: a new one is let in.
            held.pop().close()
            deadline = time.monotonic() + WAIT_S
            while True:
                s = socket.create_connection(addr)
                if kind == "thrift":
                    try:
                        assert thrift_call(s, "in", 2) == "in"
                        break
                    except (AssertionError, ConnectionError):
                        s.close()  # the close had not reached the server yet
                else:
                    s.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
                    s.settimeout(WAIT_S)
                    try:
                        if s.recv(65536).startswith(b"HTTP/1.1 200 "):
                            break
                    except ConnectionError:
                        pass
                    s.close()
                assert time.monotonic() < deadline, "no connection let in after one closed"
                time.sleep(0.05)
            held.append(s)
        finally:
            for s in held:
                s.close()


def test_an_idle_thrift_connection_is_closed_and_a_busy_one_is_not() -> None:
    with _echo(thrift_idle_timeout_s=0.5) as h:
        addr = h.addr("echo", "thrift")
        idle_before = registry.counter("srv", "echo", "thrift", "idle_closed").value
        idle = socket.create_connection(addr)
        busy = socket.create_connection(addr)
        assert thrift_call(idle, "once", 1) == "once"
        # The busy caller calls every 0.1 s, for many times the idle timeout, on one connection.
        idle.setblocking(False)
        closed = False
        for i in range(150):
            assert thrift_call(busy, "again", 10 + i) == "again"
            try:
                closed = idle.recv(1) == b""
            except BlockingIOError:
                closed = False
            except ConnectionResetError:
                closed = True
            if closed:
                break
            time.sleep(0.1)
        assert closed, "the idle connection was never closed"
        assert thrift_call(busy, "still", 999) == "still"
        assert registry.counter("srv", "echo", "thrift", "idle_closed").value >= idle_before + 1
        idle.close()
        busy.close()


def test_the_defaults_bound_heads_and_connections_but_not_idle_thrift() -> None:
    from framework.config import load

    s = load(env={})
    assert (s.thrift_idle_timeout_s, s.http_header_timeout_s, s.max_connections) == (0.0, 10.0, 10000)


def test_the_open_files_soft_limit_is_raised_to_the_hard_limit() -> None:
    """Started, as service managers often start it, with a soft limit of 256 open files: the
    process raises it to the hard limit, so max_connections decides, not the soft limit."""
    import os
    import resource
    import shlex
    import subprocess

    if not Path("/proc/self/limits").exists():
        pytest.skip("reads the limits from Linux's /proc")
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    exe = Path(sys.executable).parent / "aviary"
    args = ["run", "echo", "--zk", "none", "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0"]
    command = f"ulimit -Sn {min(256, hard)} && exec {shlex.quote(str(exe))} {' '.join(map(shlex.quote, args))}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(["/bin/sh", "-c", command], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True)
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("ready admin "):
                break
        assert lines and lines[-1].startswith("ready admin "), "".join(lines)
        (row,) = [ln for ln in Path(f"/proc/{proc.pid}/limits").read_text().splitlines() if ln.startswith("Max open files")]
        assert row.split()[3:5] == [str(hard), str(hard)], row
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()
