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
from typing import Any, Iterator

import pytest
from apache_cross import SecondHandler, ThriftTestHandler, fetch_tarball, load_thrift_test, unpack
from support import InProcessHost, free_port, require_tool

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


@pytest.fixture(scope="module")
def apache_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unpack(fetch_tarball(), tmp_path_factory.mktemp("apache-thrift"))


@pytest.fixture(scope="module")
def generated(apache_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    compiler = require_tool("thrift", "thrift-compiler")
    out = tmp_path_factory.mktemp("gen-py")
    proc = subprocess.run([compiler, "--gen", "py", "-out", str(out), str(apache_tree / "test" / "ThriftTest.thrift")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def idl(apache_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return load_thrift_test(apache_tree / "test" / "ThriftTest.thrift", tmp_path_factory.mktemp("idl"))


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
def test_client_dialects_against_apache_test_server(apache_tree: Path, generated: Path, idl: Any, case: str) -> None:
    options, server_protocol, transport = CASES[case]
    proc, port = start_test_server(apache_tree, generated, server_protocol, transport)
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


@pytest.fixture(scope="module")
def shared_port(idl: Any) -> Iterator[InProcessHost]:
    from framework import Service

    def services() -> list[Any]:
        return [Service(idl, ThriftTestHandler(idl.module), idl_service="ThriftTest"), Service(idl, SecondHandler(), idl_service="SecondService")]

    with InProcessHost(services, **{"services.secondservice.share_thrift_port": "thrifttest"}) as h:
        yield h


@pytest.mark.parametrize("protocol", ["thrift", "header", "json"])
def test_client_dialects_against_an_aviary_port_serving_two_services(shared_port: InProcessHost, idl: Any, protocol: str) -> None:
    dest = "inet!%s:%d" % shared_port.addr("thrifttest")

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
