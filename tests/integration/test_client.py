"""framework.client against real servers on loopback: timeouts, which failures are retried and
which are not, the client's own filters, and connection pooling."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import InProcessHost, free_port  # noqa: E402

from framework import Overloaded, Service  # noqa: E402
from framework.client import HttpClient, ThriftClient  # noqa: E402
from framework.client.base import RemoteError  # noqa: E402
from framework.errors import DeadlineExceeded, Unavailable  # noqa: E402
from services.echo import EchoHandler  # noqa: E402

PROBE_IDL = Path(__file__).resolve().parent.parent / "idl" / "probe.thrift"


def probe_host() -> InProcessHost:
    from probe import create

    return InProcessHost(lambda: [create()])


def refusing_echo() -> Service:
    async def refuse(call: Any, next: Any) -> Any:
        raise Overloaded("too busy")

    return Service("echo.thrift", EchoHandler(), filters=[refuse])


def inet(*hosts: InProcessHost, kind: str = "thrift") -> str:
    return "inet!" + ",".join("%s:%d" % h.addr(h.host.services[0].name, kind) for h in hosts)


def test_timeout_discards_the_connection_and_the_next_call_works() -> None:
    with probe_host() as h:

        async def scenario() -> None:
            async with ThriftClient(PROBE_IDL, inet(h), timeout_s=0.3) as c:
                with pytest.raises(DeadlineExceeded, match="within 0.3s"):
                    await c.call("slow", 2000)
                assert await c.call("slow", 1) == 1  # not the late reply of the slow call
                assert c.retries == 0

        asyncio.run(scenario())


def test_connect_failures_are_retried_on_another_member() -> None:
    dead = free_port()  # nothing listens there
    with probe_host() as h:

        async def scenario() -> None:
            async with ThriftClient(PROBE_IDL, f"inet!127.0.0.1:{dead}," + inet(h)[5:]) as c:
                for _ in range(30):
                    assert await c.call("slow", 0) == 0
                assert c.retries > 0
                down = next(n for n in c.balancer.nodes.values() if n.address.port == dead)
                assert down.dead_until > 0  # set aside by failure accrual

        asyncio.run(scenario())


def test_no_member_reachable_is_unavailable_after_bounded_retries() -> None:
    async def scenario() -> None:
        async with ThriftClient(PROBE_IDL, f"inet!127.0.0.1:{free_port()}", max_attempts=3) as c:
            with pytest.raises(Unavailable, match="no retry left"):
                await c.call("slow", 0)
            assert c.retries == 2

    asyncio.run(scenario())


def test_answered_errors_are_never_retried() -> None:
    with probe_host() as a, probe_host() as b:

        async def scenario() -> None:
            async with ThriftClient(PROBE_IDL, inet(a, b)) as c, HttpClient(PROBE_IDL, inet(a, b, kind="http")) as web:
                for client in (c, web):
                    with pytest.raises(client.idl.module.Oops):
                        await client.call("fail", "declared")
                    with pytest.raises(RemoteError, match="internal error"):
                        await client.call("fail", "value")
                    assert client.retries == 0

        asyncio.run(scenario())


def test_http_refusal_is_retried_elsewhere() -> None:
    with InProcessHost(lambda: [refusing_echo()]) as busy, InProcessHost(lambda: [Service("echo.thrift", EchoHandler())]) as ok:

        async def scenario() -> None:
            async with HttpClient("echo.thrift", inet(busy, ok, kind="http")) as web:
                for _ in range(20):
                    assert await web.call("repeat", "a", 2) == "a a"
                assert web.retries > 0

        asyncio.run(scenario())


def test_server_closing_after_the_request_is_written_is_not_retried() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]

    async def scenario() -> None:
        loop = asyncio.get_running_loop()

        async def swallow_then_close() -> None:
            conn, _ = await loop.sock_accept(listener)
            await loop.sock_recv(conn, 65536)  # the request arrived: it may have been acted on
            conn.close()

        listener.setblocking(False)
        server = asyncio.ensure_future(swallow_then_close())
        # ttwitter=False: the first bytes this peer reads must be the request itself, not the probe.
        async with ThriftClient(PROBE_IDL, f"inet!127.0.0.1:{port}", ttwitter=False) as c:
            with pytest.raises(RemoteError, match="closed the connection before answering"):
                await c.call("slow", 1)
            assert c.retries == 0
        await server

    try:
        asyncio.run(scenario())
    finally:
        listener.close()


def test_client_filters_and_pooled_connections() -> None:
    seen: list[str] = []

    async def record(call: Any, next: Any) -> Any:
        seen.append(call.method.name)
        return await next(call)

    with probe_host() as h:

        async def scenario() -> None:
            async with ThriftClient(PROBE_IDL, inet(h), filters=[record]) as c:
                for _ in range(10):
                    await c.call("slow", 0)
                (node,) = c.balancer.nodes.values()
                assert len(node.idle) == 1  # one connection, reused by ten sequential calls
                await asyncio.gather(*(c.call("slow", 20) for _ in range(5)))
                assert len(node.idle) == 5 and node.load == 0

        asyncio.run(scenario())
    assert seen == ["slow"] * 15


def test_unframed_buffered_thrift_reaches_the_server_and_pools() -> None:
    from framework import ConfigError

    with probe_host() as h:

        async def scenario() -> None:
            async with ThriftClient(PROBE_IDL, inet(h), framed=False) as c:
                assert not c.ttwitter  # the upgrade probe is a frame: an unframed client never sends it
                for i in range(5):
                    assert (await c.call("whoami"))["protocol"] == "unframed/binary"
                    assert await c.call("join", "a" * 70000, i, [1, 2]) == "a" * 70000 + f"/{i}/1/2"  # a reply over many reads
                (node,) = c.balancer.nodes.values()
                assert len(node.idle) == 1  # one connection, reused
            with pytest.raises(ConfigError, match="only plain Thrift may be unframed"):
                ThriftClient(PROBE_IDL, inet(h), framed=False, protocol="thriftmux")

        asyncio.run(scenario())
