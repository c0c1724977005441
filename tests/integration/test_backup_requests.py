"""Backup requests with real processes: one member answers every 5th call late; a client with
backups sends a second copy of a slow idempotent call elsewhere, takes the first answer and
cancels the other, within its budget; a method not marked idempotent is never sent twice."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from framework.client import ThriftClient
from framework.metrics import registry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import AviaryProcess  # noqa: E402

TESTS = str(Path(__file__).resolve().parent.parent)
PROBE_IDL = Path(TESTS) / "idl" / "probe.thrift"
BASE = ["--zk", "none", "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0"]
CALLS = 300
WARM_UP = 40  # calls before backups start: the latency window fills, the budget fills


@pytest.fixture(scope="module")
def members() -> Iterator[tuple[AviaryProcess, AviaryProcess]]:
    sometimes_slow = AviaryProcess(["run", "probe:create", *BASE], env={"PYTHONPATH": TESTS, "PROBE_SLOW_EVERY": "5", "PROBE_SLOW_MS": "3000"}).start()
    steady = AviaryProcess(["run", "probe:create", *BASE], env={"PYTHONPATH": TESTS}).start()
    try:
        yield sometimes_slow, steady
    finally:
        sometimes_slow.stop()
        steady.stop()


def _dest(*ps: AviaryProcess) -> str:
    return "inet!" + ",".join("%s:%d" % p.addr("probe") for p in ps)


def _counter(name: str) -> float:
    return registry.value(f"clnt/probe/backups/{name}")


def _injected(p: AviaryProcess) -> int:
    """How many delays the sometimes-slow member has injected so far (every 5th `slow` call)."""
    m = _metrics(p)
    return sum(int(v) for k, v in m.items() if k.startswith("srv/probe/") and k.endswith("/slow/requests")) // 5


def _metrics(p: AviaryProcess) -> dict[str, Any]:
    return httpx.get("http://%s:%d/admin/metrics.json" % p.addr("admin", "http")).json()


@pytest.mark.parametrize("protocol", ["thrift", "thriftmux"])
def test_a_slow_idempotent_call_is_answered_by_its_backup(members: tuple[AviaryProcess, AviaryProcess], protocol: str) -> None:
    slow, steady = members
    sent, won = _counter("sent"), _counter("won")

    async def go() -> list[int]:
        async with ThriftClient(PROBE_IDL, _dest(slow, steady), protocol=protocol, timeout_s=10, backups=0.2, idempotent=["slow"]) as c:
            return [await c.call("slow", 1) for _ in range(CALLS)]

    injected_before = _injected(slow)
    answers = asyncio.run(go())
    injected = _injected(slow) - injected_before
    # Without backups every injected 3 s delay reaches its caller. With them, once the client has
    # seen enough calls to know what slow is, most are answered by their backup instead. Not all:
    # the trigger is a percentile, so as many fast calls as the budget allows are "slow" too, and
    # a delayed call that finds the budget spent keeps its delay (Finagle's semantics).
    late = [i for i, a in enumerate(answers) if a != 1]
    late_after = [i for i in late if i >= WARM_UP]
    assert injected >= 10 and len(late_after) <= injected // 3, (late, injected, _counter("budget_exhausted"), _counter("sent") - sent)
    backups = _counter("sent") - sent
    assert 1 <= _counter("won") - won <= backups  # some originals still answer first
    assert backups <= 0.2 * CALLS + 1  # the budget: at most 20 % extra load
    assert registry.value("clnt/probe/backups/send_after_ms") < 3000


def test_a_method_not_marked_idempotent_is_never_sent_twice(members: tuple[AviaryProcess, AviaryProcess]) -> None:
    slow, steady = members
    sent = _counter("sent")

    async def go() -> list[dict[str, str]]:
        async with ThriftClient(PROBE_IDL, _dest(slow, steady), timeout_s=10, backups=0.5, idempotent=["slow"]) as c:
            return [await c.call("whoami") for _ in range(50)]

    assert len(asyncio.run(go())) == 50
    assert _counter("sent") == sent


def test_idempotent_names_must_be_methods() -> None:
    with pytest.raises(Exception, match="nosuch: no such method on Probe"):
        ThriftClient(PROBE_IDL, "inet!127.0.0.1:1", idempotent=["nosuch"])
