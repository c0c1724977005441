"""Apache Thrift's cross-language test client (``test/py/TestClient.py``, v0.17.0, unmodified)
against ThriftTest and SecondService served by plain Aviary handlers on one Thrift port.

Every protocol the client offers (binary, accel, compact, accelc, json, header and the
multiplexed multi, multia, multiac, multic, multih, multij) over every transport (buffered,
framed, and http: POST application/x-thrift on the HTTP port) must pass all its tests. The
client is Apache's; its generated code comes from Debian's ``thrift`` compiler.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from apache_cross import SecondHandler, ThriftTestHandler, fetch_tarball, load_thrift_test, unpack
from support import InProcessHost, require_tool

PROTOCOLS = ["binary", "accel", "compact", "accelc", "json", "header", "multi", "multia", "multiac", "multic", "multih", "multij"]
TRANSPORTS = ["buffered", "framed", "http"]


@pytest.fixture(scope="module")
def apache_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unpack(fetch_tarball(), tmp_path_factory.mktemp("apache-thrift"))


@pytest.fixture(scope="module")
def generated(apache_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``thrift --gen py`` of ThriftTest.thrift as Apache ships it."""
    compiler = require_tool("thrift", "thrift-compiler")
    out = tmp_path_factory.mktemp("gen-py")
    proc = subprocess.run([compiler, "--gen", "py", "-out", str(out), str(apache_tree / "test" / "ThriftTest.thrift")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (out / "ThriftTest" / "ThriftTest.py").is_file()
    return out


@pytest.fixture(scope="module")
def cross_host(apache_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessHost]:
    from framework import Service

    idl = load_thrift_test(apache_tree / "test" / "ThriftTest.thrift", tmp_path_factory.mktemp("idl"))

    def services() -> list[Any]:
        return [
            Service(idl, ThriftTestHandler(idl.module), idl_service="ThriftTest"),
            Service(idl, SecondHandler(), idl_service="SecondService"),
        ]

    with InProcessHost(services, **{"services.secondservice.share_thrift_port": "thrifttest"}) as h:
        yield h


def run_test_client(tree: Path, gen: Path, port: int, protocol: str, transport: str) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "TestClient.py", f"--genpydir={gen}", "--host=127.0.0.1", f"--port={port}", f"--protocol={protocol}"]
    args += ["--http=/"] if transport == "http" else [f"--transport={transport}"]
    return subprocess.run(args, cwd=tree / "test" / "py", capture_output=True, text=True, timeout=90)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_apache_test_client_passes(cross_host: InProcessHost, apache_tree: Path, generated: Path, protocol: str, transport: str) -> None:
    _, port = cross_host.addr("thrifttest", "http" if transport == "http" else "thrift")
    proc = run_test_client(apache_tree, generated, port, protocol, transport)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, report
    assert "\nOK" in report, report
    assert "Ran 22 tests" in report, report
    if protocol.startswith("multi"):  # the second client, to SecondService on the same port
        assert "testMultiplexed" in report, report
