"""Session fixtures for the interop tests: real Apache Thrift peers, generated from idl/echo.thrift.

* `echo_java_client`: `thrift --gen java` output plus tests/interop/java/EchoInterop.java,
  compiled once with `javac` against Debian's libthrift jar; run with `.run(...)`.
* `echo_apache_py`: `thrift --gen py` output, imported once (under a private package name, so
  it cannot collide with anything else called ``echo``).
* `apache_tree`, `thrift_test_py`, `thrift_test_idl`, `cross_host`: Apache Thrift 0.17.0's
  cross-test material (see apache_cross.py) and ThriftTest plus SecondService served by plain
  handlers on one Aviary Thrift port.

Generated code lives in pytest's tmp dirs only; nothing generated is ever written to the tree.
A missing tool or jar fails the session loudly (they are part of the test setup, see Makefile).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any, Iterator

import pytest
from apache_cross import THRIFT_TEST_IDL, SecondHandler, ThriftTestHandler, fetch_tarball, load_thrift_test, unpack
from support import InProcessHost, require_tool

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
ROOT = TESTS.parent
ECHO_IDL = ROOT / "idl" / "echo.thrift"
JAVA_SOURCE = HERE / "java" / "EchoInterop.java"
# Debian's jars: libthrift-java, libslf4j-java (libthrift logs through slf4j; nop silences it).
JARS = {
    Path("/usr/share/java/thrift.jar"): "libthrift-java",
    Path("/usr/share/java/slf4j-api.jar"): "libslf4j-java",
    Path("/usr/share/java/slf4j-nop.jar"): "libslf4j-java",
}
PY_PACKAGE = "aviary_interop_echo_gen"


def _run(cmd: list[str], what: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(f"{what} failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}", pytrace=False)
    return proc


@pytest.fixture(scope="session")
def thrift_compiler() -> str:
    return require_tool("thrift", "thrift-compiler")


class JavaClient:
    def __init__(self, java: str, classpath: str) -> None:
        self.java = java
        self.classpath = classpath

    def run(self, host: str, port: int, framing: str, protocol: str, tag: str, rest_id: int) -> list[dict[str, Any]]:
        """One JVM, one connection, the whole call sequence; the parsed JSON lines."""
        cmd = [self.java, "-XX:TieredStopAtLevel=1", "-cp", self.classpath, "EchoInterop", host, str(port), framing, protocol, tag, str(rest_id)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            pytest.fail(f"EchoInterop {framing} {protocol} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}", pytrace=False)
        lines = []
        for line in proc.stdout.splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                pytest.fail(f"EchoInterop printed a line that is not JSON: {line!r}\nstderr:\n{proc.stderr}", pytrace=False)
        return lines


@pytest.fixture(scope="session")
def thrift_jars() -> str:
    """The classpath of Debian's Apache Thrift Java library (with slf4j), checked present."""
    for jar, package in JARS.items():
        if not jar.is_file():
            pytest.fail(f"{jar} is missing: `make test` installs it (Debian package {package})", pytrace=False)
    return ":".join(str(j) for j in JARS)


@pytest.fixture(scope="session")
def echo_java_client(tmp_path_factory: pytest.TempPathFactory, thrift_compiler: str, thrift_jars: str) -> JavaClient:
    javac = require_tool("javac", "default-jdk-headless")
    java = require_tool("java", "default-jdk-headless")
    work = tmp_path_factory.mktemp("java-interop")
    gen, classes = work / "gen", work / "classes"
    gen.mkdir()
    classes.mkdir()
    _run([thrift_compiler, "--gen", "java", "-out", str(gen), str(ECHO_IDL)], "thrift --gen java")
    sources = sorted(str(p) for p in gen.rglob("*.java"))
    assert sources, "thrift --gen java produced no sources"
    jars = thrift_jars
    clients = sorted(str(p) for p in JAVA_SOURCE.parent.glob("*.java"))  # EchoInterop, TTwitterInterop
    _run([javac, "-nowarn", "-encoding", "UTF-8", "-d", str(classes), "-cp", jars, *sources, *clients], "javac")
    return JavaClient(java, f"{classes}:{jars}")


@pytest.fixture(scope="session")
def echo_apache_py(tmp_path_factory: pytest.TempPathFactory, thrift_compiler: str) -> SimpleNamespace:
    """The generated Python package: ``.Echo`` (client) and ``.ttypes``."""
    work = tmp_path_factory.mktemp("py-interop")
    _run([thrift_compiler, "--gen", "py", "-out", str(work), str(ECHO_IDL)], "thrift --gen py")
    pkg_dir = work / "echo"  # `namespace py echo`
    init = pkg_dir / "__init__.py"
    assert init.is_file(), f"thrift --gen py wrote no {init}"
    # The generated modules import each other relatively, so the package can take any name.
    spec = importlib.util.spec_from_file_location(PY_PACKAGE, init, submodule_search_locations=[str(pkg_dir)])
    assert spec is not None and spec.loader is not None
    pkg: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[PY_PACKAGE] = pkg
    spec.loader.exec_module(pkg)
    try:
        return SimpleNamespace(Echo=importlib.import_module(f"{PY_PACKAGE}.Echo"), ttypes=importlib.import_module(f"{PY_PACKAGE}.ttypes"))
    except Exception:
        for name in [n for n in sys.modules if n == PY_PACKAGE or n.startswith(PY_PACKAGE + ".")]:
            del sys.modules[name]
        raise


@pytest.fixture(scope="session")
def apache_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unpack(fetch_tarball(), tmp_path_factory.mktemp("apache-thrift"))


@pytest.fixture(scope="session")
def thrift_test_py(apache_tree: Path, thrift_compiler: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``thrift --gen py`` of ThriftTest.thrift as Apache ships it (for TestClient/TestServer.py)."""
    out = tmp_path_factory.mktemp("gen-py")
    _run([thrift_compiler, "--gen", "py", "-out", str(out), str(apache_tree / "test" / "ThriftTest.thrift")], "thrift --gen py")
    assert (out / "ThriftTest" / "ThriftTest.py").is_file()
    return out


@pytest.fixture(scope="session")
def thrift_test_idl(apache_tree: Path) -> Any:
    shipped = apache_tree / "test" / "ThriftTest.thrift"
    assert shipped.read_bytes() == THRIFT_TEST_IDL.read_bytes(), f"{THRIFT_TEST_IDL} is not the file Apache ships"
    return load_thrift_test(THRIFT_TEST_IDL)


@pytest.fixture(scope="session")
def cross_host(thrift_test_idl: Any) -> Iterator[InProcessHost]:
    """ThriftTest (the port's own) and SecondService (by multiplexed name) on one Thrift port."""
    from framework import Service

    idl = thrift_test_idl

    def services() -> list[Any]:
        return [
            Service(idl, ThriftTestHandler(idl.module), idl_service="ThriftTest"),
            Service(idl, SecondHandler(), idl_service="SecondService"),
        ]

    with InProcessHost(services, **{"services.secondservice.share_thrift_port": "thrifttest"}) as h:
        yield h
