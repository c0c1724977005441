"""Trace and deadline propagation through framework.client, over real sockets: a Relay service
whose handler calls a Probe service (plain Thrift with the TTwitter upgrade, ThriftMux, HTTP),
a call made outside any server call, a plain Thrift server that refuses the upgrade (thriftpy2,
generated at runtime), and a deadline that passed before the call was sent."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
import thriftpy2
from thriftpy2.rpc import make_server
from thriftpy2.transport import TFramedTransportFactory

from framework.context import Deadline, TraceId
from framework.client import HttpClient, ThriftClient
from framework.metrics import registry
from framework.thrift.codec import REPLY, BinaryCodec
from framework.thrift.ttwitter import UPGRADE_METHOD
from framework.tracing import deadline_header

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import ROOT, InProcessHost, LoopbackServer, free_port  # noqa: E402
from probe import IDL as PROBE_SERVICE_IDL  # noqa: E402
from probe import create as create_probe  # noqa: E402
from relay import IDL as RELAY_IDL  # noqa: E402
from relay import PROBE_IDL  # noqa: E402
from relay import create as create_relay  # noqa: E402

TRANSPORTS = ("thrift", "thriftmux", "http")
PROBE = PROBE_SERVICE_IDL.service()


@pytest.fixture(scope="module")
def probe_host() -> Iterator[InProcessHost]:
    # trace_sample_rate=0: a sampled trace seen here can only have been propagated.
    with InProcessHost(lambda: [create_probe()], trace_sample_rate=0) as h:
        yield h


@pytest.fixture(scope="module")
def relay_host() -> Iterator[InProcessHost]:
    # trace_sample_rate=1: the relay decides "sampled" for the traces it starts.
    with InProcessHost(lambda: [create_relay()], trace_sample_rate=1) as h:
        yield h


def probe_dest(h: InProcessHost, transport: str) -> str:
    return "inet!%s:%d" % h.addr("probe", "http" if transport == "http" else "thrift")


def relay(relay_host: InProcessHost, dest: str, transport: str, timeout_s: float = 30.0, caller_timeout_s: float = 20.0) -> dict[str, str]:
    async def go() -> dict[str, str]:
        async with ThriftClient(RELAY_IDL, "inet!%s:%d" % relay_host.addr("relay"), timeout_s=caller_timeout_s) as c:
            return await c.call("relay", dest, transport, timeout_s, False)

    return asyncio.run(go())


def requests_seen() -> float:
    return sum(registry.value(f"srv/probe/{t}/requests") for t in ("thrift", "http"))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_call_made_inside_a_call_joins_its_trace_and_deadline(probe_host: InProcessHost, relay_host: InProcessHost, transport: str) -> None:
    seen = relay(relay_host, probe_dest(probe_host, transport), transport)
    assert "error" not in seen, seen
    assert seen["trace"] == seen["up.trace"] != ""  # the same trace
    assert seen["parent"] == seen["up.span"]  # a child of the relay's span
    assert seen["span"] not in ("", seen["up.span"])  # with a span of its own
    assert seen["up.sampled"] == "True" and seen["sampled"] == "True"  # decided upstream, carried
    # The relay's client allows 30 s, the relay's own caller 20 s: the earlier one travels on.
    assert seen["deadline"] == seen["up.deadline"] != ""
    if transport != "http":  # Aviary's REST side reads no client id (Finagle's HTTP has none either)
        assert seen["client"] == "relay"
        assert seen["protocol"] == {"thrift": "framed/binary/ttwitter", "thriftmux": "mux"}[transport]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_clients_own_timeout_wins_when_it_is_earlier(probe_host: InProcessHost, relay_host: InProcessHost, transport: str) -> None:
    seen = relay(relay_host, probe_dest(probe_host, transport), transport, timeout_s=2.0, caller_timeout_s=60.0)
    assert "error" not in seen, seen
    assert int(seen["deadline"]) < int(seen["up.deadline"])
    assert int(seen["up.deadline"]) - int(seen["deadline"]) > 50e9  # 60 s upstream, 2 s here


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_deadline_that_passed_fails_without_reaching_the_member(probe_host: InProcessHost, relay_host: InProcessHost, transport: str) -> None:
    body = {"dest": probe_dest(probe_host, transport), "transport": transport, "timeoutS": 30.0, "late": True}
    name, value = deadline_header(Deadline.in_seconds(0.2))
    before = requests_seen()
    r = httpx.post(relay_host.url("relay", "/Relay/relay"), json=body, headers={name: value}, timeout=30)
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["error"] == "DeadlineExceeded"
    assert "not sent" in seen["message"]
    assert requests_seen() == before  # the probe never saw it


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_outside_a_server_call_each_call_starts_a_new_root_trace(probe_host: InProcessHost, transport: str) -> None:
    async def go() -> list[dict[str, str]]:
        dest = probe_dest(probe_host, transport)
        client = HttpClient(PROBE_IDL, dest) if transport == "http" else ThriftClient(PROBE_IDL, dest, protocol=transport)
        async with client:
            return [await client.call("whoami") for _ in range(2)]

    first, second = asyncio.run(go())
    for seen in (first, second):
        assert seen["trace"] != "" and seen["parent"] == ""  # a root span
        assert seen["sampled"] == "False"  # left undecided by the client: the member decided (rate 0)
        assert seen["deadline"] != ""  # the client's own timeout travels as the deadline
    assert first["trace"] != second["trace"]


def test_a_client_filter_may_ask_for_a_sampled_trace(probe_host: InProcessHost) -> None:
    async def sampled(call: Any, next: Any) -> Any:
        call.context.trace = TraceId.new_root()
        call.context.trace.sampled = True
        return await next(call)

    async def go() -> dict[str, str]:
        async with ThriftClient(PROBE_IDL, probe_dest(probe_host, "thrift"), filters=[sampled]) as c:
            return await c.call("whoami")

    seen = asyncio.run(go())
    assert seen["sampled"] == "True"


def test_a_filter_that_sets_a_passed_deadline_stops_the_call_before_it_is_sent(probe_host: InProcessHost) -> None:
    async def expired(call: Any, next: Any) -> Any:
        call.context.deadline = Deadline.in_seconds(-1)
        return await next(call)

    async def go() -> None:
        async with ThriftClient(PROBE_IDL, probe_dest(probe_host, "thrift"), filters=[expired]) as c:
            from framework.errors import DeadlineExceeded

            with pytest.raises(DeadlineExceeded, match="not sent"):
                await c.call("whoami")
            assert not c.balancer.nodes  # no member was even picked

    before = requests_seen()
    asyncio.run(go())
    assert requests_seen() == before


# -- a plain Thrift server: the upgrade is refused, the connection stays plain ------------------


class PlainProbe:
    """What a non-Aviary, non-Finagle Thrift server answers (thriftpy2's processor)."""

    def slow(self, ms: int) -> int:
        return ms

    def join(self, a: str, b: int, rest: list[int]) -> str:
        return "/".join([a, str(b), *map(str, rest or [])])


def wait_listening(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


@pytest.fixture
def plain_server() -> Iterator[int]:
    probe_thrift = thriftpy2.load(str(ROOT / "tests" / "idl" / "probe.thrift"), module_name="probe_plain_thrift", include_dirs=[str(ROOT / "tests" / "idl")])
    port = free_port()
    server = make_server(probe_thrift.Probe, PlainProbe(), "127.0.0.1", port, trans_factory=TFramedTransportFactory())
    threading.Thread(target=server.serve, daemon=True).start()
    wait_listening(port)
    yield port
    server.close()
    server.trans.close()


def test_a_plain_thrift_server_refuses_the_upgrade_and_still_serves(plain_server: int) -> None:
    async def go() -> None:
        async with ThriftClient(PROBE_IDL, f"inet!127.0.0.1:{plain_server}") as c:
            for i in range(5):
                assert await c.call("slow", i) == i
            assert await c.call("join", "a", 1, [2, 3]) == "a/1/2/3"
            (node,) = c.balancer.nodes.values()
            (conn,) = node.idle  # one connection, reused: the probe's answer did not break it
            assert conn.ttwitter is False  # UNKNOWN_METHOD: it stayed plain Thrift
            assert c.retries == 0

    asyncio.run(go())


class ProbeClosingPeer(LoopbackServer):
    """A Thrift server on 127.0.0.1 that closes any connection whose first call is the TTwitter
    probe (as some servers did, finagle#474) and answers ``Probe.slow`` on the others."""

    def __init__(self) -> None:
        self.probes = 0
        self.method = PROBE.methods["slow"]
        self.codec = BinaryCodec([self.method])
        super().__init__()

    def serve(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as f:
            while len(head := f.read(4)) == 4:
                msg = f.read(int.from_bytes(head, "big"))
                name, _, seqid, p = self.codec.read_message_begin(msg, 0)
                if name == UPGRADE_METHOD:
                    self.probes += 1
                    return  # closed, unanswered
                args, _ = self.codec.read_args(self.method, msg, p)
                out = bytearray()
                self.codec.write_message_begin(out, name, REPLY, seqid)
                self.codec.write_result(self.method, args[0], out)
                conn.sendall(len(out).to_bytes(4, "big") + out)



def test_a_server_that_closes_on_the_probe_gets_plain_thrift_from_then_on() -> None:
    peer = ProbeClosingPeer()

    async def go() -> int:
        async with ThriftClient(PROBE_IDL, f"inet!127.0.0.1:{peer.port}") as c:
            for i in range(5):
                assert await c.call("slow", i) == i
            return c.retries

    try:
        retries = asyncio.run(go())
    finally:
        peer.close()
    assert peer.probes == 1  # probed once; after the close the member was remembered as plain
    assert retries == 1  # the first call was not sent with the probe, so it was safe to retry
