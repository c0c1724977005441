"""The Python client and logging handler against a real `aviary run eventlog`: the application
keeps running while the service is down, the spool is delivered in order when it returns, busy
answers are retried, and at exit what is left is flushed or spooled."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import ROOT, AviaryProcess, free_port  # noqa: E402

from services.eventlog.client import Destination, EventLogClient, LoggingHandler  # noqa: E402


def serve(data: Path, http_port: int, *extra: str) -> AviaryProcess:
    return AviaryProcess(["run", "eventlog", "--zk", "none", "--thrift-port", "0", "--http-port", str(http_port), "--admin-port", "0", "--set", f"eventlog.data_dir={data}", *extra]).start()


def port_of(proc: AviaryProcess) -> int:
    return proc.addr("eventlog")[1]


def scribe_log(port: int, entries: list[tuple[str, str]]) -> int:
    """Scribe's Log through thriftpy2's own client: framed, non-strict binary, as Scribe sends."""
    import thriftpy2
    from thriftpy2.protocol import TBinaryProtocolFactory
    from thriftpy2.rpc import make_client
    from thriftpy2.transport import TFramedTransportFactory

    scribe = thriftpy2.load(str(ROOT / "idl" / "scribe.thrift"), module_name="scribe_client_thrift", include_dirs=[str(ROOT / "idl")])
    client = make_client(scribe.scribe, "127.0.0.1", port, trans_factory=TFramedTransportFactory(), proto_factory=TBinaryProtocolFactory(strict_read=False, strict_write=False), timeout=10_000)
    try:
        return int(client.Log([scribe.LogEntry(category=c, message=m) for c, m in entries]))
    finally:
        client.close()


def stored(url: str, query: str) -> list[str]:
    r = httpx.get(f"{url}/events", params={"query": query, "direction": "forward", "limit": 5000}, timeout=10)
    assert r.status_code == 200, r.text
    return [s["event"]["message"] for s in r.json()["events"]]


def test_destinations() -> None:
    assert Destination("inet!127.0.0.1:8888").address(1) == ("127.0.0.1", 8888)
    assert Destination("http://localhost:9000").address(1) == ("localhost", 9000)
    assert Destination("127.0.0.1:7000").address(1) == ("127.0.0.1", 7000)
    assert Destination("inet![::1]:7001,127.0.0.1:7002").address(1) == ("::1", 7001)
    for bad in ("inet!nohost", "zk2!127.0.0.1:2181", "zk2!127.0.0.1:2181!relative", "ftp://x", "http://"):
        with pytest.raises(ValueError, match="destination"):
            Destination(bad)


def test_a_zookeeper_destination_finds_the_event_log_and_follows_it(tmp_path: Path, zookeeper: object, zk_env: str) -> None:
    """``zk2!…``: the client reads the serverset, sends to a member's http endpoint, and after
    that member is gone and another joins, the next batch goes to the new one."""
    zk = ["--zk", zookeeper.hosts, "--env", zk_env]  # type: ignore[attr-defined]
    first = serve(tmp_path / "one", 0, *zk)
    client = EventLogClient(f"zk2!{zookeeper.hosts}!/aviary/{zk_env}/eventlog", service="shop", flush_interval_s=0.05, timeout_s=2, max_backoff_s=0.2)  # type: ignore[attr-defined]
    try:
        client.emit("to the first")
        assert client.flush(20) and client.sent == 1
        assert stored(first.url("eventlog"), '{service="shop"}') == ["to the first"]
        first.stop()
        second = serve(tmp_path / "two", 0, *zk)
        try:
            client.emit("to the second")
            assert client.flush(30) and client.sent == 2
            assert stored(second.url("eventlog"), '{service="shop"}') == ["to the second"]
        finally:
            second.stop()
    finally:
        client.close()
        first.kill()


def test_the_handler_keeps_the_app_alive_and_delivers_the_spool_in_order(tmp_path: Path) -> None:
    port = free_port()
    client = EventLogClient(f"inet!127.0.0.1:{port}", service="shop", spool_dir=tmp_path / "spool", batch_size=10, flush_interval_s=0.05, timeout_s=2, max_backoff_s=0.5)
    logger = logging.getLogger("shop.orders")
    logger.propagate = False
    handler = LoggingHandler(client)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        # the service is down: logging returns at once and the events go to the spool
        t0 = time.monotonic()
        for i in range(35):
            logger.info("order %d placed", i, extra={"labels": {"shop": "eu"}})
        assert time.monotonic() - t0 < 5  # generous: emit must not wait on the network
        assert client.flush(20)
        assert client.pending_spool() >= 1 and client.spooled == 35 and client.sent == 0
        # the service comes back: the spool goes first, then what is logged now
        proc = serve(tmp_path / "data", port)
        try:
            for i in range(35, 40):
                logger.warning("order %d placed", i)
            deadline = time.monotonic() + 30
            while client.sent < 40 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert client.flush(20)
            assert client.pending_spool() == 0
            got = stored(proc.url("eventlog"), '{service="shop", category="shop.orders"}')
            assert got == [f"order {i} placed" for i in range(40)]  # all, once, in order
            eu = stored(proc.url("eventlog"), '{shop="eu", level="info"}')
            assert len(eu) == 35
        finally:
            proc.stop()
    finally:
        logger.removeHandler(handler)
        handler.close()


def test_at_exit_unsent_events_are_spooled_then_delivered_by_the_next_run(tmp_path: Path) -> None:
    port = free_port()
    spool = tmp_path / "spool"
    app = f"""
