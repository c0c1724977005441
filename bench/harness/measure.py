"""Run one suite: start its servers, check each answers right, warm up, then measure in rounds.

Rounds interleave the servers (A B C, B C A, C A B, ...) so that a burst of noise from a
neighbour on a shared machine spreads over all of them instead of sinking one. In each load
window the server's CPU time is read before and after; per request it is the steadiest figure,
since it does not depend on how much CPU the machine had to spare.
"""

from __future__ import annotations

import os
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import loadgen, payload, profile
from .procs import Server
from .suites import Suite

SETTLE_S = 0.2  # after the load: let the server finish closing connections, on its CPU bill


@dataclass(frozen=True)
class Options:
    seconds: int  # wrk takes whole seconds
    rounds: int
    warmup: int
    connections: int
    wrk_threads: int
    py_spy: Path | None = None  # profile each server after the rounds


@dataclass(frozen=True)
class Sample:
    """One load window on one server."""

    load: loadgen.Load
    server_user_s: float
    server_sys_s: float

    @property
    def server_cpu_s(self) -> float:
        return self.server_user_s + self.server_sys_s

    @property
    def rps(self) -> float:
        return self.load.requests / self.load.seconds

    @property
    def cpu_us_per_req(self) -> float:
        return self.server_cpu_s * 1e6 / max(self.load.requests, 1)

    @property
    def p99_us(self) -> float:
        return self.load.p99_us

    @property
    def server_cpu_pct(self) -> float:
        return 100 * self.server_cpu_s / self.load.seconds

    @property
    def client_cpu_pct(self) -> float:
        return 100 * self.load.client_cpu_s / self.load.seconds


class Runner:
    """A started server with its request and expected reply on disk, and a way to load it."""

    def __init__(self, server: Server, suite: Suite, work: Path, opts: Options) -> None:
        self.server = server
        self.kind = "thrift" if server.spec.endpoint == "thrift" else suite.kind  # a suite may set a Thrift server beside HTTP ones
        self.opts = opts
        host, port = server.address
        name = server.spec.name
        self.tls = server.spec.tls
        ctx = None
        if self.tls is not None:
            ctx = ssl.create_default_context(cafile=str(self.tls.ca))
            ctx.load_cert_chain(str(self.tls.client_cert), str(self.tls.client_key))
        if self.kind == "http":
            self.request = work / "body.json"
            self.request.write_bytes(payload.rest_body())
            expected = payload.check_rest(host, port, ctx)
        else:
            self.request = work / "request.bin"
            self.request.write_bytes(payload.thrift_request())
            expected = payload.check_thrift(host, port, ctx)
            self.exe = loadgen.build_thrift_load(work.parent / "build")
        self.expected = work / f"{name}.expected"
        self.expected.write_bytes(expected)

    def load(self, seconds: int, cpus: set[int] | None = None) -> loadgen.Load:
        host, port = self.server.address
        o = self.opts
        if self.kind == "http":
            return loadgen.wrk(host, port, payload.REST_PATH, self.request, self.expected, o.connections, o.wrk_threads, seconds, self.tls is not None, cpus)
        return loadgen.thrift_load(self.exe, host, port, self.request, self.expected, o.connections, seconds, self.tls, cpus)

    def measure(self, cpus: set[int] | None = None) -> Sample:
        if not self.server.alive():
            raise RuntimeError(f"{self.server.spec.label} has exited; see {self.server.log_path}")
        user0, sys0 = self.server.cpu_seconds()
        load = self.load(self.opts.seconds, cpus)
        time.sleep(SETTLE_S)
        user1, sys1 = self.server.cpu_seconds()
        return Sample(load, user1 - user0, sys1 - sys0)

    def profile(self, py_spy: Path, out: Path) -> Path:
        """Sample the server with py-spy while it is under load; returns the folded stacks."""
        seconds = max(self.opts.seconds, 3)
        loader = threading.Thread(target=self.load, args=(seconds + 2,))
        loader.start()
        time.sleep(1)
        folded = out / f"{self.server.spec.name}.folded"
        try:
            profile.record(py_spy, self.server.pid, seconds, folded)
        finally:
            loader.join()
        return folded


