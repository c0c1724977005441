"""deploy/zookeeper/zk.sh as a user runs it: a three-node ensemble of Debian's ZooKeeper on
loopback, which elects a leader, replicates a write, keeps serving with one node gone and
stops cleanly; two `aviary run echo` instances pointed at it; and a single node in the
foreground that Ctrl-C stops. ZooKeeper itself parses the zoo.cfg the script renders from
zoo.cfg.in (and reports it back through the ``conf`` four-letter word).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from kazoo.client import KazooClient

from support import AviaryProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
ZK_SH = ROOT / "deploy" / "zookeeper" / "zk.sh"
JAR = Path("/usr/share/java/zookeeper.jar")


def require_zookeeper() -> None:
    if not JAR.is_file():
        pytest.fail(f"{JAR} is missing: `make test` installs it (Debian package zookeeper)", pytrace=False)


def four_letter(port: int, word: str) -> str:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(word.encode())
            chunks = []
            while chunk := s.recv(4096):
                chunks.append(chunk)
            return b"".join(chunks).decode()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is gone for our purpose.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


class Ensemble:
    """zk.sh's command line for one directory and one set of free ports."""

    def __init__(self, directory: Path, nodes: int) -> None:
        ports = [free_port() for _ in range(3 * nodes)]
        self.client, self.peer, self.election = ports[:nodes], ports[nodes : 2 * nodes], ports[2 * nodes :]
        self.dir = directory
        self.args = [
            str(ZK_SH), "--nodes", str(nodes), "--dir", str(directory),
            "--client-ports", ",".join(map(str, self.client)),
            "--peer-ports", ",".join(map(str, self.peer)),
            "--election-ports", ",".join(map(str, self.election)),
        ]  # fmt: skip

    def __call__(self, *command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.args, *command], capture_output=True, text=True, timeout=timeout)

    @property
    def hosts(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in self.client)

    def pids(self) -> list[int]:
        return [int((self.dir / f"node{i}" / "zookeeper.pid").read_text()) for i in range(1, len(self.client) + 1)]

    def mode(self, node: int) -> str:
        for line in four_letter(self.client[node - 1], "srvr").splitlines():
            if line.startswith("Mode: "):
                return line[6:]
        return ""


@pytest.fixture
def ensemble(tmp_path: Path) -> Iterator[Ensemble]:
    require_zookeeper()
    e = Ensemble(tmp_path / "zk", 3)
    pids: list[int] = []
    try:
        r = e("start")
        assert r.returncode == 0, r.stdout + r.stderr
        pids = e.pids()
        yield e
    finally:
        e("stop")
        for pid in pids:  # whatever the test did, no node outlives it
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def read_from(port: int, path: str) -> bytes:
    """Read a znode through one node only: proves that node has the write."""
    zk = KazooClient(hosts=f"127.0.0.1:{port}", timeout=10)
    zk.start(timeout=15)
    try:
        zk.sync(path)
        return zk.get(path)[0]
    finally:
        zk.stop()
        zk.close()


def test_ensemble_elects_replicates_survives_a_node_and_stops(ensemble: Ensemble) -> None:
    modes = sorted(ensemble.mode(i) for i in (1, 2, 3))
    assert modes == ["follower", "follower", "leader"]
    status = ensemble("status")
    assert status.returncode == 0 and status.stdout.count("127.0.0.1:") == 3, status.stdout
    assert ensemble("hosts").stdout.strip() == ensemble.hosts
    # ZooKeeper parsed the rendered zoo.cfg: its own view of the settings zoo.cfg.in sets.
    conf = four_letter(ensemble.client[0], "conf")
    assert f"clientPort={ensemble.client[0]}" in conf and "maxSessionTimeout=40000" in conf, conf

    zk = KazooClient(hosts=ensemble.hosts, timeout=10)
    zk.start(timeout=15)
    try:
        zk.create("/deploy-test", b"written once")
        for port in ensemble.client:
            assert read_from(port, "/deploy-test") == b"written once"

        leader = next(i for i in (1, 2, 3) if ensemble.mode(i) == "leader")
        # Stop the leader, the hardest node to lose: the other two elect a new one.
        pid = ensemble.pids()[leader - 1]
        r = ensemble("stop", str(leader))
        assert r.returncode == 0 and r.stdout.strip() == f"node {leader} stopped", r.stdout + r.stderr
        assert not alive(pid)
        survivors = [i for i in (1, 2, 3) if i != leader]
        deadline = time.monotonic() + 30
        while sorted(ensemble.mode(i) for i in survivors) != ["follower", "leader"] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert sorted(ensemble.mode(i) for i in survivors) == ["follower", "leader"]
        status = ensemble("status")
        assert status.returncode == 1 and f"node {leader}: stopped" in status.stdout, status.stdout

        zk.set("/deploy-test", b"written with two of three")
        for i in survivors:
            assert read_from(ensemble.client[i - 1], "/deploy-test") == b"written with two of three"

        # Back again: it rejoins as a follower and catches up with the write it missed.
        r = ensemble("start", str(leader))
        assert r.returncode == 0, r.stdout + r.stderr
        assert ensemble.mode(leader) == "follower"
        assert read_from(ensemble.client[leader - 1], "/deploy-test") == b"written with two of three"
        assert ensemble("status").returncode == 0
    finally:
        zk.stop()
        zk.close()

    pids = ensemble.pids()
    r = ensemble("stop")
    assert r.returncode == 0, r.stdout + r.stderr
    assert not any(alive(p) for p in pids)
    assert not list(ensemble.dir.glob("node*/zookeeper.pid"))
    assert all(four_letter(p, "ruok") == "" for p in ensemble.client)


