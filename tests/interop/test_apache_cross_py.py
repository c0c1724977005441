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

import pytest
from support import InProcessHost

PROTOCOLS = ["binary", "accel", "compact", "accelc", "json", "header", "multi", "multia", "multiac", "multic", "multih", "multij"]
TRANSPORTS = ["buffered", "framed", "http"]


def run_test_client(tree: Path, gen: Path, port: int, protocol: str, transport: str) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "TestClient.py", f"--genpydir={gen}", "--host=127.0.0.1", f"--port={port}", f"--protocol={protocol}"]
    args += ["--http=/"] if transport == "http" else [f"--transport={transport}"]
    return subprocess.run(args, cwd=tree / "test" / "py", capture_output=True, text=True, timeout=90)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_apache_test_client_passes(cross_host: InProcessHost, apache_tree: Path, thrift_test_py: Path, protocol: str, transport: str) -> None:
    _, port = cross_host.addr("thrifttest", "http" if transport == "http" else "thrift")
    proc = run_test_client(apache_tree, thrift_test_py, port, protocol, transport)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, report
    assert "\nOK" in report, report
    assert "Ran 22 tests" in report, report
    if protocol.startswith("multi"):  # the second client, to SecondService on the same port
        assert "testMultiplexed" in report, report
