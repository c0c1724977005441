"""`aviary run --workers N`: N serving processes on shared ports under one supervisor."""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import ROOT, AviaryProcess, read_http_response  # noqa: E402
from test_host import framed_call, probe_codec, read_reply  # noqa: E402

from framework.thrift.codec import REPLY  # noqa: E402

TESTS = str(ROOT / "tests")
BASE = ["run", "probe:create", "--zk", "none", "--bind", "127.0.0.1", "--admin-port", "0", "--thrift-port", "0", "--http-port", "0"]


def rest_pid(p: AviaryProcess) -> int:
    """The pid of the process that served one call on a fresh connection."""
    with httpx.Client(timeout=10) as c:
        return int(c.post(p.url("probe", "/Probe/whoami")).json()["pid"])


def thrift_pid(p: AviaryProcess) -> int:
    with socket.create_connection(p.addr("probe"), timeout=10) as s:
        s.sendall(framed_call("whoami", [], 3))
        name, mtype, seqid, field, result = read_reply(s, "whoami")
    assert (mtype, seqid, field) == (REPLY, 3, 0)
    return int(result["pid"])


def pids_seen(p: AviaryProcess, want: int, call=rest_pid, tries: int = 200) -> set[int]:
    """Pids serving fresh connections, until `want` different ones answered (the kernel spreads
    connections over the workers by a hash: a few tries suffice)."""
    seen: set[int] = set()
    for _ in range(tries):
        seen.add(call(p))
        if len(seen) >= want:
            break
    return seen


def test_one_worker_by_default_means_no_worker_process(aviary_process) -> None:
    # No --workers and no AVIARY_WORKERS: the default is one process, whatever the cores.
    p = AviaryProcess(BASE, env={"PYTHONPATH": TESTS})
    p.env.pop("AVIARY_WORKERS", None)
    try:
        p.start()
        assert rest_pid(p) == thrift_pid(p) == p.proc.pid
        assert not any(ln.startswith("workers:") for ln in p.lines)
        assert p.stop() == 0
    finally:
        p.kill()


def test_workers_auto_is_one_per_core(aviary_process) -> None:
    cores = len(os.sched_getaffinity(0))
    p = aviary_process(*BASE, "--workers", "auto", env={"PYTHONPATH": TESTS})
    if cores == 1:  # one per core on one core: a single process, no supervisor
        assert rest_pid(p) == p.proc.pid and not any(ln.startswith("workers:") for ln in p.lines)
    else:
        line = p.wait_line(r"^workers: \d+ serving")
        assert line.startswith(f"workers: {cores} serving"), line
        assert p.proc.pid not in pids_seen(p, cores)
    assert p.stop() == 0


def test_two_workers_share_the_ports_and_both_serve(aviary_process) -> None:
    p = aviary_process(*BASE, "--workers", "2", env={"PYTHONPATH": TESTS})
    assert [ln for ln in p.lines if ln.startswith("ready probe ")] == [p.wait_line("^ready probe ")]  # printed once
    workers = {int(x) for x in p.wait_line(r"^workers: 2 serving").split("pids ")[1].rstrip(")").split(", ")}
    assert p.proc.pid not in workers
    assert pids_seen(p, 2) == workers
    assert pids_seen(p, 2, thrift_pid) == workers
    assert p.stop() == 0


def test_sigterm_drains_every_worker_then_exits_0(aviary_process) -> None:
    p = aviary_process(*BASE, "--workers", "2", env={"PYTHONPATH": TESTS})
    conns = [socket.create_connection(p.addr("probe"), timeout=10) for _ in range(12)]  # both workers get some
    for i, s in enumerate(conns):
        s.sendall(framed_call("slow", [1500], i))
    http: list[httpx.Response] = []
    t = threading.Thread(target=lambda: http.append(httpx.post(p.url("probe", "/Probe/slow"), json={"ms": 1500}, timeout=10)))
    t.start()
    threading.Event().wait(0.5)  # every call is running
    p.send_signal(signal.SIGTERM)
    for i, s in enumerate(conns):
        assert read_reply(s, "slow") == ("slow", REPLY, i, 0, 1500)
        s.close()
    t.join(10)
    assert http[0].json() == 1500
    assert p.wait(30) == 0
    assert "worker 1: stopped" in p.lines and "worker 2: stopped" in p.lines and p.lines[-1] == "stopped"