def run_suite(suite: Suite, opts: Options, out: Path, say: Callable[[str], None]) -> dict[str, list[Sample]]:
    """Samples per server name, `opts.rounds` of them each."""
    if suite.paired:
        return run_paired(suite, opts, out, say)
    work = out / suite.name
    work.mkdir(parents=True, exist_ok=True)
    servers = [Server(spec, work / f"{spec.name}.log") for spec in suite.servers]
    try:
        runners: list[Runner] = []
        for s in servers:
            s.start()
            runners.append(Runner(s, suite, work, opts))
            say(f"{suite.name}: {s.spec.label} ready on {':'.join(map(str, s.address))}, pid {s.pid}, reply checked")
        for runner in runners:
            if opts.warmup > 0:
                runner.load(opts.warmup)
        samples: dict[str, list[Sample]] = {s.spec.name: [] for s in servers}
        for r in range(opts.rounds):
            for runner in runners[r % len(runners) :] + runners[: r % len(runners)]:
                sample = runner.measure()
                samples[runner.server.spec.name].append(sample)
                say(
                    f"{suite.name} round {r + 1}/{opts.rounds}: {runner.server.spec.label:<20} {sample.rps:>8,.0f} req/s "
                    f"{sample.cpu_us_per_req:>7.1f} µs CPU/req  server {sample.server_cpu_pct:3.0f}% client {sample.client_cpu_pct:3.0f}%"
                    + (f"  {sample.load.errors} ERRORS" if sample.load.errors else "")
                )
        if opts.py_spy is not None:
            for runner in runners:
                folded = runner.profile(opts.py_spy, work)
                say(profile.summary_text(f"{suite.name}: {runner.server.spec.label}", folded))
        return samples
    finally:
        for s in servers:
            s.stop()


def _at_once(jobs: list[Callable[[], Sample]]) -> list[Sample]:
    """Run `jobs` in threads at the same moment; their samples, in order (or the first error)."""
    results: list[Sample | BaseException | None] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            results[i] = jobs[i]()
        except BaseException as e:  # noqa: BLE001 - re-raised below, in the caller's thread
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results  # type: ignore[return-value]


def run_paired(suite: Suite, opts: Options, out: Path, say: Callable[[str], None]) -> dict[str, list[Sample]]:
    """Variants of one server side by side. Each round starts a fresh set, all pinned to one
    core (so the scheduler gives each the same CPU time), loads them all at once from the
    other cores, and stops them.

    Rounds in turn cannot see a difference of a few percent on a shared machine: the same
    server swings by ±30% from one window to the next. Servers measured at the same moment see
    the same machine, and a fresh set per round averages out what differs between two
    processes of one program (hash seed, memory layout: a few percent either way).

    Sharing a core, each server answers requests in bigger batches than alone, so its CPU per
    request is lower than in the other suites, and a fixed cost per call weighs more."""
    cpus = sorted(os.sched_getaffinity(0))
    server_cpus, load_cpus = {cpus[0]}, set(cpus[1:]) or {cpus[0]}
    work = out / suite.name
    work.mkdir(parents=True, exist_ok=True)
    samples: dict[str, list[Sample]] = {spec.name: [] for spec in suite.servers}
    say(f"{suite.name}: servers side by side on CPU {cpus[0]}, load from CPU {','.join(map(str, sorted(load_cpus)))}; a fresh set each round")
    for r in range(opts.rounds):
        # Started and loaded in a rotating order (A B, B A, ...), so that being first is no one's
        # advantage.
        order = [*suite.servers[r % len(suite.servers) :], *suite.servers[: r % len(suite.servers)]]
        servers = [Server(spec, work / f"{spec.name}.log") for spec in order]
        try:
            runners = []
            for s in servers:
                s.start(cpus=server_cpus)
                runners.append(Runner(s, suite, work, opts))
            if opts.warmup > 0:
                _at_once([lambda runner=runner: Sample(runner.load(opts.warmup, load_cpus), 0.0, 0.0) for runner in runners])
            for runner, sample in zip(runners, _at_once([lambda runner=runner: runner.measure(load_cpus) for runner in runners])):
                samples[runner.server.spec.name].append(sample)
                say(
                    f"{suite.name} round {r + 1}/{opts.rounds}: {runner.server.spec.label:<20} {sample.rps:>8,.0f} req/s "
                    f"{sample.cpu_us_per_req:>7.1f} µs CPU/req  server {sample.server_cpu_pct:3.0f}% client {sample.client_cpu_pct:3.0f}%"
                    + (f"  {sample.load.errors} ERRORS" if sample.load.errors else "")
                )
            if opts.py_spy is not None and r == opts.rounds - 1:
                for runner in runners:
                    folded = runner.profile(opts.py_spy, work)
                    say(profile.summary_text(f"{suite.name}: {runner.server.spec.label}", folded))
        finally:
            for s in servers:
                s.stop()
    return samples
