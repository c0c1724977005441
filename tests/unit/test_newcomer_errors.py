"""The first mistakes people make, each answered by one line naming the thing and what to do."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from framework import ConfigError, DefinitionError, IdlError, Service, load_idl
from framework import plugins
from framework.scaffold import create as scaffold
from framework.testing import serve


@pytest.fixture
def greeter(tmp_path: Path) -> Path:
    return scaffold("greeter", tmp_path) / "greeter" / "greeter.thrift"


def test_a_missing_method_says_what_to_add(greeter: Path) -> None:
    class GreeterHandler:
        async def greet(self, name: str) -> Any: ...

    with pytest.raises(DefinitionError) as e:
        Service(greeter, GreeterHandler())
    assert str(e.value) == (
        "GreeterHandler does not implement Greeter.count (declared in greeter.thrift): "
        "add `def count(self, text)` to GreeterHandler (`async def` or `def`), or remove it from greeter.thrift"
    )


def test_a_wrong_signature_says_how_to_define_it(greeter: Path) -> None:
    class GreeterHandler:
        async def greet(self, name: str) -> Any: ...

        def count(self) -> int:
            return 0

    with pytest.raises(DefinitionError, match=r"Greeter\.count: the handler method must take \(text\) in the IDL's order; .*define it as `def count\(self, text\)`"):
        Service(greeter, GreeterHandler())


def test_a_mistyped_idl_path_suggests_the_file_that_is_there(greeter: Path) -> None:
    with pytest.raises(IdlError, match=f"gretter.thrift: no such file: did you mean {greeter}\\?"):
        load_idl(greeter.with_name("gretter.thrift"))
    with pytest.raises(IdlError, match=r"no such file \(\.thrift files in .*: greeter\.thrift\)"):
        load_idl(greeter.with_name("other.thrift"))
    with pytest.raises(IdlError, match=r"and no directory .*; a path is relative to the current directory, so give one from the module, e.g. Path\(__file__\)\.with_name\('x.thrift'\)"):
        load_idl("no/such/dir/x.thrift")


def test_a_taken_port_says_which_flag_picks_another() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=rf"services\.echo\.thrift_port: port {port} on 127\.0\.0\.1 is already in use \(another process listens there, perhaps an aviary still running\): stop that, or choose another port with --thrift-port N or --set echo\.thrift_port=N \(0: any free port\)"):
            with serve("echo", thrift_port=port):
                pass
        with pytest.raises(ConfigError, match=rf"admin_port: port {port} .* choose another port with --admin-port N"):
            with serve("echo", admin_port=port):
                pass
        with serve("echo") as echo:  # what failed to start let go of what it had bound
            assert echo.thrift.repeat(text="ok", times=1) == "ok"


def test_a_service_module_that_does_not_import_names_the_error(tmp_path: Path) -> None:
    (tmp_path / "broken_service.py").write_text("def create(:\n    pass\n")
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(DefinitionError, match=r"cannot load service 'broken_service:create': SyntaxError: .*broken_service\.py, line 1"):
            plugins.factory("broken_service:create")
        with pytest.raises(DefinitionError, match=r"cannot load service 'not_there:create': ModuleNotFoundError: .*is its directory on PYTHONPATH, or its package installed\?"):
            plugins.factory("not_there:create")
    finally:
        sys.path.remove(str(tmp_path))


def test_an_unknown_service_name_says_how_to_install_one() -> None:
    with pytest.raises(DefinitionError, match=r"no service named 'gretter' in entry-point group aviary\.services; installed: .*echo.*\. Install its package \(`pip install -e \.` where its pyproject\.toml names it"):
        plugins.factory("gretter")


def test_an_unreachable_zookeeper_says_what_to_check_and_serves_anyway() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connections are refused
        with serve("echo", zk=f"127.0.0.1:{port}", zk_session_timeout_s=1) as echo:
            assert f"zookeeper: not announced yet (127.0.0.1:{port} unreachable); serving anyway" in echo.output
            assert "(is ZooKeeper running there? --zk HOSTS names another, --zk none runs without discovery)" in echo.output
            assert echo.thrift.repeat(text="still", times=1) == "still"
