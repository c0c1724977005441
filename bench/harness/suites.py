"""What is measured: the servers of each suite, and the targets the issue sets.

Every server is one serving process (gunicorn: one sync worker under its master), listening on
127.0.0.1 on a free port, answering the same echo.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from . import tlscerts
from .procs import ServerSpec

BENCH = Path(__file__).resolve().parent.parent
BASELINES = BENCH / "baselines"


@dataclass(frozen=True)
class Target:
    """`subject`'s `metric` divided by `baseline`'s must be `op` `bound`."""

    text: str
    metric: str  # a key of report.Summary: "cpu_us_per_req", "rps" or "p99_us"
    subject: str
    baseline: str
    op: str  # "<=" or ">=", or "" for a ratio shown without a target
    bound: float

    def met(self, ratio: float) -> bool:
        return ratio <= self.bound if self.op == "<=" else ratio >= self.bound


@dataclass(frozen=True)
class Suite:
    name: str
    kind: str  # "http" or "thrift": which load generator, which request
    servers: tuple[ServerSpec, ...]
    targets: tuple[Target, ...]
    # Two variants of one server, measured side by side (`measure.run_paired`) rather than in
    # turn: for ratios of a few percent, which sequential rounds on a shared machine cannot see.
    paired: bool = False
    connections: int | None = None  # the suite's own number of connections (default: --connections)


@cache
def _aviary_flags(aviary: Path) -> tuple[str, ...]:
    """Flags for one process on free ports, as far as this version of `aviary run` has them."""
    help_text = subprocess.run([str(aviary), "run", "--help"], capture_output=True, text=True).stdout
    flags = ["--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0"]
    optional = {"--zk": "none", "--workers": "1", "--admin-port": "0", "--log-level": "warning"}
    for flag, value in optional.items():
        if flag in help_text:
            flags += [flag, value]
    return tuple(flags)


def suites(bin_dir: Path) -> dict[str, Suite]:
    """The suites, running the servers with the executables in `bin_dir` (the venv's bin/)."""
    python = str(bin_dir / "python")
    aviary = [str(bin_dir / "aviary"), "run", "echo", *_aviary_flags(bin_dir / "aviary")]
    # the mock plugin mocking the same IDL, answering the echo from a stub (bench/mock/mappings)
    mock = [str(bin_dir / "aviary"), "run", "mock", *_aviary_flags(bin_dir / "aviary"),
            "--set", "mock.idl=echo.thrift", "--set", f"mock.mappings={BENCH / 'mock' / 'mappings'}"]  # fmt: skip
    rest = Suite(
        "rest",
        "http",
        (
            ServerSpec("aviary", "Aviary REST", aviary, "http"),
            ServerSpec("starlette", "Starlette/uvicorn", [python, str(BASELINES / "starlette_app.py")], "http"),
            ServerSpec("flask", "Flask+gunicorn", [str(bin_dir / "gunicorn"), "-c", "gunicorn_conf.py", "flask_app:app"], "http", cwd=BASELINES),
            ServerSpec("http.server", "stdlib http.server", [python, str(BASELINES / "stdlib_http.py")], "http"),
            ServerSpec("mock", "Aviary mock (stubbed)", mock, "http"),
        ),
        (
            Target("Aviary REST CPU/req ÷ Starlette/uvicorn", "cpu_us_per_req", "aviary", "starlette", "<=", 1.0),
            Target("Aviary REST req/s ÷ Flask+gunicorn", "rps", "aviary", "flask", ">=", 3.0),
            Target("Mock REST CPU/req ÷ Aviary echo (stub matching's cost)", "cpu_us_per_req", "mock", "aviary", "<=", 3.0),
        ),
    )
    thrift = Suite(
        "thrift",
        "thrift",
        (
            ServerSpec("aviary", "Aviary Thrift", aviary, "thrift"),
            ServerSpec("thriftpy2-asyncio", "thriftpy2 asyncio", [python, str(BASELINES / "thriftpy2_asyncio.py")], "thrift"),
            ServerSpec("thriftpy2-threaded", "thriftpy2 threaded", [python, str(BASELINES / "thriftpy2_threaded.py")], "thrift"),
            ServerSpec("mock", "Aviary mock (stubbed)", mock, "thrift"),
        ),
        (
            Target("Aviary Thrift CPU/req ÷ thriftpy2 asyncio", "cpu_us_per_req", "aviary", "thriftpy2-asyncio", "<=", 0.4),
            Target("Aviary Thrift CPU/req ÷ thriftpy2 threaded", "cpu_us_per_req", "aviary", "thriftpy2-threaded", "<=", 1.0),
            Target("Mock Thrift CPU/req ÷ Aviary echo (stub matching's cost)", "cpu_us_per_req", "mock", "aviary", "<=", 3.0),
        ),
    )
    # Telemetry on (the default: per-method metrics, trace ids, sampling, log trace ids)
    # against the same server with it switched off: what metrics and tracing cost.
    bare = [*aviary, "--set", "telemetry=false"]
    telemetry = tuple(
        Suite(
            f"telemetry-{kind}",
            kind,
            (
                ServerSpec("aviary", f"Aviary {kind}, metrics+tracing on", aviary, kind),
                ServerSpec("aviary-bare", f"Aviary {kind}, metrics+tracing off", bare, kind),
            ),
            (Target(f"Aviary {kind} req/s, metrics+tracing on ÷ off", "rps", "aviary", "aviary-bare", ">=", 0.95),),
            paired=True,
        )
        for kind in ("http", "thrift")
    )
    return {s.name: s for s in (rest, thrift, *telemetry, *_fast_path(aviary, mock, python), *_tls_and_workers(aviary))}


def _fast_path(aviary: list[str], mock: list[str], python: str) -> tuple[Suite, ...]:
    """The REST fast path (the default) against the plain Starlette path of the same process
    (``rest_fast_path=false``), raw Starlette/uvicorn and Aviary's own Thrift echo, with 16
    and 64 connections; the mock's REST, fast and plain, beside."""
    plain = ["--set", "rest_fast_path=false"]
    servers = (
        ServerSpec("aviary", "Aviary REST, fast path", aviary, "http"),
        ServerSpec("aviary-starlette", "Aviary REST, Starlette", [*aviary, *plain], "http"),
        ServerSpec("starlette", "Starlette/uvicorn", [python, str(BASELINES / "starlette_app.py")], "http"),
        ServerSpec("aviary-thrift", "Aviary Thrift", aviary, "thrift"),
        ServerSpec("mock", "Aviary mock, fast path", mock, "http"),
        ServerSpec("mock-starlette", "Aviary mock, Starlette", [*mock, *plain], "http"),
    )
    targets = (
        Target("fast path CPU/req ÷ Starlette/uvicorn", "cpu_us_per_req", "aviary", "starlette", "<=", 0.5),
        Target("fast path CPU/req ÷ Aviary Thrift", "cpu_us_per_req", "aviary", "aviary-thrift", "<=", 1.5),
        Target("fast path req/s ÷ Starlette/uvicorn", "rps", "aviary", "starlette", ">=", 2.0),
        Target("fast path p99 ÷ Starlette/uvicorn", "p99_us", "aviary", "starlette", "<=", 1.0),
        Target("fast path CPU/req ÷ Aviary's Starlette path", "cpu_us_per_req", "aviary", "aviary-starlette", "", 0.0),
        Target("mock CPU/req, fast path ÷ Starlette path", "cpu_us_per_req", "mock", "mock-starlette", "", 0.0),
    )
    return tuple(Suite(f"rest-fast-{n}", "http", servers, targets, connections=n) for n in (16, 64))


def _tls_and_workers(aviary: list[str]) -> tuple[Suite, ...]:
    """Aviary against itself: TLS versus plaintext, all cores versus one worker."""
    pki = tlscerts.make(BENCH / "out" / "pki")
    tls = ["--set", f"tls_cert={pki.server_cert}", "--set", f"tls_key={pki.server_key}", "--set", f"tls_ca={pki.ca}"]
    cores = len(os.sched_getaffinity(0))
    every_core = [*aviary, "--workers", "0"]  # one per core; the later flag wins
    suites = []
    for kind, endpoint, transport in (("rest", "http", "REST"), ("thrift", "thrift", "Thrift")):
        # wrk cannot present a client certificate: over REST the server asks for one (optional),
        # over Thrift thrift_load presents one and the server requires it (full mutual TLS).
        auth = "optional" if kind == "rest" else "required"
        suites.append(Suite(
            f"{kind}-tls",
            endpoint,
            (
                ServerSpec("aviary", f"Aviary {transport}", aviary, endpoint),
                ServerSpec("aviary-tls", f"Aviary {transport} TLS", [*aviary, *tls, "--set", f"tls_client_auth={auth}"], endpoint, tls=pki),
            ),
            (
                Target(f"Aviary {transport} TLS req/s ÷ plaintext", "rps", "aviary-tls", "aviary", "", 0),
                Target(f"Aviary {transport} TLS CPU/req ÷ plaintext", "cpu_us_per_req", "aviary-tls", "aviary", "", 0),
            ),
        ))  # fmt: skip
        suites.append(Suite(
            f"{kind}-workers",
            endpoint,
            (
                ServerSpec("aviary", f"Aviary {transport} 1 worker", aviary, endpoint),
                ServerSpec("aviary-all-cores", f"Aviary {transport} {cores} workers", every_core, endpoint),
            ),
            (
                Target(f"Aviary {transport} req/s: {cores} workers ÷ 1", "rps", "aviary-all-cores", "aviary", ">=", 1.6),
                Target(f"Aviary {transport} CPU/req: {cores} workers ÷ 1", "cpu_us_per_req", "aviary-all-cores", "aviary", "", 0),
            ),
        ))  # fmt: skip
    return tuple(suites)
