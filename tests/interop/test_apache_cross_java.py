"""Apache Thrift's Java cross-test client (``lib/java/src/crossTest/.../TestClient.java``,
v0.17.0, unmodified, fetched at test time) against ThriftTest and SecondService on one Aviary
port: compiled with Debian's libthrift-java and ``thrift --gen java`` code, as the other Java
interop tests are.

Every protocol libthrift-java offers that client (binary, compact, json and the multiplexed
multi, multic, multij) over every transport it offers that Aviary serves: buffered, framed,
fastframed (framed, written differently) and http (POST application/x-thrift on the HTTP
port). Its zlib transport (the whole stream deflated) is not a Thrift dialect Aviary serves.
Exit status 0 means every check passed (the client ORs a bit per failing group).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import JARS, _run
from support import InProcessHost, require_tool

PROTOCOLS = ["binary", "compact", "json", "multi", "multic", "multij"]
TRANSPORTS = ["buffered", "framed", "fastframed", "http"]
# Apache HttpClient, under THttpClient (Debian's libhttpclient-java, libhttpcore-java and
# libcommons-logging-java, which the Makefile installs).
HTTP_JARS = [Path("/usr/share/java/httpclient.jar"), Path("/usr/share/java/httpcore.jar"), Path("/usr/share/java/commons-logging.jar")]


@pytest.fixture(scope="module")
def java_test_client(apache_tree: Path, thrift_compiler: str, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    javac = require_tool("javac", "default-jdk-headless")
    java = require_tool("java", "default-jdk-headless")
    for jar in [*JARS, *HTTP_JARS]:
        if not jar.is_file():
            pytest.fail(f"{jar} is missing: `make test` installs it", pytrace=False)
    work = tmp_path_factory.mktemp("java-cross")
    gen, classes = work / "gen", work / "classes"
    gen.mkdir()
    classes.mkdir()
    _run([thrift_compiler, "--gen", "java", "-out", str(gen), str(apache_tree / "test" / "ThriftTest.thrift")], "thrift --gen java")
    client = apache_tree / "lib" / "java" / "src" / "crossTest" / "java" / "org" / "apache" / "thrift" / "test" / "TestClient.java"
    jars = ":".join(str(j) for j in [*JARS, *HTTP_JARS])
    _run([javac, "-nowarn", "-encoding", "UTF-8", "-d", str(classes), "-cp", jars, *sorted(str(p) for p in gen.rglob("*.java")), str(client)], "javac")
    return [java, "-XX:TieredStopAtLevel=1", "-cp", f"{classes}:{jars}", "org.apache.thrift.test.TestClient"]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_apache_java_test_client_passes(cross_host: InProcessHost, java_test_client: list[str], protocol: str, transport: str) -> None:
    _, port = cross_host.addr("thrifttest", "http" if transport == "http" else "thrift")
    args = [*java_test_client, "--host=127.0.0.1", f"--port={port}", f"--protocol={protocol}", f"--transport={transport}"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, report
    assert "testInsanity" in report and "testOneway" in report, report  # it ran the whole sequence
    if protocol.startswith("multi"):
        assert 'secondtestString("Test2") = "testString("Test2")"' in report, report  # SecondService answered
