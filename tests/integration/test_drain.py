"""A rolling restart under load loses no call, with the default settings.

Two echo members announced in a real ZooKeeper; Aviary's own clients find them through
``zk2!`` and call without pause over plain Thrift (framed and unframed), ThriftMux and REST,
while each member in turn gets SIGTERM and a replacement starts. The defaults alone
(``drain_grace_s``, closing connections only between requests, ``Connection: close`` during
the drain) must make that lose nothing.
"""

from __future__ import annotations

import asyncio
import re
import socket
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import AviaryProcess, read_http_response  # noqa: E402
from test_connection_limits import thrift_call  # noqa: E402

from framework.client import HttpClient, ThriftClient  # noqa: E402
from framework.client.base import BaseClient  # noqa: E402
from framework.config import load  # noqa: E402

CALLERS = 3  # concurrent callers per client
GRACE = load(env={}).drain_grace_s  # the shipped default, under test


def _member(zookeeper: Any, env: str, started: list[AviaryProcess]) -> AviaryProcess:
    """An echo member with the default drain (the test helper's drain_grace_s=0 removed)."""
    args = ["run", "echo", "--zk", zookeeper.hosts, "--env", env, "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0"]
    p = AviaryProcess(args)
    p.env.pop("AVIARY_DRAIN_GRACE_S")
    started.append(p)
    return p.start()


async def _until(predicate: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        await asyncio.sleep(0.02)


def _ports(client: BaseClient) -> set[int]:
    return {a.port for a in client.resolution.addresses}


class Load:
    """Callers that call without pause and count every outcome."""

    def __init__(self, name: str, client: BaseClient) -> None:
        self.name = name
        self.client = client
        self.ok = 0
        self.errors: list[str] = []
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self.tasks = [asyncio.ensure_future(self._caller(i)) for i in range(CALLERS)]

    async def _caller(self, i: int) -> None:
        while not self.stop.is_set():
            try:
                assert await self.client.call("repeat", f"{self.name}{i}", 2) == f"{self.name}{i} {self.name}{i}"
                self.ok += 1
            except Exception as e:  # noqa: BLE001 - every failure is counted and reported
                self.errors.append(f"{type(e).__name__}: {e}")
            await asyncio.sleep(0.001)

    async def finish(self) -> None:
        self.stop.set()
        await asyncio.gather(*self.tasks)


def test_default_drain_answers_keep_alive_requests_with_connection_close(zookeeper, zk_env) -> None:
    """During the drain a member still answers, on connections it already has, and tells
    HTTP/1.1 callers to reconnect (elsewhere): ``Connection: close``, then the close."""
    started: list[AviaryProcess] = []
    try:
        member = _member(zookeeper, zk_env, started)
        with socket.create_connection(member.addr("echo", "http")) as http, socket.create_connection(member.addr("echo", "thrift")) as thrift:
            assert thrift_call(thrift, "before", 1) == "before"
            body = b'{"text": "a", "times": 1}'
            request = b"POST /Echo/repeat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            http.sendall(request)
            http.settimeout(10)
            first = read_http_response(http)
            assert first.startswith(b"HTTP/1.1 200 ") and b"connection: close" not in first.lower()
            member.send_signal()
            member.wait_line(rf"^draining: still serving for {GRACE:g}s")
            http.sendall(request)  # the same keep-alive connection, during the drain
            reply = read_http_response(http)
            assert reply.startswith(b"HTTP/1.1 200 ") and reply.endswith(b'"a"'), reply  # answered
            assert b"connection: close" in reply.lower(), reply
            assert http.recv(1) == b""  # then closed
            assert thrift_call(thrift, "during", 2) == "during"  # plain Thrift: served on, closed only once the ports close
        assert member.wait(40) == 0
    finally:
        for p in started:
            p.kill()


def test_rolling_restart_under_load_loses_no_call_with_the_defaults(zookeeper, zk_env) -> None:
    assert GRACE > 0
    dest = f"zk2!{zookeeper.hosts}!/aviary/{zk_env}/echo"
    started: list[AviaryProcess] = []

    async def scenario() -> list[Load]:
        first, second = _member(zookeeper, zk_env, started), _member(zookeeper, zk_env, started)
        clients = {
            "framed": ThriftClient("echo.thrift", dest),
            "buffered": ThriftClient("echo.thrift", dest, framed=False),
            "mux": ThriftClient("echo.thrift", dest, protocol="thriftmux"),
            "rest": HttpClient("echo.thrift", dest + "!http"),
        }
        loads = [Load(name, c) for name, c in clients.items()]
        try:
            for c in clients.values():
                await c.wait_ready()
                await _until(lambda c=c: len(c.resolution.addresses) == 2, "both members seen")
            for load_ in loads:
                load_.start()
            await asyncio.sleep(0.5)
            for old in (first, second):
                before = [load_.ok for load_ in loads]
                assert await asyncio.to_thread(old.stop, timeout=60) == 0
                assert all(load_.ok > b for load_, b in zip(loads, before)), "a client made no call during a drain"
                new = await asyncio.to_thread(_member, zookeeper, zk_env, started)
                for name, c in clients.items():
                    port = new.addr("echo", "http" if name == "rest" else "thrift")[1]
                    await _until(lambda c=c, port=port: len(c.resolution.addresses) == 2 and port in _ports(c), f"{name} sees the new member")
                await asyncio.sleep(0.5)  # calls reach the new member before the next restart
        finally:
            for load_ in loads:
                await load_.finish()
            for c in clients.values():
                await c.close()
        for old in (first, second):
            out = old.output
            assert re.search(r"draining: left ZooKeeper /aviary/\S+/echo/member_\d{10}", out), out
            assert out.index("draining: left ZooKeeper") < out.index(f"draining: still serving for {GRACE:g}s") < out.index("stopping:") < out.index("stopped")
        return loads

    try:
        loads = asyncio.run(scenario())
    finally:
        for p in started:
            p.kill()
    for load_ in loads:
        assert load_.errors == [], (load_.name, load_.errors[:5], len(load_.errors))
        assert load_.ok > 50, (load_.name, load_.ok)