import logging, sys
sys.path.insert(0, {str(ROOT)!r})
from services.eventlog.client import EventLogClient, LoggingHandler
client = EventLogClient("inet!127.0.0.1:{port}", service="batchjob", spool_dir={str(spool)!r}, exit_timeout_s=0.5, timeout_s=0.5)
logging.basicConfig(level=logging.INFO, handlers=[LoggingHandler(client)])
for i in range(12):
    logging.getLogger("job").info("step %d", i)
print("done")
"""
    run = subprocess.run([sys.executable, "-c", app], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.strip() == "done", run.stderr
    files = sorted(spool.glob("*.batch"))
    assert files and sum(len(json.loads(f.read_text())["events"]) for f in files) == 12
    proc = serve(tmp_path / "data", port)
    try:
        client = EventLogClient(f"inet!127.0.0.1:{port}", spool_dir=spool, flush_interval_s=0.05)
        deadline = time.monotonic() + 30
        while client.pending_spool() and time.monotonic() < deadline:
            time.sleep(0.05)
        client.close()
        assert stored(proc.url("eventlog"), '{service="batchjob"}') == [f"step {i}" for i in range(12)]
    finally:
        proc.stop()


def test_a_full_queue_answers_try_later_and_clients_retry_until_stored(tmp_path: Path) -> None:
    """With room for one waiting event, a batch of two is refused (503 TryLater, Retry-After on
    the Loki route) and stores nothing; three clients sending one event at a time are refused
    whenever another's event is waiting for the disk, back off, and retry the same batch id."""
    port = free_port()
    proc = serve(tmp_path / "data", port, "--set", "eventlog.max_queue_events=1")
    try:
        r = httpx.post(proc.url("eventlog", "/events"), json={"batch": {"events": [{"message": "a"}, {"message": "b"}]}})
        assert r.status_code == 503 and r.json()["error"]["type"] == "TryLater" and r.json()["error"]["fields"]["retryAfterMs"] > 0
        loki = httpx.post(proc.url("eventlog", "/loki/api/v1/push"), json={"streams": [{"stream": {}, "values": [["1", "a"], ["2", "b"]]}]})
        assert loki.status_code == 503 and int(loki.headers["retry-after"]) >= 1
        assert scribe_log(port_of(proc), [("app", "one"), ("app", "two")]) == 1  # Scribe's TRY_LATER
        assert scribe_log(port_of(proc), [("app", "alone")]) == 0  # OK
        clients = [EventLogClient(f"http://127.0.0.1:{port}", service=f"c{n}", batch_size=1, flush_interval_s=0.001, max_backoff_s=0.2) for n in range(3)]
        for i in range(20):
            for c in clients:
                c.emit(f"e{i}")
        for c in clients:
            assert c.flush(60)
            c.close()
        for n, c in enumerate(clients):
            assert stored(proc.url("eventlog"), f'{{service="c{n}"}}') == [f"e{i}" for i in range(20)]
            assert c.dropped == 0 and c.rejected == 0
        assert stored(proc.url("eventlog"), '|~ "^(a|b|one|two)$"') == []  # the refused batches stored nothing
    finally:
        proc.stop()


def test_a_batch_the_event_log_refuses_is_dropped_and_counted_not_retried(tmp_path: Path) -> None:
    """The event log answers 422 (Invalid) for a batch that fits the IDL but not its rules (a
    label name it does not take): retrying cannot help, so the client counts and drops it."""
    proc = serve(tmp_path / "data", 0)
    try:
        client = EventLogClient(f"inet!127.0.0.1:{proc.addr('eventlog', 'http')[1]}", service="shop", batch_size=1, flush_interval_s=0.05, timeout_s=5)
        try:
            client.emit("refused", labels={"9bad": "v"})
            assert client.flush(20)
            client.emit("kept")
            assert client.flush(20)
            assert client.rejected == 1 and client.sent == 1
        finally:
            client.close()
        assert stored(proc.url("eventlog"), '{service="shop"}') == ["kept"]
    finally:
        proc.stop()
