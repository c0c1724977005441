"""Discovery that heals by itself, against a real ZooKeeper that goes away and comes back.

* rebuilt from empty (data directory deleted, started again on the same port) after thousands
  of transactions: it refuses the members' old sessions, so each must start a new one, say why
  once, and announce again; a discovering client keeps calling throughout;
* a real session expiry: a member frozen (SIGSTOP) past its session timeout, then thawed;
* while ZooKeeper is away: /health answers 200 and says so, /admin/announcer says not
  announced, and the connection failures are logged once, then summarised.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from kazoo.client import KazooClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import AviaryProcess, free_port, wait_until  # noqa: E402
from zk_fixtures import advance_zxid, rebuild_from_empty, start_again  # noqa: E402

from framework.client import ThriftClient  # noqa: E402
from framework.discovery.embedded import EmbeddedZooKeeper, four_letter  # noqa: E402
from framework.discovery.resolver import resolve  # noqa: E402
from framework.discovery.session import ZooKeeperSession  # noqa: E402

SESSION_TIMEOUT_S = 3


def members(hosts: str, path: str) -> list[str]:
    client = KazooClient(hosts=hosts)
    client.start(10)
    try:
        return sorted(client.get_children(path)) if client.exists(path) else []
    finally:
        client.stop()
        client.close()


def member_args(zk: EmbeddedZooKeeper, env: str) -> list[str]:
    return ["run", "echo", "--zk", zk.hosts, "--env", env, "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0",
            "--set", f"zk_session_timeout_s={SESSION_TIMEOUT_S}"]


def admin(p: AviaryProcess, path: str) -> httpx.Response:
    host, port = p.addr("admin", "http")
    return httpx.get(f"http://{host}:{port}{path}", timeout=5)


def lines(p: AviaryProcess, pattern: str) -> list[str]:
    return [ln for ln in p.lines if re.search(pattern, ln)]


def test_members_come_back_after_zookeeper_is_rebuilt_from_empty_and_callers_never_notice(zk_rebuildable, zk_env, aviary_process) -> None:
    zk = zk_rebuildable
    path = f"/aviary/{zk_env}/echo"
    first, second = aviary_process(*member_args(zk, zk_env)), aviary_process(*member_args(zk, zk_env))
    seen = advance_zxid(zk, 3000)
    assert seen > 3000
    assert len(members(zk.hosts, path)) == 2
    assert admin(first, "/admin/announcer").json()["announced"] is True

    # The callers run on a loop of their own; ZooKeeper is stopped and started from this thread,
    # which outlives it (the JVM dies with the thread that started it: PR_SET_PDEATHSIG).
    counts: dict[str, Any] = {"ok": 0, "failed": [], "ok_after": 0}
    stop, rebuilt = threading.Event(), threading.Event()
    calling = threading.Event()
    # The client's own session is as old as the members': it is refused too, and replaced.
    resolution = resolve(f"zk2!{zk.hosts}!{path}", session_timeout_s=SESSION_TIMEOUT_S)

    async def callers() -> None:
        async with ThriftClient("echo.thrift", resolution, timeout_s=5) as client:
            await client.wait_ready()

            async def load() -> None:
                while not stop.is_set():
                    try:
                        assert await client.call("repeat", "x", 1) == "x"
                        counts["ok"] += 1
                        counts["ok_after"] += rebuilt.is_set()
                    except Exception as e:  # noqa: BLE001 - every failure is reported
                        counts["failed"].append(repr(e))
                    calling.set()
                    await asyncio.sleep(0.01)

            await asyncio.gather(load(), load())

    loop = threading.Thread(target=asyncio.run, args=(callers(),), daemon=True)
    loop.start()
    calling.wait(10)
    both = {first.addr("echo")[1], second.addr("echo")[1]}
    wait_until(lambda: {a.port for a in resolution.addresses} == both, 10, "the client sees both members")
    rebuild_from_empty(zk, start=False)
    # ZooKeeper away: the members serve, /health says 200 and why, nothing is announced.
    for p in (first, second):
        p.wait_line(r"zookeeper: lost the connection to", 10)
    health = admin(first, "/health")
    assert health.status_code == 200 and health.text.startswith("OK\n")
    assert re.search(r"announcer: no ZooKeeper session with \S+ for \d+s \(.+\); not announced, serving anyway", health.text), health.text
    announcer = admin(first, "/admin/announcer").json()
    assert announcer["announced"] is False and "no ZooKeeper session" in announcer["message"], announcer
    assert announcer["announcers"][0]["session"] != "connected"
    start_again(zk)
    assert int(re.search(r"Zxid: (0x[0-9a-f]+)", four_letter("127.0.0.1", zk.nodes[0].client_port)).group(1), 16) < seen  # type: ignore[union-attr]
    rebuilt.set()
    wait_until(lambda: len(members(zk.hosts, path)) == 2, 2 * SESSION_TIMEOUT_S + 2, "both members announced again")
    wait_until(lambda: [z.new_sessions for z in resolution.sessions] == [1], 2 * SESSION_TIMEOUT_S + 2, "the client's new session")
    wait_until(lambda: {a.port for a in resolution.addresses} == both, 10, "the client resolves both")
    time.sleep(0.3)
    stop.set()
    loop.join(10)
    assert counts["failed"] == [] and counts["ok_after"] > 0, counts
    # The client's watches live in its new session: it sees members leave and join.
    assert second.stop() == 0
    wait_until(lambda: {a.port for a in resolution.addresses} == {first.addr("echo")[1]}, 10, "the client sees the second member leave")
    third = aviary_process(*member_args(zk, zk_env))
    wait_until(lambda: {a.port for a in resolution.addresses} == {first.addr("echo")[1], third.addr("echo")[1]}, 10, "the client sees a new member join")
    resolution.close()
    body = admin(first, "/admin/announcer").json()
    assert body["announced"] is True and body["announcers"][-1]["new_sessions"] == 1, body
    assert admin(first, "/health").text == "OK\n"
    for p in (first, second):
        # One line saying why it started a new session: usually the refused zxid; a member whose
        # reconnection attempt met the rebuilt server just as it came up may hear "expired" instead.
        (why,) = lines(p, r"starting a new (session with|one)")
        refused = rf"none for \d+s, longer than the session timeout \({SESSION_TIMEOUT_S}s\); this client has seen zxid 0x[0-9a-f]+ but \S+ is at 0x[0-9a-f]+, so ZooKeeper refuses the old session"
        assert re.search(refused, why) or "expired (ZooKeeper deleted its ephemeral nodes)" in why, why
        assert len(lines(p, r"re-announced echo")) == 1
        # Connection failures: one line when they start, none of kazoo's per-attempt lines.
        assert len(lines(p, r"zookeeper: lost the connection to")) == 1, p.output
        assert lines(p, r"Connection dropped|Transition to CONNECTING") == [], p.output
        assert len(lines(p, r"zookeeper: connected to \S+ \(session 0x[0-9a-f]+\) after \d+s without a session; \d+ attempts failed")) == 1, p.output


def test_a_member_frozen_past_its_session_timeout_announces_again(zookeeper, zk_env, aviary_process) -> None:
    path = f"/aviary/{zk_env}/echo"
    member = aviary_process(*member_args(zookeeper, zk_env))
    (before,) = members(zookeeper.hosts, path)
    assert member.proc is not None
    member.proc.send_signal(signal.SIGSTOP)  # frozen: no pings, so ZooKeeper expires the session
    try:
        wait_until(lambda: members(zookeeper.hosts, path) == [], SESSION_TIMEOUT_S * 3, "ZooKeeper expired the frozen member's session")
    finally:
        member.proc.send_signal(signal.SIGCONT)
    (after,) = wait_until(lambda: members(zookeeper.hosts, path), 2 * SESSION_TIMEOUT_S, "the thawed member announced again")
    assert after != before
    member.wait_line(r"re-announced echo", 5)
    (why,) = lines(member, r"session with \S+ expired")
    assert "deleted its ephemeral nodes" in why
    assert admin(member, "/admin/announcer").json()["announced"] is True
    time.sleep(0.5)
    assert members(zookeeper.hosts, path) == [after]  # one member, not two


def test_connection_failures_are_logged_once_then_summarised(caplog) -> None:
    port = free_port()
    caplog.set_level(logging.INFO)
    session = ZooKeeperSession(f"127.0.0.1:{port}", 2.0, summary_interval_s=1.0)
    session.start()
    try:
        wait_until(lambda: len([r for r in caplog.records if "still no session" in r.getMessage()]) >= 2, 15, "two summaries")
        said = [r.getMessage() for r in caplog.records if r.name == "aviary.zookeeper"]
        assert len([m for m in said if m.startswith(f"zookeeper: cannot connect to 127.0.0.1:{port} (socket connection error")]) == 1, said
        summaries = [m for m in said if "still no session" in m]
        assert all(re.fullmatch(rf"zookeeper: still no session with 127\.0\.0\.1:{port} after \d+s; \d+ attempts failed \(last: .+\)", m) for m in summaries), summaries
        assert int(re.search(r"(\d+) attempts failed", summaries[-1]).group(1)) > 2  # type: ignore[union-attr]
        assert [r for r in caplog.records if r.name.startswith("kazoo")] == []  # kazoo's line per attempt is gone
        assert session.health().startswith(f"no ZooKeeper session with 127.0.0.1:{port} for ")
        assert session.new_sessions == 0  # it never had a session: a fresh client would change nothing
        with EmbeddedZooKeeper(client_port=port):
            wait_until(lambda: session.connected, 15, "connected once ZooKeeper came")
            wait_until(lambda: any("without a session" in r.getMessage() for r in caplog.records), 5, "the line saying it is back")
            assert session.health() == ""
            assert session.describe()["session"] == "connected"
    finally:
        session.stop()