def test_two_echo_instances_run_against_the_ensemble(ensemble: Ensemble) -> None:
    # What a user of these files types: the connect string zk.sh prints, one `aviary run`
    # per instance. Both are members of /aviary/deploytest/echo, as each node of the ensemble
    # reports.
    hosts = ensemble("hosts").stdout.strip()
    instances = [
        AviaryProcess(["run", "echo", "--zk", hosts, "--env", "deploytest", "--bind", "127.0.0.1",
                       "--thrift-port", "0", "--http-port", "0", "--admin-port", "0", "--workers", "1"])
        for _ in range(2)
    ]  # fmt: skip
    try:
        for p in instances:
            p.start(timeout=60)
        urls = {p.url("echo") for p in instances}
        assert len(urls) == 2
        for i, p in enumerate(instances):
            r = httpx.post(p.url("echo", "/Echo/repeat"), json={"text": f"i{i}", "times": 2}, timeout=10)
            assert r.status_code == 200 and r.json() == f"i{i} i{i}"
        from framework.discovery import resolver

        thrift_ports = {p.addr("echo")[1] for p in instances}
        for node in hosts.split(","):  # each node alone sees both members
            res = resolver.resolve(f"zk2!{node}!/aviary/deploytest/echo")
            try:
                assert res.wait_ready(30)
                deadline = time.monotonic() + 30
                while {a.port for a in res.addresses} != thrift_ports and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert {a.port for a in res.addresses} == thrift_ports
            finally:
                res.close()
        for p in instances:
            assert p.stop(signal.SIGTERM, timeout=60) == 0, p.output
    finally:
        for p in instances:
            p.kill()


def test_single_node_in_the_foreground_stops_on_ctrl_c(tmp_path: Path) -> None:
    require_zookeeper()
    e = Ensemble(tmp_path / "zk", 1)
    out = tmp_path / "zk.out"
    with out.open("w") as sink:
        proc = subprocess.Popen([*e.args, "run"], stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    pid = None
    try:
        deadline = time.monotonic() + 60
        while "serving: " not in out.read_text() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert f"serving: {e.hosts}\n" in out.read_text(), out.read_text()
        assert e.mode(1) == "standalone"
        pid = e.pids()[0]
        proc.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal sends zk.sh
        assert proc.wait(30) == 0, out.read_text()
        assert out.read_text().endswith("stopping\nnode 1 stopped\n"), out.read_text()
        assert not alive(pid) and four_letter(e.client[0], "ruok") == ""
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if pid is not None and alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_foreground_run_ends_when_a_node_dies(tmp_path: Path) -> None:
    require_zookeeper()
    e = Ensemble(tmp_path / "zk", 1)
    proc = subprocess.Popen([*e.args, "run"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("serving: "):
                break
        os.kill(e.pids()[0], signal.SIGKILL)  # a crash, not a stop
        assert proc.wait(30) == 1
        assert "exited; stopping the others" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_bad_arguments_are_refused_with_the_reason(tmp_path: Path) -> None:
    r = subprocess.run([str(ZK_SH), "--nodes", "2", "--dir", str(tmp_path), "start"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "--nodes must be 1" in r.stderr
    r = subprocess.run([str(ZK_SH), "--nodes", "3", "--dir", str(tmp_path), "--client-ports", "1,2", "hosts"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "no port for node 3" in r.stderr
    r = subprocess.run([str(ZK_SH), "--nodes", "3", "--dir", str(tmp_path), "stop", "4"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "no node 4 of 3" in r.stderr
    assert not list(tmp_path.glob("node*"))
