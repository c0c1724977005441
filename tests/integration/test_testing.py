"""framework.testing as a user's tests use it: `serve` with ready clients on both transports,
`call` through the filter chain without sockets, the `zookeeper` fixture with `announced`,
and the mock plugin's `mock` fixture."""

from __future__ import annotations

import httpx
import pytest

from framework.errors import ConfigError, DeadlineExceeded, InternalError, UnknownMethod
from framework.metrics import registry
from framework.testing import ZooKeeper, announced, call, serve


def test_serve_yields_ready_clients_on_every_port() -> None:
    from services.echo import echo as types

    with serve("echo") as echo:
        assert echo.thrift.repeat(text="hi", times=2) == "hi hi"
        assert echo.thrift_client(protocol="thriftmux").call("repeat", "mux", 3) == "mux mux mux"
        assert echo.thrift_client(ttwitter=False).repeat(text="plain", times=1) == "plain"
        assert echo.rest.repeat(text="rest", times=2) == "rest rest"
        for protocol, framed in (("binary", True), ("binary", False), ("compact", True), ("compact", False)):
            assert echo.wire_client(protocol, framed=framed).repeat(protocol, 2) == f"{protocol} {protocol}"
        stored = echo.thrift.put(message=types.Message(text="kept"))
        r = echo.http.get(f"/messages/{stored.id}")
        assert r.status_code == 200 and r.json()["message"]["text"] == "kept"
        with pytest.raises(types.NotFound) as e:  # the IDL's own exception type, over Thrift
            echo.thrift.get(id=stored.id + 1000)
        assert e.value.id == stored.id + 1000
        assert echo.admin.get("/admin/ping").text == "pong"
        assert echo.admin_url.startswith("http://127.0.0.1:")
        assert echo.output.splitlines()[0].startswith("ready echo thrift=127.0.0.1:")
        assert echo.dest == "inet!%s:%d" % echo.thrift_address
    with pytest.raises(httpx.ConnectError):  # stopped on exit: the port no longer answers
        httpx.get(f"http://{echo.http_address[0]}:{echo.http_address[1]}/docs", timeout=2)


def test_serve_settings_reach_the_host_and_the_service() -> None:
    with serve("echo", max_body_bytes=1024) as echo:
        assert echo.http.post("/Echo/repeat", json={"text": "x" * 2000, "times": 1}).status_code == 413
    with serve("mock", idl="echo.thrift") as mock:  # not a host setting: the mock's own `idl`
        assert mock.service.definition.name == "Echo"
    with pytest.raises(ConfigError, match="unknown setting for service 'echo'"):
        with serve("echo", no_such_setting=1):
            pass
    with pytest.raises(TypeError, match="workers must be 1; test worker processes through `aviary run --workers N`"):
        with serve("echo", workers=2):
            pass


def test_serve_fixture_runs_several_services_and_stops_them(serve) -> None:  # type: ignore[no-untyped-def]
    from services.echo import create

    both = serve("mock", create, idl="echo.thrift")  # keywords set the first service's settings
    assert set(both.services) == {"echo", "mock"}
    assert both.services["echo"].thrift.repeat(text="a", times=2) == "a a"
    assert isinstance(both.thrift.repeat(text="a", times=2), str)  # the mock's, generated from the IDL


def test_call_runs_the_filter_chain_without_sockets() -> None:
    from services.echo import create, echo as types

    service = create()
    assert call(service, "repeat", "a", 3) == "a a a"
    assert call(service, "repeat", text="b") == "b b"  # the IDL default for times
    assert call(service, "find", tag="none") == []  # a plain def handler, on the thread pool
    with pytest.raises(types.Rejected):
        call(service, "repeat", text="x", times=-1)
    with pytest.raises(DeadlineExceeded, match="echo.repeat: the caller's deadline passed"):
        call(service, "repeat", text="late", _timeout_s=-1)
    with pytest.raises(UnknownMethod, match="Echo has no method 'nope'"):
        call(service, "nope")
    assert registry.value("srv/echo/test/repeat/failures/Rejected") >= 1  # metrics as when served
    assert registry.value("srv/echo/test/repeat/failures/DeadlineExceeded") >= 1


def test_call_turns_an_unexpected_error_into_an_internal_error_with_an_id() -> None:
    from framework import Service

    class Broken:
        async def echo(self, message):  # type: ignore[no-untyped-def]
            raise RuntimeError("a bug")

        def __getattr__(self, name):  # type: ignore[no-untyped-def]
            async def other(*args):  # type: ignore[no-untyped-def]
                return None

            return other

    with pytest.raises(InternalError, match="error id"):
        call(Service("echo.thrift", Broken()), "echo", message=None)


def test_zookeeper_fixture_gives_each_test_its_own_root(zookeeper: ZooKeeper) -> None:
    assert zookeeper.root.startswith("/test-") and zookeeper.members("echo") == []
    with serve("echo", zookeeper=zookeeper) as echo:
        (member,) = announced(zookeeper, "echo")
        assert member.service_endpoint == echo.thrift_address
        assert member.additional_endpoints["http"] == echo.http_address
        assert zookeeper.path("echo") == f"{zookeeper.root}/test/echo"
    assert announced(zookeeper, "echo", count=0) == []  # withdrawn on stop


def test_announced_says_what_it_found_instead(zookeeper: ZooKeeper) -> None:
    with serve("echo", zookeeper=zookeeper):
        with pytest.raises(AssertionError, match=r"expected 2 alive member\(s\) at /test-.*/test/echo; there: member_\d+ ALIVE"):
            announced(zookeeper, "echo", count=2, timeout=0.5)


def test_mock_fixture_stubs_and_verifies(mock) -> None:  # type: ignore[no-untyped-def]
    from services.mock.verify import VerificationError

    echo = mock("echo.thrift")
    echo.stub("repeat", args={"text": "ab"}, result="stubbed")
    echo.stub("get", exception={"type": "NotFound", "fields": {"id": 7, "reason": "stubbed"}})
    assert echo.thrift.repeat(text="ab", times=3) == "stubbed"
    assert echo.rest.repeat(text="ab", times=1) == "stubbed"
    with pytest.raises(echo.service.idl.module.NotFound) as e:  # the mocked IDL's own type
        echo.thrift.get(id=7)
    assert e.value.id == 7 and e.value.reason == "stubbed"
    assert echo.verify("repeat", args={"text": "ab"}, count=2) == 2
    with pytest.raises(VerificationError, match="expected exactly 1 request"):
        echo.verify("repeat", args={"text": "zz"}, count=1)
