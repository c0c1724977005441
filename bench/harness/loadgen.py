"""Closed-loop load generators: wrk for HTTP, bench/thrift_load.c for framed Thrift.

Both run as child processes for a fixed time and report completed requests, errors (bad
replies and socket errors) and latency percentiles; the harness also takes their CPU time, to
show that the client was not the bottleneck.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from .procs import pinned
from .tlscerts import Pki

BENCH = Path(__file__).resolve().parent.parent
THRIFT_LOAD_SRC = BENCH / "thrift_load.c"
WRK_SCRIPT = BENCH / "echo.lua"


@dataclass(frozen=True)
class Load:
    """One run of a load generator."""

    requests: int  # correct replies
    errors: int  # wrong replies + socket errors + timeouts
    seconds: float
    p50_us: float
    p99_us: float
    client_cpu_s: float


def _run(argv: list[str], env: dict[str, str] | None, timeout: float, cpus: set[int] | None = None) -> tuple[dict[str, float], float]:
    """Run a generator (on `cpus`, if given); return the JSON line it printed and the CPU
    seconds it used (its own rusage, so generators running at once do not mix)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, preexec_fn=pinned(cpus))
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{Path(argv[0]).name} failed ({proc.returncode}): {err.strip() or out.strip()}")
    return json.loads(lines[-1]), usage.ru_utime + usage.ru_stime


def wrk(host: str, port: int, path: str, body: Path, expect: Path | None, connections: int, threads: int, seconds: int, tls: bool = False, cpus: set[int] | None = None) -> Load:
    """`tls`: https (wrk cannot present a client certificate, so the server must not require one)."""
    env = {**os.environ, "BENCH_BODY": str(body)}
    if expect is not None:
        env["BENCH_EXPECT"] = str(expect)
    argv = ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(WRK_SCRIPT), f"{'https' if tls else 'http'}://{host}:{port}{path}"]
    out, cpu = _run(argv, env, timeout=seconds + 30, cpus=cpus)
    bad = int(out["bad"])
    return Load(int(out["requests"]) - bad, bad + int(out["socket_errors"]), out["seconds"], out["p50_us"], out["p99_us"], cpu)


def build_thrift_load(build_dir: Path) -> Path:
    """Compile bench/thrift_load.c (again only when the source is newer)."""
    exe = build_dir / "thrift_load"
    if not exe.exists() or exe.stat().st_mtime < THRIFT_LOAD_SRC.stat().st_mtime:
        build_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(["gcc", "-O2", "-Wall", "-pthread", "-o", str(exe), str(THRIFT_LOAD_SRC), "-lssl", "-lcrypto"], check=True)
    return exe


def thrift_load(exe: Path, host: str, port: int, request: Path, expect: Path | None, connections: int, seconds: float, tls: Pki | None = None, cpus: set[int] | None = None) -> Load:
    """`tls`: mutual TLS, presenting its client certificate."""
    argv = [str(exe), host, str(port), str(connections), str(seconds), str(request)]
    if expect is not None:
        argv.append(str(expect))
    env = None
    if tls is not None:
        env = {**os.environ, "THRIFT_LOAD_TLS_CA": str(tls.ca), "THRIFT_LOAD_TLS_CERT": str(tls.client_cert), "THRIFT_LOAD_TLS_KEY": str(tls.client_key)}
    out, cpu = _run(argv, env, timeout=seconds + 30, cpus=cpus)
    return Load(int(out["requests"]), int(out["errors"]), out["seconds"], out["p50_us"], out["p99_us"], cpu)
