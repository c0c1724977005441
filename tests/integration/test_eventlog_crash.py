"""kill -9 the event log at random moments while several clients send: every acknowledged event
is readable after the restart, and none is stored twice (clients re-send unanswered batches with
the same batch id, as the Python client does)."""

from __future__ import annotations

import random
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import AviaryProcess  # noqa: E402

ROUNDS = 20
CLIENTS = 3


def start(data: Path) -> AviaryProcess:
    return AviaryProcess(["run", "eventlog", "--zk", "none", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0", "--set", f"eventlog.data_dir={data}"]).start()


@pytest.mark.slow
def test_acknowledged_events_survive_kill_9(tmp_path: Path) -> None:
    rng = random.Random(20261122)
    acked: set[str] = set()
    sent: set[str] = set()
    unanswered: dict[str, list[str]] = {}  # batch id -> messages, re-sent after the restart
    lock = threading.Lock()

    def client(n: int, url: str, rnd: int, stop: threading.Event) -> None:
        with httpx.Client(base_url=url, timeout=10) as c:
            with lock:
                retry = [(b, m) for b, m in unanswered.items() if b.startswith(f"c{n}-")]
            i = 0
            while not stop.is_set():
                if retry:
                    batch_id, msgs = retry.pop(0)
                else:
                    batch_id = f"c{n}-r{rnd}-{i}"
                    msgs = [f"{batch_id}/{k}" for k in range(rng.randint(1, 5))]
                    i += 1
                with lock:
                    sent.update(msgs)
                    unanswered[batch_id] = msgs
                try:
                    r = c.post("/events", json={"batch": {"batchId": batch_id, "events": [{"category": "crash", "message": m} for m in msgs]}})
                except httpx.HTTPError:
                    return  # the server died: this batch stays unanswered
                if r.status_code == 200:
                    with lock:
                        acked.update(msgs)
                        unanswered.pop(batch_id, None)

    for rnd in range(ROUNDS):
        proc = start(tmp_path)
        stop = threading.Event()
        threads = [threading.Thread(target=client, args=(n, proc.url("eventlog"), rnd, stop)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.05, 0.4))
        proc.kill()  # SIGKILL, mid-traffic
        stop.set()
        for t in threads:
            t.join(15)

    proc = start(tmp_path)
    try:
        with httpx.Client(base_url=proc.url("eventlog"), timeout=30) as c:
            for batch_id, msgs in list(unanswered.items()):  # the clients' last retries
                r = c.post("/events", json={"batch": {"batchId": batch_id, "events": [{"category": "crash", "message": m} for m in msgs]}})
                assert r.status_code == 200, r.text
                acked.update(msgs)
            stored: list[str] = []
            cursor = ""
            while True:
                page = c.get("/events", params={"query": '{category="crash"}', "direction": "forward", "limit": 5000, "cursor": cursor}).json()
                stored += [s["event"]["message"] for s in page["events"]]
                cursor = page["cursor"]
                if not cursor:
                    break
    finally:
        proc.stop()
    counts = Counter(stored)
    assert len(acked) > ROUNDS  # the rounds really carried traffic
    assert sorted(acked - set(counts)) == []  # every acknowledged event is there
    assert sorted(m for m, k in counts.items() if k > 1) == []  # and none twice
    assert set(counts) <= sent
