"""`aviary run` as a user runs it: ready lines, ports, clean stops, and start-up errors."""

from __future__ import annotations

import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import ROOT, free_port  # noqa: E402

from framework.thrift.codec import CALL, REPLY, BinaryCodec  # noqa: E402

TESTS = str(ROOT / "tests")
BASE = ["--zk", "none", "--bind", "127.0.0.1", "--admin-port", "0"]


def probe_codec() -> tuple[BinaryCodec, dict]:
    from probe import IDL

    methods = IDL.service().methods
    return BinaryCodec(list(methods.values())), methods


def framed_call(method: str, args: list, seqid: int = 1) -> bytes:
    codec, methods = probe_codec()
    out = bytearray()
    codec.write_message_begin(out, method, CALL, seqid)
    codec.write_args(methods[method], args, out)
    return struct.pack(">i", len(out)) + bytes(out)


def read_reply(s: socket.socket, method: str) -> tuple:
    codec, methods = probe_codec()
    buf = b""
    while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
        chunk = s.recv(65536)
        assert chunk, "connection closed before the reply"
        buf += chunk
    data = buf[4:]
    name, mtype, seqid, p = codec.read_message_begin(data, 0)
    return (name, mtype, seqid, *codec.read_result(methods[method], data, p)[:2])


def test_ready_lines_then_both_transports(aviary_process) -> None:
    p = aviary_process("run", "echo", *BASE, "--thrift-port", "0", "--http-port", "0")
    assert [ln for ln in p.lines if ln.startswith("ready echo ")][0].startswith("ready echo thrift=127.0.0.1:")
    r = httpx.post(p.url("echo", "/Echo/repeat"), json={"text": "a", "times": 2})
    assert r.json() == "a a"
    assert p.stop(signal.SIGTERM) == 0
    assert "stopped" in p.lines


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_finishes_calls_in_flight_then_exits_0(aviary_process, sig: int) -> None:
    p = aviary_process("run", "probe:create", *BASE, "--thrift-port", "0", "--http-port", "0", env={"PYTHONPATH": TESTS})
    thrift = socket.create_connection(p.addr("probe"), timeout=10)
    thrift.sendall(framed_call("slow", [1500], 5))
    http_result: dict = {}
    t = threading.Thread(target=lambda: http_result.update(r=httpx.post(p.url("probe", "/Probe/slow"), json={"ms": 1500}, timeout=10)))
    t.start()
    time.sleep(0.5)  # both calls are running
    p.send_signal(sig)
    p.wait_line("^stopping")
    with pytest.raises(OSError):  # no new connections once stopping
        socket.create_connection(p.addr("probe"), timeout=2)
    assert read_reply(thrift, "slow") == ("slow", REPLY, 5, 0, 1500)
    t.join(10)
    assert http_result["r"].status_code == 200 and http_result["r"].json() == 1500
    assert p.stop(sig) == 0
    thrift.close()


def test_several_services_get_their_own_ports(aviary_process) -> None:
    base_t, base_h = free_port(), free_port()
    p = aviary_process("run", "echo", "probe:create", *BASE, "--thrift-port", str(base_t), "--http-port", str(base_h), env={"PYTHONPATH": TESTS}, expect=2)
    assert p.addr("echo", "thrift")[1] == base_t and p.addr("echo", "http")[1] == base_h
    ports = {p.addr("probe", "thrift")[1], p.addr("probe", "http")[1], base_t, base_h}
    assert len(ports) == 4
    assert httpx.post(p.url("probe", "/Probe/slow"), json={"ms": 0}).json() == 0
    assert httpx.post(p.url("echo", "/Echo/notes")).json() == 0


def test_config_file_sets_service_ports(aviary_process, tmp_path: Path) -> None:
    t, h = free_port(), free_port()
    cfg = tmp_path / "aviary.toml"
    cfg.write_text(f'zk = "none"\nbind = "127.0.0.1"\nadmin_port = 0\n[services.echo]\nthrift_port = {t}\nhttp_port = {h}\n')
    p = aviary_process("run", "echo", "--config", str(cfg))
    assert p.endpoints["echo"] == {"thrift": ("127.0.0.1", t), "http": ("127.0.0.1", h)}


def test_a_port_in_use_stops_start_up_with_the_setting_named() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "framework.cli", "run", "echo", *BASE, "--thrift-port", str(port), "--http-port", "0"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert f"services.echo.thrift_port: port {port} on 127.0.0.1 is already in use" in r.stderr


@pytest.mark.parametrize(
    "args,message",
    [
        (["run", "nope"], "no service named 'nope'"),
        (["run", "echo", "--http-port", "x"], "http_port: expected a whole number, got 'x' (from --http-port)"),
        (["run", "echo", "--set", "echo.colour=blue"], "services.echo.colour: unknown setting for service 'echo'"),
        (["run", "nomodule:create"], "cannot load service 'nomodule:create'"),
    ],
)
def test_start_up_errors_are_one_clear_line(args: list[str], message: str) -> None:
    r = subprocess.run([sys.executable, "-m", "framework.cli", *args], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.startswith("aviary: ") and message in r.stderr and "Traceback" not in r.stderr


def test_sigterm_still_stops_it_when_nobody_reads_stdout() -> None:
    # No reader thread here: the test itself reads up to the ready line, then goes away
    # as a supervisor or `| head -1` would.
    exe = str(Path(sys.executable).parent / "aviary")
    proc = subprocess.Popen([exe, "run", "echo", *BASE, "--thrift-port", "0", "--http-port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("ready echo"):
                break
        proc.stdout.close()
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
