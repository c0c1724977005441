"""The admin port seen from another host: a second network namespace joined by a veth pair.

Every port binds 0.0.0.0 by default, so a peer on the network reaches the admin port: it may
read (metrics, /health, the dashboard) but not change the process (POST /quitquitquit,
/abortabortabort) unless ``admin_allow`` admits it. Needs root on Linux (``ip netns``), as the
suite runs; elsewhere these tests skip saying why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ARGS = ["run", "echo", "--zk", "none", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0"]  # bind: the default


class Peer:
    """A network namespace with one veth link to this one: `address` is its side, `host` ours."""

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:8]
        self.name = f"aviary-t{tag}"
        self.link = f"av{tag}"  # interface names stop at 15 characters
        octets = uuid.uuid4().bytes
        net = f"10.{100 + octets[0] % 100}.{octets[1]}.{octets[2] & 0xFC}"
        base = net.rsplit(".", 1)[0]
        last = int(net.rsplit(".", 1)[1])
        self.host, self.address = f"{base}.{last + 1}", f"{base}.{last + 2}"

    def up(self) -> Peer:
        ip = shutil.which("ip") or "/usr/sbin/ip"
        ns = ["netns", "exec", self.name]
        for cmd in (
            ["netns", "add", self.name],
            ["link", "add", f"{self.link}a", "type", "veth", "peer", "name", f"{self.link}b"],
            ["link", "set", f"{self.link}b", "netns", self.name],
            ["addr", "add", f"{self.host}/30", "dev", f"{self.link}a"],
            ["link", "set", f"{self.link}a", "up"],
            [*ns, ip, "addr", "add", f"{self.address}/30", "dev", f"{self.link}b"],
            [*ns, ip, "link", "set", f"{self.link}b", "up"],
            [*ns, ip, "link", "set", "lo", "up"],
        ):
            subprocess.run([ip, *cmd], check=True, capture_output=True, text=True)
        return self

    def down(self) -> None:
        ip = shutil.which("ip") or "/usr/sbin/ip"
        subprocess.run([ip, "netns", "del", self.name], capture_output=True)  # takes its end of the veth pair, and so ours
        subprocess.run([ip, "link", "del", f"{self.link}a"], capture_output=True)  # if the pair outlived it

    def http(self, method: str, port: int, path: str) -> tuple[int, str]:
        """One HTTP request from inside the namespace (the standard library's client)."""
        code = (
            "import json, sys, urllib.request, urllib.error\n"
            f"req = urllib.request.Request('http://{self.host}:{port}{path}', method={method!r}, data=b'' if {method!r} != 'GET' else None)\n"
            "try:\n"
            "    r = urllib.request.urlopen(req, timeout=10); print(json.dumps([r.status, r.read().decode()]))\n"
            "except urllib.error.HTTPError as e:\n"
            "    print(json.dumps([e.code, e.read().decode()]))\n"
        )
        out = subprocess.run([shutil.which("ip") or "/usr/sbin/ip", "netns", "exec", self.name, sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        status, body = json.loads(out.stdout)
        return status, body


@pytest.fixture
def peer() -> Iterator[Peer]:
    if not sys.platform.startswith("linux"):
        pytest.skip("network namespaces are Linux's")
    if os.geteuid() != 0:
        pytest.skip("creating a network namespace needs root (the suite runs as root)")
    p = Peer()
    try:
        p.up()
        yield p
    finally:
        p.down()


def _port(p: Any) -> int:
    return p.addr("admin", "http")[1]


def test_a_peer_on_the_network_may_read_the_admin_port_but_not_stop_the_process(peer: Peer, aviary_process) -> None:
    p = aviary_process(*ARGS)
    # The ready lines show what is bound, and one more line says it is every interface.
    p.wait_line(r"^listening on every interface \(bind = 0\.0\.0\.0\)")  # after the ready lines
    assert any(ln.startswith("ready echo thrift=0.0.0.0:") for ln in p.lines), p.output
    assert any(ln.startswith("ready admin http=0.0.0.0:") for ln in p.lines), p.output
    port = _port(p)
    assert peer.http("GET", port, "/admin/ping") == (200, "pong")
    status, metrics = peer.http("GET", port, "/metrics")
    assert status == 200 and "# TYPE " in metrics, metrics[:200]
    for path in ("/abortabortabort", "/quitquitquit"):
        status, body = peer.http("POST", port, path)
        assert status == 403, body
        error = json.loads(body)["error"]
        assert error["type"] == "PermissionDenied" and path in error["message"] and peer.address in error["message"], error
    time.sleep(0.3)  # /abortabortabort would have exited 50 ms after answering
    assert p.proc.poll() is None, p.output
    assert peer.http("GET", port, "/health")[0] == 200  # still serving
    assert any(f"admin: refused POST /abortabortabort from {peer.address}" in ln for ln in p.lines), p.output
    # The service ports are for everyone, as ever.
    status, body = peer.http("GET", p.addr("echo", "http")[1], "/openapi.json")
    assert status == 200 and json.loads(body)["openapi"].startswith("3.1")
    # Loopback may.
    import httpx

    assert httpx.post(f"http://127.0.0.1:{port}/quitquitquit").text == "quitting\n"
    assert p.wait(30) == 0


def test_admin_allow_admits_a_network(peer: Peer, aviary_process) -> None:
    p = aviary_process(*ARGS, "--set", f"admin_allow={peer.address}/32")
    p.wait_line("^ready admin ")
    status, body = peer.http("POST", _port(p), "/quitquitquit")
    assert (status, body) == (200, "quitting\n")
    assert p.wait(30) == 0
    assert "/quitquitquit: shutting down" in p.output
