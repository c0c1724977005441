"""`ThriftClient(..., protocol="thriftmux")` against Aviary's own Mux server on real loopback
sockets: calls and their errors, one shared connection per member, pings, a member that drains
while calls keep coming, a member that NACKs, and a lost connection replaced."""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

from framework.client import ThriftClient
from framework.client.base import RemoteError
from framework.metrics import registry
from framework.thrift import mux_wire as w

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import InProcessHost, MuxPeer  # noqa: E402
from probe import IDL as PROBE_IDL  # noqa: E402
from probe import create as create_probe  # noqa: E402
from probe import probe  # noqa: E402


def probe_host(**settings: Any) -> InProcessHost:
    return InProcessHost(lambda: [create_probe()], **settings)


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[InProcessHost, InProcessHost]]:
    with probe_host() as a, probe_host() as b:
        yield a, b


def inet(*addrs: tuple[str, int]) -> str:
    return "inet!" + ",".join("%s:%d" % a for a in addrs)


def mux_client(*addrs: tuple[str, int], **options: Any) -> ThriftClient:
    return ThriftClient(PROBE_IDL, inet(*addrs), protocol="thriftmux", **options)


def run(coro: Any, timeout: float = 60) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout))


def mux_sessions(h: InProcessHost) -> int:
    """Mux sessions open on the host's Thrift port right now (read on the host's loop)."""

    async def count() -> int:
        (running,) = h.host.running
        return sum(1 for c in running.thrift.connections if type(c.session).__name__ == "MuxSession")

    return h.run(count)


def test_calls_results_and_errors_over_mux(pair: tuple[InProcessHost, InProcessHost]) -> None:
    a, _ = pair

    async def go() -> None:
        async with mux_client(a.addr("probe")) as c:
            assert await c.call("slow", 3) == 3
            assert await c.call("join", "a", 1, [2, 3]) == "a/1/2/3"
            assert await c.call("count", probe.Node(name="r", children=[probe.Node(name="c")])) == 2
            with pytest.raises(probe.Oops):
                await c.call("fail", "declared")
            with pytest.raises(RemoteError, match="internal error"):
                await c.call("fail", "value")
            seen = await c.call("whoami")
            assert seen["protocol"] == "mux"
            assert c.retries == 0

    run(go())


def test_concurrent_calls_share_one_connection_per_member(pair: tuple[InProcessHost, InProcessHost]) -> None:
    a, b = pair
    before = registry.value("srv/probe/thriftmux/connects")

    async def go() -> None:
        async with mux_client(a.addr("probe"), b.addr("probe")) as c:
            results = await asyncio.gather(*(c.call("slow", 5) for _ in range(200)))
            assert results == [5] * 200
            assert c.mux is not None and c.mux.opened == 2  # one per member, though 200 started at once
            sessions = await asyncio.to_thread(lambda: (mux_sessions(a), mux_sessions(b)))
            assert sessions == (1, 1)  # what the members saw: one session each
            loads = [n.load for n in c.balancer.nodes.values()]
            assert loads == [0, 0]

    run(go())
    assert registry.value("srv/probe/thriftmux/connects") - before == 2


def test_pings_keep_the_connection_checked(pair: tuple[InProcessHost, InProcessHost]) -> None:
    a, _ = pair

    async def go() -> None:
        async with mux_client(a.addr("probe"), ping_interval_s=0.01) as c:
            await c.call("slow", 0)
            (conn,) = c.mux.conns.values()  # type: ignore[union-attr]
            while conn.pongs < 3:  # bounded by run()'s timeout; no timing asserted
                await asyncio.sleep(0.01)
            assert not conn.closed and await c.call("slow", 1) == 1

    run(go())


def test_a_lost_connection_is_replaced_by_the_next_call(pair: tuple[InProcessHost, InProcessHost]) -> None:
    a, _ = pair

    async def go() -> None:
        async with mux_client(a.addr("probe")) as c:
            await c.call("slow", 0)
            (first,) = c.mux.conns.values()  # type: ignore[union-attr]
            await first.close()  # as a lost connection or a failed ping leaves it
            assert await c.call("slow", 2) == 2
            (second,) = c.mux.conns.values()  # type: ignore[union-attr]
            assert second is not first and c.mux.opened == 2  # type: ignore[union-attr]

    run(go())


def test_a_member_that_drains_is_left_for_the_other_without_errors() -> None:
    a = probe_host(shutdown_timeout_s=10).start()
    b = probe_host().start()
    stopper = threading.Thread(target=a.stop)
    errors: list[BaseException] = []
    done_after_stop = 0

    async def go() -> None:
        async with mux_client(a.addr("probe"), b.addr("probe")) as c:
            stopped = asyncio.Event()

            async def worker() -> None:
                nonlocal done_after_stop
                after = 0
                while after < 50:
                    try:
                        assert await c.call("slow", 1) == 1
                    except Exception as e:  # noqa: BLE001 - every failure is what the test counts
                        errors.append(e)
                    if stopped.is_set():
                        after += 1
                        done_after_stop += 1

            workers = [asyncio.create_task(worker()) for _ in range(8)]
            while c.mux is None or len(c.mux.conns) < 2:  # calls on both members before the drain
                await asyncio.sleep(0.01)
            stopper.start()
            await asyncio.to_thread(stopper.join, 30)
            stopped.set()
            await asyncio.gather(*workers)
            node_a = next(n for n in c.balancer.nodes.values() if n.address.port == a_port)
            assert node_a.aside_until > 0  # the client saw Tdrain and set the member aside

    a_port = a.addr("probe")[1]
    try:
        run(go())
    finally:
        if stopper.ident is None:
            a.stop()
        else:
            stopper.join(30)
        b.stop()
    assert errors == []
    assert done_after_stop == 8 * 50  # every call after the drain succeeded, on the other member
    assert "stopped" in a.out.getvalue()


class NackingPeer(MuxPeer):
    """A Mux server on 127.0.0.1 that completes the handshake and NACKs every dispatch, as a
    Finagle server does when it is overloaded or past its drain."""

    def __init__(self) -> None:
        self.dispatches = 0
        super().__init__(self._answer)

    def _answer(self, m: w.MuxMessage) -> bytes | None:
        if m.type == w.RERR and m.body == w.TINIT_CHECK:
            return w.encode(w.RERR, m.tag, w.TINIT_CHECK)  # echoed: this server speaks Tinit
        if m.type == w.TINIT:
            return w.encode(w.RINIT, m.tag, w.encode_init(w.VERSION, []))
        if m.type == w.TDISPATCH:
            self.dispatches += 1
            return w.encode(w.RDISPATCH, m.tag, w.encode_rdispatch(w.NACK, b"", w.nack_contexts()))
        if m.type == w.TPING:
            return w.encode(w.RPING, m.tag)
        return None


def test_a_nack_is_retried_on_another_member(pair: tuple[InProcessHost, InProcessHost]) -> None:
    a, _ = pair
    peer = NackingPeer()

    async def go() -> int:
        async with mux_client(peer.addr, a.addr("probe")) as c:
            for i in range(30):
                assert await c.call("slow", i) == i
            return c.retries

    try:
        retries = run(go())
    finally:
        peer.close()
    assert peer.dispatches > 0  # the NACKing member was tried...
    assert retries == peer.dispatches  # ...and every call it refused went to the other one
