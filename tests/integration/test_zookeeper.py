"""ZooKeeper discovery end to end, with real ZooKeeper servers and `aviary` processes.

Announce (Finagle serverset JSON, Curator format, digest ACL), drain, re-announce after a
forced session expiry, a three-node ensemble losing nodes, rolling restarts and kill -9 under
a discovering client, and the `aviary ls`/`aviary call` commands.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import httpx
import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import InProcessHost, free_port, wait_until  # noqa: E402

from framework import load_idl, locate_idl  # noqa: E402
from framework.client import HttpClient, ThriftClient  # noqa: E402
from framework.discovery import serverset  # noqa: E402
from framework.discovery.announcer import Announcer  # noqa: E402
from services.echo import create  # noqa: E402

MEMBER = re.compile(r"^member_\d{10}$")


def members(client: KazooClient, path: str) -> dict[str, bytes]:
    if client.exists(path) is None:
        return {}
    return {c: client.get(f"{path}/{c}")[0] for c in client.get_children(path)}


def announcer_of(h: InProcessHost) -> Announcer:
    return next(e for e in h.host.extensions if isinstance(e, Announcer))


def _endpoint_ok(v: Any) -> bool:
    return isinstance(v, dict) and isinstance(v.get("host"), str) and type(v.get("port")) is int and v["host"] not in ("0.0.0.0", "")


def test_member_is_a_finagle_serverset_member(zookeeper, zk_client, zk_env) -> None:
    with InProcessHost(lambda: [create()], zk=zookeeper.hosts, env=zk_env, curator=True) as h:
        path = f"/aviary/{zk_env}/echo"
        found = members(zk_client, path)
        assert len(found) == 1, found
        name, data = next(iter(found.items()))
        assert MEMBER.match(name)
        stat = zk_client.exists(f"{path}/{name}")
        assert stat.ephemeralOwner != 0  # ephemeral: it goes with the session
        doc = json.loads(data)
        # §1: serviceEndpoint, additionalEndpoints and status always; host a string, port an int.
        assert _endpoint_ok(doc["serviceEndpoint"])
        assert doc["serviceEndpoint"]["port"] == h.addr("echo", "thrift")[1]
        assert set(doc["additionalEndpoints"]) >= {"thrift", "http"}
        assert all(_endpoint_ok(v) for v in doc["additionalEndpoints"].values())
        assert doc["additionalEndpoints"]["http"]["port"] == h.addr("echo", "http")[1]
        assert doc["status"] == "ALIVE" and type(doc["shard"]) is int
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in doc["metadata"].items())
        assert doc["metadata"]["protocols"] == "thrift,http" and doc["metadata"]["version"]
        assert serverset.parse(data).alive  # type: ignore[union-attr]
        # Curator x-discovery, as Spring Cloud Zookeeper reads it
        (cid,) = zk_client.get_children("/services/echo")
        curator = json.loads(zk_client.get(f"/services/echo/{cid}")[0])
        assert curator["id"] == cid and curator["port"] == h.addr("echo", "http")[1] and curator["serviceType"] == "DYNAMIC"
        described = announcer_of(h).describe()
        assert described["session"] == "connected" and described["members"][0]["znode"] == f"{path}/{name}"
    assert members(zk_client, path) == {}  # drained and closed: gone at once
    assert zk_client.get_children("/services/echo") == []


def test_digest_acl_lets_anyone_read_but_only_the_owner_change(zookeeper, zk_client, zk_env) -> None:
    with InProcessHost(lambda: [create()], zk=zookeeper.hosts, env=zk_env, zk_digest="svc:secret"):
        path = f"/aviary/{zk_env}/echo"
        (name,) = members(zk_client, path)  # readable without the password
        acls, _ = zk_client.get_acls(f"{path}/{name}")
        assert {a.id.scheme for a in acls} == {"digest", "world"}
        with pytest.raises(NoAuthError):
            zk_client.delete(f"{path}/{name}")


def test_announce_path_overrides_the_default(zookeeper, zk_client, zk_env) -> None:
    custom = f"/aurora/www/{zk_env}/users"
    with InProcessHost(lambda: [create()], zk=zookeeper.hosts, env=zk_env, **{"services.echo.announce_path": custom}):
        assert len(members(zk_client, custom)) == 1
        assert members(zk_client, f"/aviary/{zk_env}/echo") == {}


def test_session_expiry_reannounces_within_2s_and_never_twice(zookeeper, zk_client, zk_env) -> None:
    path = f"/aviary/{zk_env}/echo"
    with InProcessHost(lambda: [create()], zk=zookeeper.hosts, env=zk_env, zk_session_timeout_s=4) as h:
        announcer = announcer_of(h)
        (before,) = members(zk_client, path)
        session_id, password = announcer.session.client.client_id  # type: ignore[union-attr]
        # The standard trick: a second client joins the same session and closes it.
        thief = KazooClient(hosts=zookeeper.hosts, client_id=(session_id, password))
        thief.start(10)
        thief.stop()
        thief.close()
        expired_at = time.monotonic()
        after = wait_until(lambda: [m for m in members(zk_client, path) if m != before], 2.0, "the member re-announced after session expiry")
        assert time.monotonic() - expired_at <= 2.0
        assert announcer.session.client.client_id[0] != session_id  # type: ignore[union-attr]
        time.sleep(0.5)
        assert list(members(zk_client, path)) == after and len(after) == 1  # one member, not two
        assert "re-announced echo" in h.out.getvalue()


def _call_load(client: ThriftClient, stop: asyncio.Event, counts: dict[str, int], workers: int = 4) -> list[asyncio.Task[None]]:
    async def loop() -> None:
        while not stop.is_set():
            try:
                assert await client.call("repeat", "ab", 2) == "ab ab"
                counts["ok"] += 1
            except Exception as e:  # noqa: BLE001 - every failure is counted and reported
                counts["failed"] += 1
                counts.setdefault("errors", []).append(repr(e))  # type: ignore[attr-defined]
            await asyncio.sleep(0.002)

    return [asyncio.ensure_future(loop()) for _ in range(workers)]


def _aviary_args(zookeeper, env: str, *extra: str) -> list[str]:
    return ["run", "echo", "--zk", zookeeper.hosts, "--env", env, "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0",
            "--workers", "1", "--set", "drain_grace_s=1", *extra]


def test_rolling_restart_loses_no_call(zookeeper, zk_env, aviary_process) -> None:
    args = _aviary_args(zookeeper, zk_env)
    first, second = aviary_process(*args), aviary_process(*args)

    async def scenario() -> dict[str, int]:
        counts: dict[str, int] = {"ok": 0, "failed": 0}
        async with ThriftClient("echo.thrift", f"zk2!{zookeeper.hosts}!/aviary/{zk_env}/echo", timeout_s=5) as client:
            await client.wait_ready()
            await _until(lambda: len(client.resolution.addresses) == 2)
            stop = asyncio.Event()
            tasks = _call_load(client, stop, counts)
            await asyncio.sleep(0.5)
            assert await asyncio.to_thread(first.stop) == 0
            third = await asyncio.to_thread(aviary_process, *args)
            await _until(lambda: len(client.resolution.addresses) == 2 and third.addr("echo")[1] in {a.port for a in client.resolution.addresses})
            await asyncio.sleep(0.5)
            before = counts["ok"]
            assert await asyncio.to_thread(second.stop) == 0
            await asyncio.sleep(0.5)
            assert counts["ok"] > before  # the restarted one carries the load alone now
            stop.set()
            await asyncio.gather(*tasks)
            assert client.resolution.addresses == ((third.addr("echo")[0], third.addr("echo")[1]),)
        return counts

    counts = asyncio.run(scenario())
    assert counts["failed"] == 0, counts.get("errors")
    assert counts["ok"] > 100
    for p in (first, second):
        out = p.output
        assert re.search(r"draining: left ZooKeeper /aviary/\S+/echo/member_\d{10}", out), out
        assert out.index("draining: left ZooKeeper") < out.index("draining: still serving") < out.index("stopping:") < out.index("stopped")


async def _until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s")
        await asyncio.sleep(0.02)


def test_kill_9_leaves_the_set_after_the_session_timeout_and_calls_fail_over(zookeeper, zk_env, aviary_process) -> None:
    args = _aviary_args(zookeeper, zk_env, "--set", "zk_session_timeout_s=2")
    victim, survivor = aviary_process(*args), aviary_process(*args)
    victim_port = victim.addr("echo")[1]

    async def scenario() -> None:
        async with ThriftClient("echo.thrift", f"zk2!{zookeeper.hosts}!/aviary/{zk_env}/echo", timeout_s=5) as client:
            await client.wait_ready()
            await _until(lambda: len(client.resolution.addresses) == 2)
            for _ in range(20):  # warm both members' pools
                await client.call("repeat", "a", 1)
            victim.kill()  # SIGKILL: no drain, the member stays until its session times out
            await asyncio.sleep(0.2)
            assert victim_port in {a.port for a in client.resolution.addresses}
            for _ in range(50):  # calls the balancer sends to the dead one fail to connect, and go to the other
                assert await client.call("repeat", "b", 1) == "b"
            assert client.retries > 0
            await _until(lambda: victim_port not in {a.port for a in client.resolution.addresses}, 15)
            assert [a.port for a in client.resolution.addresses] == [survivor.addr("echo")[1]]
            for _ in range(20):
                assert await client.call("repeat", "c", 1) == "c"

    asyncio.run(scenario())


def test_three_node_ensemble_losing_nodes(zk_ensemble, zk_env) -> None:
    path = f"/aviary/{zk_env}/echo"
    dest = f"zk2!{zk_ensemble.hosts}!{path}"
    with InProcessHost(lambda: [create()], zk=zk_ensemble.hosts, env=zk_env, zk_session_timeout_s=4) as h:
        announcer = announcer_of(h)
        (first,) = [a.znode for a in announcer._announcements]

        async def calls(client: ThriftClient, n: int = 20) -> None:
            for _ in range(n):
                assert await client.call("repeat", "z", 1) == "z"

        async def scenario() -> None:
            async with ThriftClient("echo.thrift", dest, timeout_s=5) as client:
                await client.wait_ready()
                await _until(lambda: len(client.resolution.addresses) == 1)
                await calls(client)
                # one node down: a quorum remains, the member stays, calls go on
                await asyncio.to_thread(zk_ensemble.stop_node, 0)
                await calls(client)
                await asyncio.sleep(1.0)
                watcher = KazooClient(hosts=",".join(zk_ensemble.hosts.split(",")[1:]))
                await asyncio.to_thread(watcher.start, 10)
                assert await asyncio.to_thread(watcher.exists, first) is not None
                await asyncio.to_thread(watcher.stop)
                watcher.close()
                assert len(client.resolution.addresses) == 1
                # the whole ensemble down: the service serves, the client keeps its last set
                for i in (1, 2):
                    await asyncio.to_thread(zk_ensemble.stop_node, i)
                await asyncio.sleep(1.0)
                await calls(client)
                # back up: announced again (or still, if the session survived), exactly once
                for i in range(3):
                    zk_ensemble.start_node(i)
                await asyncio.to_thread(zk_ensemble.wait_serving, range(3), 60)
                await calls(client)

        asyncio.run(scenario())
        watcher = KazooClient(hosts=zk_ensemble.hosts)
        watcher.start(20)
        try:
            wait_until(lambda: announcer.announced and len(members(watcher, path)) == 1, 30, "one member after the ensemble came back")
            (name,) = members(watcher, path)
            assert announcer._announcements[0].znode == f"{path}/{name}"
        finally:
            watcher.stop()
            watcher.close()


def test_embedded_zookeeper_by_default_and_drain_steps(aviary_process) -> None:
    p = aviary_process("run", "echo", "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0")
    m = re.search(r"zookeeper: embedded, serving at (\S+)", p.output)
    assert m, p.output
    hosts = m.group(1)
    zk = KazooClient(hosts=hosts)
    zk.start(10)
    try:
        (name,) = zk.get_children("/aviary/dev/echo")
    finally:
        zk.stop()
        zk.close()
    assert p.stop() == 0
    out = p.output
    assert f"draining: left ZooKeeper /aviary/dev/echo/{name}" in out
    assert out.index("draining: left ZooKeeper") < out.index("stopping:") < out.index("zookeeper: embedded one stopped") < out.index("stopped")


def test_unreachable_zookeeper_does_not_stop_serving_and_is_joined_when_it_comes(zk_env) -> None:
    from framework.discovery.embedded import EmbeddedZooKeeper

    port = free_port()
    with InProcessHost(lambda: [create()], zk=f"127.0.0.1:{port}", env=zk_env, zk_session_timeout_s=2) as h:
        assert re.search(r"not announced yet \(127\.0\.0\.1:\d+ unreachable\); serving anyway", h.out.getvalue()), h.out.getvalue()
        assert announcer_of(h).describe()["members"][0]["znode"] is None
        # The admin port tells the truth meanwhile: not announced, and /health (200) says why.
        admin_host, admin_port = h.addr("admin", "http")
        body = httpx.get(f"http://{admin_host}:{admin_port}/admin/announcer").json()
        assert body["announced"] is False and body["announcers"][0]["session_id"] is None
        why = rf"announcer: no ZooKeeper session with 127\.0\.0\.1:{port} for \d+s \(socket connection error: .+\); not announced, serving anyway"
        assert re.fullmatch(why, body["message"]), body
        health = httpx.get(f"http://{admin_host}:{admin_port}/health")
        assert health.status_code == 200 and re.fullmatch(rf"OK\n{why}\n", health.text), health.text

        async def call() -> Any:
            async with ThriftClient("echo.thrift", f"inet!{h.addr('echo')[0]}:{h.addr('echo')[1]}") as c:
                return await c.call("repeat", "up", 1)

        assert asyncio.run(call()) == "up"
        with EmbeddedZooKeeper(client_port=port) as late:
            watcher = KazooClient(hosts=late.hosts)
            watcher.start(10)
            try:
                wait_until(lambda: len(members(watcher, f"/aviary/{zk_env}/echo")) == 1, 15, "announced once ZooKeeper came")
            finally:
                watcher.stop()
                watcher.close()


def test_http_client_and_declared_exceptions_through_discovery(zookeeper, zk_env) -> None:
    with InProcessHost(lambda: [create()], zk=zookeeper.hosts, env=zk_env), InProcessHost(lambda: [create()], zk=zookeeper.hosts, env=zk_env):

        async def scenario() -> None:
            dest = f"zk2!{zookeeper.hosts}!/aviary/{zk_env}/echo"
            idl = load_idl(locate_idl("echo.thrift"))  # one IDL module: both clients' values are the same classes
            async with HttpClient(idl, dest + "!http") as web, ThriftClient(idl, dest) as thrift:
                await web.wait_ready()
                await thrift.wait_ready()
                msg = web.idl.module.Message(text="hi", tags=["a"], counters={"n": 2**40})
                assert await web.call("echo", msg) == msg
                assert await thrift.call("echo", message=msg) == msg
                for client in (web, thrift):
                    with pytest.raises(web.idl.module.NotFound) as e:
                        await client.call("get", 424242)
                    assert e.value.id == 424242
                assert {n.address for n in web.balancer.nodes.values()} == set(web.resolution.addresses)

        asyncio.run(scenario())


def test_aviary_ls_and_call(zookeeper, zk_env) -> None:
    exe = str(Path(sys.executable).parent / "aviary")
    with InProcessHost(lambda: [create()], zk=zookeeper.hosts, env=zk_env) as h:
        dest = f"zk2!{zookeeper.hosts}!/aviary/{zk_env}/echo"

        def aviary(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([exe, *args], capture_output=True, text=True, timeout=60)

        ls = aviary("ls", dest)
        assert ls.returncode == 0, ls.stderr
        assert re.search(rf"member_\d{{10}}\s+ALIVE\s+shard=0\s+127\.0\.0\.1:{h.addr('echo')[1]}\s+.*http=127\.0\.0\.1:{h.addr('echo', 'http')[1]}", ls.stdout), ls.stdout
        assert json.loads(aviary("ls", dest, "--json").stdout)[0]["metadata"]["idl_service"] == "Echo"
        thrift = aviary("call", dest, "echo", '{"message": {"text": "hi", "tags": ["x"]}}')
        assert thrift.returncode == 0, thrift.stderr
        assert json.loads(thrift.stdout) == {"text": "hi", "volume": "NORMAL", "tags": ["x"]}
        web = aviary("call", "--http", dest, "repeat", '{"text": "a", "times": 2}')
        assert (web.returncode, json.loads(web.stdout)) == (0, "a a"), web.stderr
        missing = aviary("call", dest, "get", '{"id": 7}')
        assert missing.returncode == 1 and json.loads(missing.stdout)["error"]["type"] == "NotFound"
        bad = aviary("call", dest, "repeat", '{"text": 5}')
        assert bad.returncode == 2 and "args.text" in bad.stderr
        nobody = aviary("ls", f"zk2!{zookeeper.hosts}!/aviary/{zk_env}/nobody")
        assert nobody.returncode == 1 and "no members" in nobody.stdout


def test_watches_keep_the_set_current_alive_only_malformed_ignored(zookeeper, zk_client, zk_env, caplog) -> None:
    from framework.discovery.resolver import Address, resolve

    path = f"/aviary/{zk_env}/other"

    def member(port: int, status: str = "ALIVE") -> str:
        data = serverset.encode(("10.0.0.1", port), {"http": ("10.0.0.1", port + 1)}, 0)
        data = data.replace(b'"ALIVE"', f'"{status}"'.encode())
        return zk_client.create(f"{path}/member_", data, sequence=True, makepath=True)

    zk2 = resolve(f"zk2!{zookeeper.hosts}!{path}")
    legacy = resolve(f"zk!{zookeeper.hosts}!{path}!http")
    try:
        assert zk2.wait_ready(10) and zk2.addresses == ()  # no such path yet: an empty set
        alive = member(1000)
        member(2000, "STOPPING")
        with caplog.at_level("WARNING", "aviary.discovery"):
            bad = zk_client.create(f"{path}/member_", b"{not json", sequence=True)
            zk_client.create(f"{path}/not_a_member", b"{}")
            member(3000)
            wait_until(lambda: len(zk2.addresses) == 2, 10, "two ALIVE members")
        assert set(zk2.addresses) == {Address("10.0.0.1", 1000), Address("10.0.0.1", 3000)}
        assert bad in caplog.text  # the malformed member is named in one log line
        wait_until(lambda: len(legacy.addresses) == 3, 10, "zk (legacy) does not filter on status")
        assert Address("10.0.0.1", 2001) in legacy.addresses  # the http endpoint
        zk_client.delete(alive)
        wait_until(lambda: set(zk2.addresses) == {Address("10.0.0.1", 3000)}, 10, "a member leaving")
        zk_client.delete(path, recursive=True)
        wait_until(lambda: zk2.addresses == (), 10, "the path deleted")
        member(4000)
        wait_until(lambda: zk2.addresses == (Address("10.0.0.1", 4000),), 10, "the path created again")
    finally:
        zk2.close()
        legacy.close()


def test_a_path_it_may_not_write_is_reported_and_the_service_still_serves(zookeeper, zk_client, zk_env) -> None:
    from kazoo.security import make_acl, make_digest_acl

    locked = f"/locked-{zk_env}"
    zk_client.create(locked, b"", acl=[make_digest_acl("owner", "pw", all=True), make_acl("world", "anyone", read=True)])
    with InProcessHost(lambda: [create()], zk=zookeeper.hosts, env=zk_env, zk_session_timeout_s=1, **{"services.echo.announce_path": f"{locked}/echo"}) as h:
        assert re.search(r"not announced yet \(NoAuthError", h.out.getvalue()), h.out.getvalue()
        assert "NoAuthError" in announcer_of(h).describe()["last_error"]

        async def call() -> Any:
            async with ThriftClient("echo.thrift", "inet!%s:%d" % h.addr("echo")) as c:
                return await c.call("repeat", "ok", 1)

        assert asyncio.run(call()) == "ok"


def test_aviary_call_fetches_an_idl_it_does_not_have_from_a_member(zookeeper, zk_env) -> None:
    from probe import create as create_probe

    exe = str(Path(sys.executable).parent / "aviary")
    with InProcessHost(lambda: [create_probe()], zk=zookeeper.hosts, env=zk_env):
        dest = f"zk2!{zookeeper.hosts}!/aviary/{zk_env}/probe"
        # probe.thrift is not installed and includes shared.thrift: both come from the member's /idl
        done = subprocess.run([exe, "call", dest, "pair", '{"p": {"key": "k", "value": 7}}'], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        with_idl = subprocess.run(
            [exe, "call", "--http", "--idl", str(Path(__file__).resolve().parent.parent / "idl" / "probe.thrift"), dest, "slow", '{"ms": 1}'],
            capture_output=True, text=True, timeout=60,
        )
        assert (with_idl.returncode, with_idl.stdout.strip()) == (0, "1"), with_idl.stderr
    assert json.loads(done.stdout)["key"] == "k"


def test_services_sharing_a_thrift_port_are_announced_at_their_own_paths(zookeeper, zk_client, zk_env) -> None:
    from probe import IDL as PROBE_IDL
    from probe import create as create_probe

    settings = {"services.probe.share_thrift_port": "echo"}
    with InProcessHost(lambda: [create(), create_probe()], zk=zookeeper.hosts, env=zk_env, **settings) as h:
        docs = {}
        for name in ("echo", "probe"):
            found = members(zk_client, f"/aviary/{zk_env}/{name}")
            assert len(found) == 1, (name, found)
            docs[name] = json.loads(next(iter(found.values())))
        shared = h.addr("echo", "thrift")[1]
        assert docs["echo"]["serviceEndpoint"]["port"] == docs["probe"]["serviceEndpoint"]["port"] == shared
        assert docs["probe"]["additionalEndpoints"]["thrift"]["port"] == shared
        assert docs["probe"]["additionalEndpoints"]["http"]["port"] == h.addr("probe", "http")[1] != h.addr("echo", "http")[1]

        async def calls() -> None:
            # Found through its own serverset, called by name on the shared port.
            async with ThriftClient(PROBE_IDL, f"zk2!{zookeeper.hosts}!/aviary/{zk_env}/probe", multiplexed="Probe") as c:
                await c.wait_ready()
                assert (await c.call("whoami"))["method"] == "whoami"
            async with HttpClient(PROBE_IDL, f"zk2!{zookeeper.hosts}!/aviary/{zk_env}/probe!http") as c:
                await c.wait_ready()
                assert (await c.call("whoami"))["transport"] == "http"

        asyncio.run(calls())