def test_ctrl_c_is_the_supervisors_to_handle(aviary_process) -> None:
    # Ctrl-C in a terminal sends SIGINT to every process of the group: the workers ignore it,
    # so that the supervisor can withdraw the host from discovery before they stop serving.
    p = aviary_process(*BASE, "--workers", "2", env={"PYTHONPATH": TESTS})
    workers = {int(x) for x in p.wait_line(r"^workers: 2 serving").split("pids ")[1].rstrip(")").split(", ")}
    for pid in workers:
        os.kill(pid, signal.SIGINT)
    assert pids_seen(p, 2) == workers  # both still serving
    assert not any(ln.startswith("worker ") for ln in p.lines)
    assert p.stop(signal.SIGINT) == 0
    assert "worker 1: stopped" in p.lines and "worker 2: stopped" in p.lines


def test_a_killed_worker_is_restarted_and_serves(aviary_process) -> None:
    p = aviary_process(*BASE, "--workers", "2", env={"PYTHONPATH": TESTS})
    workers = {int(x) for x in p.wait_line(r"^workers: 2 serving").split("pids ")[1].rstrip(")").split(", ")}
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    p.wait_line(rf"^worker \d \(pid {victim}\) exited \(killed by SIGKILL\); restarting")
    line = p.wait_line(r"^worker \d restarted \(pid \d+\)")
    new = int(line.split("pid ")[1].rstrip(")"))
    assert pids_seen(p, 2) == workers - {victim} | {new}
    assert p.stop() == 0


def test_sighup_reaches_every_worker(aviary_process) -> None:
    p = aviary_process(*BASE, "--workers", "2", env={"PYTHONPATH": TESTS})
    p.proc.send_signal(signal.SIGHUP)
    p.wait_line("^worker 1: SIGHUP: ")
    p.wait_line("^worker 2: SIGHUP: ")
    assert len(pids_seen(p, 2)) == 2  # still serving, both
    assert p.stop() == 0


def test_workers_serve_mutual_tls_and_reload_it_on_sighup(aviary_process, tmp_path: Path) -> None:
    import ssl

    from certs import CA

    ca = CA(tmp_path, "ca")
    server, alice = ca.issue("server"), ca.issue("alice", uri="spiffe://aviary.test/alice")
    env = {"PYTHONPATH": TESTS, "AVIARY_TLS_CERT": str(server.cert), "AVIARY_TLS_KEY": str(server.key), "AVIARY_TLS_CA": str(ca.pem)}
    p = aviary_process(*BASE, "--workers", "2", env=env)
    ctx = ssl.create_default_context(cafile=str(ca.pem))
    ctx.load_cert_chain(str(alice.cert), str(alice.key))
    port = p.addr("probe", "http")[1]
    seen = set()
    for _ in range(200):
        with httpx.Client(verify=ctx, timeout=10) as c:
            r = c.post(f"https://localhost:{port}/Probe/whoami").json()
        assert r["identity"] == "spiffe://aviary.test/alice"
        seen.add(r["pid"])
        if len(seen) == 2:
            break
    assert len(seen) == 2
    p.proc.send_signal(signal.SIGHUP)
    p.wait_line("^worker 1: SIGHUP: reloaded TLS certificates")
    p.wait_line("^worker 2: SIGHUP: reloaded TLS certificates")
    assert p.stop() == 0


def admin_metrics(p: AviaryProcess) -> dict[str, float]:
    with httpx.Client(timeout=10) as c:
        return c.get(f"http://{p.addr('admin', 'http')[0]}:{p.addr('admin', 'http')[1]}/admin/metrics.json").json()


def wait_metric(p: AviaryProcess, name: str, want: float, tries: int = 100) -> dict[str, float]:
    """The supervisor's metrics once `name` reached `want` (workers report once a second)."""
    for _ in range(tries):
        m = admin_metrics(p)
        if m.get(name) == want:
            return m
        threading.Event().wait(0.1)
    raise AssertionError(f"{name} = {m.get(name)} after {tries} tries, expected {want}")


