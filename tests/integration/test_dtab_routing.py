"""Dtabs across real processes: a caller's per-request override reaches the whole call graph.

Three processes: two Probe members (A, B) and a Relay whose handler calls ``/s/probe/<kind>``, a
logical name its base dtab binds to A. A caller that adds ``Dtab-Local``-style delegations
(`framework.dtab.local`) sends that one request, and the call the relay makes while serving it,
to B; calls without it, interleaved, still reach A. Every transport on both hops: plain Thrift
(TTwitter header delegations), ThriftMux (Tdispatch dtab) and HTTP (``Dtab-Local``)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from framework import dtab
from framework.client import HttpClient, ThriftClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import AviaryProcess  # noqa: E402

TESTS = str(Path(__file__).resolve().parent.parent)
RELAY_IDL = Path(TESTS) / "idl" / "relay.thrift"
BASE = ["--zk", "none", "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0"]
HOPS = ("thrift", "thriftmux", "http")


def _probe() -> AviaryProcess:
    return AviaryProcess(["run", "probe:create", *BASE], env={"PYTHONPATH": TESTS}).start()


@pytest.fixture(scope="module")
def graph() -> Iterator[dict[str, AviaryProcess]]:
    a, b = _probe(), _probe()
    base = "; ".join(f"/s/probe/{kind}=>/$/inet/127.0.0.1/{a.addr('probe', kind)[1]}" for kind in ("thrift", "http"))
    relay = AviaryProcess(["run", "relay:plugin", *BASE, "--set", f"dtab={base}"], env={"PYTHONPATH": TESTS}).start()
    try:
        yield {"a": a, "b": b, "relay": relay}
    finally:
        for p in (relay, a, b):
            p.stop()


def _override(b: AviaryProcess) -> str:
    # /s/probe goes to /b, which only this request's table knows.
    return "/s/probe=>/b;" + ";".join(f"/b/{kind}=>/$/inet/127.0.0.1/{b.addr('probe', kind)[1]}" for kind in ("thrift", "http"))


def _pid(p: AviaryProcess) -> str:
    return str(httpx.get(f"http://127.0.0.1:{p.addr('admin', 'http')[1]}/admin/server_info").json()["pid"])


def _client(relay: AviaryProcess, transport: str) -> ThriftClient | HttpClient:
    if transport == "http":
        return HttpClient(RELAY_IDL, "inet!%s:%d" % relay.addr("relay", "http"))
    return ThriftClient(RELAY_IDL, "inet!%s:%d" % relay.addr("relay"), protocol=transport)


@pytest.mark.parametrize("first", HOPS)
def test_an_override_reroutes_one_request_and_its_downstream_call(graph: dict[str, AviaryProcess], first: str) -> None:
    pid_a, pid_b = _pid(graph["a"]), _pid(graph["b"])
    assert pid_a != pid_b
    override = _override(graph["b"])

    async def go() -> list[tuple[str, bool, str]]:
        seen = []
        async with _client(graph["relay"], first) as relay:
            for second in HOPS:
                kind = "http" if second == "http" else "thrift"
                for overridden in (False, True, False):  # interleaved: the override stays with its request
                    if overridden:
                        with dtab.local(override):
                            answer = await relay.call("relay", f"/s/probe/{kind}", second, 10.0, False)
                    else:
                        answer = await relay.call("relay", f"/s/probe/{kind}", second, 10.0, False)
                    assert "error" not in answer, answer
                    seen.append((second, overridden, answer["pid"]))
        return seen

    for second, overridden, pid in asyncio.run(go()):
        assert pid == (pid_b if overridden else pid_a), (first, second, overridden)


def test_admin_dtab_shows_the_base_table(graph: dict[str, AviaryProcess]) -> None:
    body = httpx.get(f"http://127.0.0.1:{graph['relay'].addr('admin', 'http')[1]}/admin/dtab").json()
    port = graph["a"].addr("probe")[1]
    assert body["dentries"][0] == {"prefix": "/s/probe/thrift", "dst": f"/$/inet/127.0.0.1/{port}"}
    assert body["base"].startswith(f"/s/probe/thrift=>/$/inet/127.0.0.1/{port};")


def test_a_dtab_local_header_that_does_not_parse_is_a_400(graph: dict[str, AviaryProcess]) -> None:
    url = "http://%s:%d/Relay/relay" % graph["relay"].addr("relay", "http")
    r = httpx.post(url, json={"dest": "/s/probe/http", "transport": "http", "timeoutS": 5, "late": False}, headers={"Dtab-Local": "/s/probe=>"})
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "BadDtab"
    assert "Dtab-Local" in r.json()["error"]["message"] and "expected" in r.json()["error"]["message"]
    # and the next request on the same server is served as usual
    r = httpx.post(url, json={"dest": "/s/probe/http", "transport": "http", "timeoutS": 5, "late": False})
    assert r.status_code == 200 and "error" not in r.json()


def test_a_name_no_table_binds_fails_with_the_tables_it_tried(graph: dict[str, AviaryProcess]) -> None:
    async def go() -> dict[str, str]:
        async with _client(graph["relay"], "thrift") as relay:
            return await relay.call("relay", "/s/nowhere", "thrift", 5.0, False)

    answer = asyncio.run(go())
    assert answer["error"] == "NoMembers"
    assert "/s/nowhere" in answer["message"] and "/s/probe/thrift=>" in answer["message"]
