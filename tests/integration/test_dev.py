"""``aviary dev`` (``make run``'s entry) as a person runs it: the example services come up in one
process with a real embedded ZooKeeper, the printed URLs and ``aviary call`` line work, echo's
calls reach the event log, and Ctrl-C (SIGINT) stops everything, ZooKeeper last, leaving no
process behind."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import thriftpy2
from kazoo.client import KazooClient
from thriftpy2.rpc import make_client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import ROOT, AviaryProcess  # noqa: E402

echo_thrift = thriftpy2.load(str(ROOT / "idl" / "echo.thrift"), module_name="echo_dev_thrift")
ROW = re.compile(r"^  (\S.*?)\s{2,}(\S.*)$")
HEADER = "aviary dev: echo, eventlog, mock are up; Ctrl-C stops everything"


def printed_block(p: AviaryProcess) -> dict[str, str]:
    """The rows of the block `aviary dev` prints once everything is up: label -> value."""
    p.wait_line(r"^  try\s+", timeout=60)
    start = p.lines.index(HEADER)
    rows: dict[str, str] = {}
    for line in p.lines[start + 1 :]:
        m = ROW.match(line)
        if not m:
            break
        rows[m.group(1)] = m.group(2)
    return rows


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, from the kernel's own child lists."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = {int(c) for c in (task / "children").read_text().split()}
            except OSError:
                continue
            todo += children - found
            found |= children
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""  # gone


def alive(pid: int, was: str) -> bool:
    """Still running as the same program (a pid the kernel reused for another does not count)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return cmdline(pid) == was