def test_the_admin_port_shows_every_workers_calls(aviary_process) -> None:
    """The supervisor's /admin/metrics.json sums its workers' counters and merges their
    histograms; a worker killed and restarted takes nothing of the totals with it."""
    p = aviary_process(*BASE, "--workers", "2", env={"PYTHONPATH": TESTS})
    workers = {int(x) for x in p.wait_line(r"^workers: 2 serving").split("pids ")[1].rstrip(")").split(", ")}
    served = [rest_pid(p) for _ in range(40)]
    assert set(served) == workers  # both workers took calls (the kernel spread them)
    m = wait_metric(p, "srv/probe/http/whoami/requests", 40)
    assert m["srv/probe/http/requests"] == 40 and m["srv/probe/http/whoami/success"] == 40
    assert m["srv/probe/http/whoami/request_latency_ms.count"] == 40
    assert m["srv/probe/http/whoami/request_latency_ms.p50"] <= m["srv/probe/http/whoami/request_latency_ms.max"]
    os.kill(served[0], signal.SIGKILL)
    p.wait_line(r"^worker \d restarted \(pid \d+\)")
    assert admin_metrics(p)["srv/probe/http/whoami/requests"] == 40  # the dead worker's calls still count
    for _ in range(10):
        rest_pid(p)
    wait_metric(p, "srv/probe/http/whoami/requests", 50)
    text = httpx.get(f"http://{p.addr('admin', 'http')[0]}:{p.addr('admin', 'http')[1]}/metrics", timeout=10).text
    assert 'srv_probe_http_whoami_requests 50' in text
    assert p.stop() == 0


def test_workers_answer_connection_close_through_the_drain(aviary_process) -> None:
    # Announced (in an embedded ZooKeeper), so the drain has a grace period; the supervisor
    # tells its workers when it starts, before their SIGTERM.
    args = ["run", "probe:create", "--bind", "127.0.0.1", "--admin-port", "0", "--thrift-port", "0", "--http-port", "0"]
    p = aviary_process(*args, "--workers", "2", "--set", "drain_grace_s=3", env={"PYTHONPATH": TESTS})
    request = b"POST /Probe/whoami HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
    conns = [socket.create_connection(p.addr("probe", "http"), timeout=10) for _ in range(6)]  # on both workers, likely
    try:
        for c in conns:
            c.sendall(request)
            assert b"connection: close" not in read_http_response(c).lower()
        p.send_signal(signal.SIGTERM)
        p.wait_line(r"^draining: still serving for 3s")
        for c in conns:
            c.sendall(request)
            reply = read_http_response(c)
            assert reply.startswith(b"HTTP/1.1 200 ") and b"connection: close" in reply.lower(), reply
            assert c.recv(1) == b""  # and closed after it
    finally:
        for c in conns:
            c.close()
    assert p.wait(40) == 0


def test_workers_serve_services_sharing_a_thrift_port(aviary_process) -> None:
    args = ["run", "echo", "probe:create", *BASE[2:], "--workers", "2", "--set", "probe.share_thrift_port=echo"]
    p = aviary_process(*args, env={"PYTHONPATH": TESTS}, expect=2)
    assert p.addr("probe") == p.addr("echo")
    assert p.addr("probe", "http") != p.addr("echo", "http")
    workers = {int(x) for x in p.wait_line(r"^workers: 2 serving").split("pids ")[1].rstrip(")").split(", ")}

    def multiplexed_pid(p: AviaryProcess) -> int:
        out = bytearray()
        codec, methods = probe_codec()
        codec.write_message_begin(out, "Probe:whoami", 1, 5)
        codec.write_args(methods["whoami"], [], out)
        with socket.create_connection(p.addr("echo"), timeout=10) as s:
            s.sendall(len(out).to_bytes(4, "big") + bytes(out))
            name, mtype, seqid, field, result = read_reply(s, "whoami")
        assert (name, mtype, seqid, field) == ("whoami", REPLY, 5, 0)
        return int(result["pid"])

    assert pids_seen(p, 2, multiplexed_pid) == workers
    assert p.stop() == 0
