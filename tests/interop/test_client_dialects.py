"""`framework.client.ThriftClient` speaking THeader, TJSONProtocol and TMultiplexedProtocol to
Apache Thrift's own test server (``test/py/TestServer.py``, v0.17.0, unmodified, fetched at
test time), and to an Aviary port serving two services."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from support import InProcessHost, free_port

from framework.client import ThriftClient
from framework.errors import UnknownMethod

# (client options, TestServer.py --protocol, --transport)
CASES = {
    "json": ({"protocol": "json"}, "json", "framed"),
    "header-binary-zlib": ({"protocol": "header", "header_transforms": ["zlib"]}, "header", "buffered"),
    "header-compact": ({"protocol": "header", "header_protocol": "compact", "header_info": {"who": "aviary"}}, "header", "buffered"),
    "multiplexed-binary": ({"protocol": "thrift"}, "multi", "framed"),
    "multiplexed-header": ({"protocol": "header"}, "multih", "buffered"),
    "multiplexed-json": ({"protocol": "json"}, "multij", "framed"),
}


def start_test_server(tree: Path, gen: Path, protocol: str, transport: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    args = [sys.executable, "TestServer.py", f"--genpydir={gen}", f"--port={port}", f"--protocol={protocol}", f"--transport={transport}", "TThreadedServer"]
    proc = subprocess.Popen(args, cwd=tree / "test" / "py", stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"TestServer.py exited {proc.returncode}: {proc.stdout.read().decode() if proc.stdout else ''}", pytrace=False)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail("TestServer.py did not listen within 30 s", pytrace=False)


@pytest.mark.parametrize("case", list(CASES))
def test_client_dialects_against_apache_test_server(apache_tree: Path, thrift_test_py: Path, thrift_test_idl: Any, case: str) -> None:
    options, server_protocol, transport = CASES[case]
    idl = thrift_test_idl
    proc, port = start_test_server(apache_tree, thrift_test_py, server_protocol, transport)
    try:

        async def calls() -> None:
            multiplexed = server_protocol.startswith("multi")
            first = {"multiplexed": "ThriftTest"} if multiplexed else {}
            async with ThriftClient(idl, f"inet!127.0.0.1:{port}", service="ThriftTest", **first, **options) as c:
                assert await c.call("testString", "héllo " * 50) == "héllo " * 50
                xtruct = idl.module.Xtruct(string_thing="Zero", byte_thing=1, i32_thing=-3, i64_thing=-5)
                assert await c.call("testStruct", xtruct) == xtruct
                assert await c.call("testMap", {1: 2, -1: -2}) == {1: 2, -1: -2}
                assert await c.call("testBinary", bytes(range(256))) == bytes(range(256))
                assert await c.call("testDouble", -5.25) == -5.25
                with pytest.raises(idl.module.Xception) as e:
                    await c.call("testException", "Xception")
                assert e.value.errorCode == 1001
            if multiplexed:
                async with ThriftClient(idl, f"inet!127.0.0.1:{port}", service="SecondService", multiplexed="SecondService", **options) as c:
                    assert await c.call("secondtestString", "x") == 'testString("x")'

        asyncio.run(calls())
    finally:
        proc.kill()
        proc.wait(10)


@pytest.mark.parametrize("protocol", ["thrift", "header", "json"])
def test_client_dialects_against_an_aviary_port_serving_two_services(cross_host: InProcessHost, thrift_test_idl: Any, protocol: str) -> None:
    idl = thrift_test_idl
    dest = "inet!%s:%d" % cross_host.addr("thrifttest")

    async def calls() -> None:
        async with ThriftClient(idl, dest, service="SecondService", multiplexed="SecondService", protocol=protocol) as c:
            assert await c.call("secondtestString", "y") == 'testString("y")'
        async with ThriftClient(idl, dest, service="ThriftTest", protocol=protocol) as c:  # plain: the port's own
            assert await c.call("testI64", -(1 << 40)) == -(1 << 40)
        async with ThriftClient(idl, dest, service="SecondService", protocol=protocol) as c:  # not the port's own
            with pytest.raises(UnknownMethod, match="secondtestString"):
                await c.call("secondtestString", "y")
        async with ThriftClient(idl, dest, service="SecondService", multiplexed="Third", protocol=protocol) as c:
            with pytest.raises(UnknownMethod, match="this port serves SecondService, ThriftTest"):
                await c.call("secondtestString", "y")

    asyncio.run(calls())
