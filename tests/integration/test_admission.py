"""Admission control with real processes: a member at its pending-call limit refuses more in each
transport's retryable form, Aviary's client takes the refusal to another member, and a plain
handler's call whose deadline passed while it waited for a thread is not run."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator

import httpx
import pytest
import thriftpy2
from thriftpy2.protocol import TBinaryProtocolFactory
from thriftpy2.rpc import make_client
from thriftpy2.thrift import TApplicationException
from thriftpy2.transport import TFramedTransportFactory

from framework.client import ThriftClient
from framework.context import Deadline
from framework.idl import load
from framework.thrift.mux_client import MuxConnection, MuxNack
from framework.tracing import deadline_header

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import AviaryProcess  # noqa: E402

TESTS = str(Path(__file__).resolve().parent.parent)
PROBE_IDL = Path(TESTS) / "idl" / "probe.thrift"
BASE = ["--zk", "none", "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0"]
LOADSHEDDING = 11


def _probe(*settings: str) -> AviaryProcess:
    flags = [x for s in settings for x in ("--set", s)]
    return AviaryProcess(["run", "probe:create", *BASE, *flags], env={"PYTHONPATH": TESTS}).start()


@pytest.fixture(scope="module")
def members() -> Iterator[dict[str, AviaryProcess]]:
    limited, free, one_thread = _probe("max_pending_calls=2"), _probe(), _probe("handler_threads=1")
    try:
        yield {"limited": limited, "free": free, "one_thread": one_thread}
    finally:
        for p in (limited, free, one_thread):
            p.stop()


def _metrics(p: AviaryProcess) -> dict[str, Any]:
    return httpx.get("http://%s:%d/admin/metrics.json" % p.addr("admin", "http")).json()


def _inet(*ps: AviaryProcess) -> str:
    return "inet!" + ",".join("%s:%d" % p.addr("probe") for p in ps)


async def _while_full(p: AviaryProcess, check: Callable[[], Awaitable[None]]) -> None:
    """Run `check` while `p` has two slow calls pending (its limit)."""
    async with ThriftClient(PROBE_IDL, _inet(p), timeout_s=30) as c:
        slow = [asyncio.ensure_future(c.call("slow", 2500)) for _ in range(2)]
        deadline = asyncio.get_running_loop().time() + 20
        while _metrics(p).get("srv/probe/admission/pending", 0) < 2:
            assert asyncio.get_running_loop().time() < deadline, "the slow calls never arrived"
            await asyncio.sleep(0.05)
        try:
            await check()
        finally:
            assert await asyncio.gather(*slow) == [2500, 2500]  # the admitted calls are served in full


def test_each_transport_refuses_in_its_retryable_form(members: dict[str, AviaryProcess]) -> None:
    p = members["limited"]

    async def check() -> None:
        probe = thriftpy2.load(str(PROBE_IDL), module_name="probe_admission_thrift")
        host, port = p.addr("probe")
        plain = make_client(probe.Probe, host, port, trans_factory=TFramedTransportFactory(), proto_factory=TBinaryProtocolFactory(), timeout=5000)
        try:
            with pytest.raises(TApplicationException) as e:
                await asyncio.to_thread(plain.slow, 0)
            assert e.value.type == LOADSHEDDING and "max_pending_calls = 2" in e.value.message
        finally:
            plain.close()

        mux = MuxConnection(host, port, load(str(PROBE_IDL)).service())
        await mux.connect()
        try:
            with pytest.raises(MuxNack):
                await mux.call("slow", [0], None)
        finally:
            await mux.close()

        async with httpx.AsyncClient() as http:
            r = await http.post("http://%s:%d/Probe/slow" % p.addr("probe", "http"), json={"ms": 0})
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        assert r.json()["error"]["type"] == "Overloaded"

    asyncio.run(_while_full(p, check))
    m = _metrics(p)
    assert m["srv/probe/admission/refused/pending"] >= 3
    # with the slow calls done, the member takes calls again
    r = httpx.post("http://%s:%d/Probe/slow" % p.addr("probe", "http"), json={"ms": 0})
    assert r.status_code == 200


def test_an_aviary_client_takes_a_refusal_to_another_member(members: dict[str, AviaryProcess]) -> None:
    limited, free = members["limited"], members["free"]
    before = _metrics(limited).get("srv/probe/admission/refused/pending", 0)

    async def check() -> None:
        async with ThriftClient(PROBE_IDL, _inet(limited, free), timeout_s=10) as c:
            answers = [await c.call("slow", 0) for _ in range(30)]
        assert answers == [0] * 30

    asyncio.run(_while_full(limited, check))
    assert _metrics(limited)["srv/probe/admission/refused/pending"] > before  # some went there first


def test_a_call_whose_deadline_passed_while_queued_for_a_thread_is_not_run(members: dict[str, AviaryProcess]) -> None:
    p = members["one_thread"]  # one handler thread: blocking calls queue behind each other
    url = "http://%s:%d/Probe/blocking" % p.addr("probe", "http")
    # Callers that pass a 1.5 s deadline on (as a proxy would) but keep waiting for the answer.
    name, value = deadline_header(Deadline.in_seconds(1.5))

    async def go() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30) as http:
            return await asyncio.gather(*(http.post(url, json={"ms": 1000}, headers={name: value}) for _ in range(4)))

    answers = asyncio.run(go())
    ran = [r for r in answers if r.status_code == 200]
    dropped = [r for r in answers if r.status_code == 504]
    # The thread ran the first two (the second started before the deadline); the other two had
    # waited past it by the time the thread was free, and were dropped unrun.
    assert (len(ran), len(dropped)) == (2, 2), [(r.status_code, r.text) for r in answers]
    for r in dropped:
        assert "while the call waited for a handler thread; not run" in r.json()["error"]["message"]
    m = _metrics(p)
    assert m["srv/probe/admission/refused/late"] == 2
    assert m["srv/probe/http/blocking/success"] == 2