def accepts(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
        return True
    except OSError:
        return False


def wait_events(url: str, query: str, want: int, timeout: float = 30) -> list[dict[str, Any]]:
    """Poll the event log's query API until `want` events match (the handler sends in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        r = httpx.get(f"{url}/events", params={"query": query, "direction": "forward", "limit": 100}, timeout=10)
        assert r.status_code == 200, r.text
        events = [e["event"] for e in r.json()["events"]]
        if len(events) >= want or time.monotonic() > deadline:
            return events
        time.sleep(0.1)


def test_aviary_dev_serves_logs_announces_and_stops_cleanly_on_sigint() -> None:
    p = AviaryProcess(
        ["dev", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0", "--set", "zk_embedded_port=0"],
        env={"AVIARY_WORKERS": "4"},  # ignored: aviary dev is always one process
        expect=3,
    )
    p.start(timeout=90)
    try:
        rows = printed_block(p)
        assert list(rows) == ["echo docs", "eventlog docs", "mock docs", "admin dashboard", "event log", "mock admin UI", "zookeeper", "try"]
        echo_url = p.url("echo")
        assert rows["echo docs"] == f"{echo_url}/docs"
        assert rows["admin dashboard"] == f"http://{p.addr('admin', 'http')[0]}:{p.addr('admin', 'http')[1]}/admin"
        assert rows["event log"].startswith(p.url("eventlog", "/eventlog/"))
        assert rows["mock admin UI"] == p.url("mock", "/__admin/ui")
        # every printed page answers with a page
        for label in ("echo docs", "eventlog docs", "mock docs", "admin dashboard", "event log", "mock admin UI"):
            page = httpx.get(rows[label].split()[0], timeout=10)
            assert page.status_code == 200 and "text/html" in page.headers["content-type"], (label, page.status_code)

        # echo over REST and over Thrift
        assert httpx.post(f"{echo_url}/Echo/echo", json={"message": {"text": "over rest"}}, timeout=10).json()["text"] == "over rest"
        client = make_client(echo_thrift.Echo, *p.addr("echo", "thrift"), timeout=10000)
        try:
            assert client.repeat("over thrift", 2) == "over thrift over thrift"
        finally:
            client.close()

        # both calls are in the event log, sent there by echo's access log through the Python handler
        events = wait_events(p.url("eventlog"), '{service="echo", category="aviary.access"}', want=2)
        assert [(e["labels"]["method"], e["labels"]["transport"], e["labels"]["outcome"]) for e in events] == [
            ("Echo.echo", "http", "ok"), ("Echo.repeat", "thrift", "ok")
        ]
        assert events[1]["message"].startswith("Echo.repeat ok ") and events[1]["message"].endswith("ms thrift")

        # echo (and the mock, separately) are registered in the embedded ZooKeeper
        zk_hosts = rows["zookeeper"].split()[0]
        zk_host, _, zk_port = zk_hosts.rpartition(":")
        kazoo = KazooClient(hosts=zk_hosts)
        kazoo.start(timeout=10)
        try:
            members = {path: kazoo.get_children(path) for path in ("/aviary/dev/echo", "/aviary/dev/eventlog", "/aviary/dev/mock")}
            assert all(len(m) == 1 for m in members.values()), members
            echo_member = json.loads(kazoo.get(f"/aviary/dev/echo/{members['/aviary/dev/echo'][0]}")[0])
            mock_member = json.loads(kazoo.get(f"/aviary/dev/mock/{members['/aviary/dev/mock'][0]}")[0])
        finally:
            kazoo.stop()
            kazoo.close()
        assert echo_member["serviceEndpoint"]["port"] == p.addr("echo", "thrift")[1]
        assert mock_member["serviceEndpoint"]["port"] == p.addr("mock", "thrift")[1]
        assert mock_member["metadata"]["idl_service"] == "Echo"  # the mock mimics echo, beside it

        # the ready-to-paste call goes through ZooKeeper to echo and prints the result
        line = rows["try"]
        assert f"zk2!{zk_hosts}!/aviary/dev/echo" in line
        pasted = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=60)
        assert pasted.returncode == 0, pasted.stderr
        assert json.loads(pasted.stdout) == "hi hi"
        assert len(wait_events(p.url("eventlog"), '{service="echo"} |= "Echo.repeat"', want=2)) == 2  # the pasted call was logged too

        # who runs below aviary now: the embedded ZooKeeper's JVM
        assert p.proc is not None
        children = {pid: cmdline(pid) for pid in descendants(p.proc.pid)}
        zookeepers = [pid for pid, cmd in children.items() if "QuorumPeerMain" in cmd]
        assert len(zookeepers) == 1 and len(children) == 1, children  # one serving process: no workers
    finally:
        status = p.stop(signal.SIGINT, timeout=60)

    assert status == 0, p.output
    out = p.lines
    # drained, ports closed, then ZooKeeper stopped last
    assert out.index("SIGINT: shutting down") < out.index("stopping: ports closed to new connections, finishing calls in flight")
    assert out.index("stopping: ports closed to new connections, finishing calls in flight") < out.index("zookeeper: embedded one stopped") < out.index("stopped")
    assert all(f"draining: left ZooKeeper /aviary/dev/{s}/member_0000000000" in out for s in ("echo", "eventlog", "mock"))
    assert not accepts(zk_host, int(zk_port))
    assert not accepts(*p.addr("echo", "http")) and not accepts(*p.addr("admin", "http"))
    stray = {pid: cmd for pid, cmd in children.items() if alive(pid, cmd)}
    assert stray == {}, stray


def test_without_zookeeper_the_printed_call_goes_straight_to_echo() -> None:
    p = AviaryProcess(["dev", "--zk", "none", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0"], expect=3)
    p.start(timeout=90)
    try:
        rows = printed_block(p)
        assert rows["zookeeper"] == "none (--zk none)"
        assert f"'inet!127.0.0.1:{p.addr('echo', 'thrift')[1]}'" in rows["try"]
        pasted = subprocess.run(["bash", "-c", rows["try"]], capture_output=True, text=True, timeout=60)
        assert pasted.returncode == 0 and json.loads(pasted.stdout) == "hi hi", pasted.stderr
    finally:
        assert p.stop(signal.SIGINT, timeout=60) == 0, p.output


def test_make_run_runs_aviary_dev() -> None:
    # Under `make test` the outer make's variables would make this one a sub-make (it would
    # print "Entering directory"): run it as a user would, from a clean make environment.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES")}
    dry = subprocess.run(["make", "--no-print-directory", "-n", "run"], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.strip().splitlines()[-1].split() == [".venv/bin/aviary", "dev"]
