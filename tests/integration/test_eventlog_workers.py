"""The event log under ``--workers 2``: it runs in one process (worker 1) while the host's other
services run in every worker, and its guarantees hold: durable acks, idempotent batch ids, no
acknowledged event lost or doubled across kill -9 of the worker or of the whole host.

(`--workers 2` is passed explicitly: the default may be one worker, and the failure this guards
against, a second worker finding the data directory locked, needs two.)"""

from __future__ import annotations

import os
import random
import re
import shlex
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import ROOT, AviaryProcess  # noqa: E402
from test_workers import pids_seen  # noqa: E402

PORTS = ["--zk", "none", "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0"]
README_COMMAND = "aviary run eventlog --set eventlog.data_dir=/var/lib/eventlog"  # tests/test_readme.py's REGISTRY points here


def start(data: Path, *services: str) -> AviaryProcess:
    """The README's command, its data_dir and ports aside, with two workers (what failed);
    `services` replaces the event log alone."""
    args = shlex.split(README_COMMAND.replace("/var/lib/eventlog", str(data)))[1:]
    if services:
        args = ["run", *services, *args[2:]]
    return AviaryProcess([*args, *PORTS, "--workers", "2"], env={"PYTHONPATH": str(ROOT / "tests")}, expect=len(services) or 1).start()


def worker_pids(p: AviaryProcess) -> list[int]:
    line = p.wait_line(r"^workers: \d+ serving")
    return [int(x) for x in re.search(r"pids ([\d, ]+)\)", line).group(1).split(", ")]  # type: ignore[union-attr]


def post(c: httpx.Client, batch_id: str, msgs: list[str]) -> httpx.Response:
    return c.post("/events", json={"batch": {"batchId": batch_id, "events": [{"category": "w", "message": m} for m in msgs]}})


def stored_messages(url: str) -> Counter[str]:
    out: Counter[str] = Counter()
    cursor = ""
    with httpx.Client(base_url=url, timeout=30) as c:
        while True:
            page = c.get("/events", params={"query": '{category="w"}', "direction": "forward", "limit": 5000, "cursor": cursor}).json()
            out.update(s["event"]["message"] for s in page["events"])
            cursor = page["cursor"]
            if not cursor:
                return out


def test_the_readme_command_starts_with_two_workers_and_keeps_events(tmp_path: Path) -> None:
    p = start(tmp_path / "data")
    try:
        assert len(worker_pids(p)) == 1  # only the event log: one serving process, not a failed second one
        assert "eventlog in worker 1 only" in p.output
        with httpx.Client(base_url=p.url("eventlog"), timeout=10) as c:
            first = post(c, "b-1", ["one", "two"]).json()
            again = post(c, "b-1", ["one", "two"]).json()
        assert (first["stored"], first["duplicate"]) == (2, False)
        assert again["duplicate"] is True and again["batchId"] == "b-1"
    finally:
        assert p.stop() == 0
    p = start(tmp_path / "data")  # durable: read back after a restart, and still deduplicated
    try:
        with httpx.Client(base_url=p.url("eventlog"), timeout=10) as c:
            assert post(c, "b-1", ["one", "two"]).json()["duplicate"] is True
        assert stored_messages(p.url("eventlog")) == Counter({"one": 1, "two": 1})
    finally:
        assert p.stop() == 0


def test_other_services_keep_every_worker_beside_the_event_log(tmp_path: Path) -> None:
    p = start(tmp_path / "data", "probe:create", "eventlog")
    try:
        pids = worker_pids(p)
        assert len(pids) == 2
        assert pids_seen(p, 2) == set(pids)  # the probe answers from both workers
        with httpx.Client(base_url=p.url("eventlog"), timeout=10) as c:
            for i in range(20):  # fresh batches on fresh connections: all go to the one event log
                assert post(c, f"x-{i}", [f"m{i}"]).status_code == 200
        assert stored_messages(p.url("eventlog")) == Counter({f"m{i}": 1 for i in range(20)})
    finally:
        assert p.stop() == 0


@pytest.mark.slow
@pytest.mark.timeout(300)  # three rounds of start, kill -9, restart: generous on a loaded machine
def test_acknowledged_events_survive_kill_9_of_the_worker_and_of_the_host(tmp_path: Path) -> None:
    """Clients send and re-send unanswered batches under the same id (as the Python client does);
    the event log's worker is killed with SIGKILL mid-traffic (the supervisor restarts it), then
    the whole host is. Every acknowledged event is there once."""
    rng = random.Random(20261204)
    data = tmp_path / "data"
    acked: set[str] = set()
    unanswered: dict[str, list[str]] = {}
    lock = threading.Lock()

    def client(n: int, url: str, stop: threading.Event) -> None:
        i = 0
        with httpx.Client(base_url=url, timeout=10) as c:
            while not stop.is_set():
                with lock:
                    mine = [(b, m) for b, m in unanswered.items() if b.startswith(f"c{n}-")]
                if mine:
                    batch_id, msgs = mine[0]
                else:
                    batch_id = f"c{n}-{i}-{rng.random():.6f}"
                    msgs = [f"{batch_id}/{k}" for k in range(1 + i % 4)]
                    i += 1
                    with lock:
                        unanswered[batch_id] = msgs
                try:
                    r = post(c, batch_id, msgs)
                except httpx.HTTPError:
                    time.sleep(0.05)  # the worker is being restarted: send the same batch again
                    continue
                if r.status_code == 200:
                    with lock:
                        acked.update(msgs)
                        unanswered.pop(batch_id, None)

    for rnd in range(3):
        p = start(data)
        stop = threading.Event()
        threads = [threading.Thread(target=client, args=(n, p.url("eventlog"), stop)) for n in range(3)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.1, 0.3))
        [pid] = worker_pids(p)
        os.kill(pid, signal.SIGKILL)  # the event log's process, mid-traffic
        p.wait_line(r"^worker 1 restarted", timeout=60)
        time.sleep(rng.uniform(0.1, 0.3))  # traffic to the restarted worker
        p.kill()  # then the whole host: supervisor and worker, SIGKILL
        stop.set()
        for t in threads:
            t.join(15)

    p = start(data)
    try:
        with httpx.Client(base_url=p.url("eventlog"), timeout=30) as c:
            for batch_id, msgs in list(unanswered.items()):  # the clients' last retries
                assert post(c, batch_id, msgs).status_code == 200
                acked.update(msgs)
        counts = stored_messages(p.url("eventlog"))
    finally:
        assert p.stop() == 0
    assert len(acked) > 10  # the rounds carried traffic
    assert sorted(acked - set(counts)) == []  # every acknowledged event is there
    assert sorted(m for m, k in counts.items() if k > 1) == []  # and none twice
