"""`aviary run --reload` on a service made by `aviary new`: an edit restarts the serving process
after the old one drained (one ZooKeeper member at a time), an IDL that no longer loads is
reported while the old process keeps serving, and a fix is picked up."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

import httpx

from framework.scaffold import create
from framework.testing import ZooKeeper, announced


def greet(proc: Any) -> str:
    return str(httpx.get(proc.url("greeter", "/greetings/ada"), timeout=10).json()["text"])


def readies(proc: Any) -> int:
    return sum(1 for line in proc.lines if line.startswith("ready greeter "))


def test_reload_replaces_the_process_and_keeps_it_when_the_idl_breaks(tmp_path: Path, zookeeper: ZooKeeper, aviary_process: Callable[..., Any]) -> None:
    project = create("greeter", tmp_path)
    handler = project / "greeter" / "__init__.py"
    idl = project / "greeter" / "greeter.thrift"
    path = zookeeper.path("greeter")
    zookeeper.client.ensure_path(path)
    most = [0]
    lock = threading.Lock()

    @zookeeper.client.ChildrenWatch(path)
    def _count(children: list[str]) -> None:  # every change of the member list, as it happens
        with lock:
            most[0] = max(most[0], len(children))

    proc = aviary_process(
        "run", "greeter:create", "--reload", "--zk", zookeeper.hosts, "--set", f"zk_root={zookeeper.root}", "--env", zookeeper.env,
        "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0",
        env={"PYTHONPATH": str(project)},
    )  # fmt: skip
    (first,) = announced(zookeeper, "greeter")
    assert first.service_endpoint == proc.addr("greeter") and greet(proc) == "Hello, ada!"

    handler.write_text(handler.read_text().replace('f"Hello, {name}!"', 'f"Hi, {name}!"'))
    proc.wait_for(lambda: readies(proc) == 2, 60, "the restarted process's ready line")
    assert "reload: greeter/__init__.py changed" in proc.output or "__init__.py changed" in proc.output
    (second,) = announced(zookeeper, "greeter")
    assert second.znode != first.znode and second.service_endpoint == proc.addr("greeter")
    assert greet(proc) == "Hi, ada!"

    good = idl.read_text()
    idl.write_text(good.replace("struct Greeting {", "struct Greeting {{"))
    line = proc.wait_line(r"reload: .*Grammar error|reload: .*greeter\.thrift", 60)
    proc.wait_line("the running process keeps serving", 60)
    assert "greeter.thrift" in line
    assert greet(proc) == "Hi, ada!" and [m.znode for m in announced(zookeeper, "greeter")] == [second.znode]

    idl.write_text(good)
    proc.wait_for(lambda: readies(proc) == 3, 60, "the ready line after the fix")
    assert greet(proc) == "Hi, ada!"
    assert proc.stop() == 0
    assert announced(zookeeper, "greeter", count=0) == []
    with lock:
        assert most[0] == 1  # never two members at once: the old one was withdrawn first


def test_dev_reload_watches_each_service_package_and_its_idl() -> None:
    from framework import config
    from framework.reload import Reloader
    from services.dev import SERVICES

    root = Path(__file__).resolve().parents[2]
    reloader = Reloader(["dev", "--zk", "none"], SERVICES, config.load(env={}, flags={"zk": "none"}))
    assert reloader.check()  # `aviary dev --zk none --check` builds the three services
    assert reloader.idl_files == {root / "idl" / f for f in ("echo.thrift", "eventlog.thrift", "scribe.thrift", "fb303.thrift")}  # with includes
    assert reloader.roots() == [root / "idl", root / "services" / "echo", root / "services" / "eventlog", root / "services" / "mock"]
    assert reloader.relevant(str(root / "services" / "mock" / "core.py"))
    assert reloader.relevant(str(root / "idl" / "echo.thrift"))
    assert reloader.relevant(str(root / "idl" / "scribe.thrift"))
    assert not reloader.relevant(str(root / "idl" / "mock.thrift"))  # no service here reads it (the mock mimics echo)
    assert not reloader.relevant(str(root / "services" / "echo" / "notes.txt"))


def test_reload_waits_for_code_that_loads_then_serves_it(tmp_path: Path, aviary_process: Callable[..., Any]) -> None:
    project = create("greeter", tmp_path)
    handler = project / "greeter" / "__init__.py"
    good = handler.read_text()
    handler.write_text(good.replace("    def count(self, text: str) -> int:", "    def cnt(self, text: str) -> int:"))
    proc = aviary_process(
        "run", "greeter:create", "--reload", "--zk", "none", "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0",
        env={"PYTHONPATH": str(project)}, expect=0,
    )  # fmt: skip
    proc.wait_line("reload: waiting for a change that fixes it", 60)
    assert "reload: aviary: cannot load service 'greeter:create': DefinitionError: GreeterHandler does not implement Greeter.count" in proc.output or (
        "GreeterHandler does not implement Greeter.count (declared in greeter.thrift): add `def count(self, text)`" in proc.output
    )
    assert readies(proc) == 0
    handler.write_text(good)
    proc.wait_for(lambda: readies(proc) == 1, 60, "the ready line once the handler is whole")
    assert greet(proc) == "Hello, ada!"
    assert proc.stop() == 0
