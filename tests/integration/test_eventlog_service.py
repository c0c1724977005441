"""The event log as `aviary run eventlog` serves it: REST and Loki ingest, queries, the SSE tail,
a Scribe client built from Apache Thrift's generated code, and bad input failing alone."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import ROOT, AviaryProcess, require_tool  # noqa: E402

MAX_BATCH = 50


@pytest.fixture(scope="module")
def eventlog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AviaryProcess]:
    data = tmp_path_factory.mktemp("eventlog-data")
    p = AviaryProcess(
        ["run", "eventlog", "--zk", "none", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0",
         "--set", f"eventlog.data_dir={data}", "--set", f"eventlog.max_batch_events={MAX_BATCH}", "--set", "eventlog.max_message_bytes=4096",
         "--set", "max_body_bytes=65536"]
    )
    p.start()
    yield p
    p.stop()


@pytest.fixture
def http(eventlog: AviaryProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=eventlog.url("eventlog"), timeout=30) as c:
        yield c


def query(http: httpx.Client, q: str, **params: Any) -> list[dict[str, Any]]:
    r = http.get("/events", params={"query": q, "limit": 1000, **params})
    assert r.status_code == 200, r.text
    return [s["event"] for s in r.json()["events"]]


def test_append_is_acknowledged_once_per_batch_id(http: httpx.Client) -> None:
    batch = {"batchId": "rest-1", "events": [{"serviceName": "billing", "level": "error", "message": "timeout calling ledger", "labels": {"customer": "42"}}, {"serviceName": "billing", "message": "charged"}]}
    first = http.post("/events", json={"batch": batch})
    again = http.post("/events", json={"batch": batch})
    assert first.status_code == 200 and first.json()["stored"] == 2 and not first.json()["duplicate"]
    assert again.status_code == 200 and again.json() == {**first.json(), "stored": 0, "duplicate": True}
    found = query(http, '{service="billing", level="error"} |= "timeout"')
    assert [e["message"] for e in found] == ["timeout calling ledger"]
    assert found[0]["labels"] == {"customer": "42"} and found[0]["timeMs"] > 0
    assert [e["message"] for e in query(http, '{customer="42"}')] == ["timeout calling ledger"]


def test_loki_push_is_queryable_with_labels_and_time(http: httpx.Client) -> None:
    ns = 1_700_000_000_000_000_000
    body = {"streams": [
        {"stream": {"service": "web", "level": "info", "route": "/pay"}, "values": [[str(ns + i * 1_000_000), f"GET /pay {i}"] for i in range(5)]},
        {"stream": {"service": "web", "level": "error"}, "values": [[str(ns), "upstream timeout", {"traceId": "abc123"}]]},
    ], "batchId": "loki-1"}
    r = http.post("/loki/api/v1/push", json=body)
    assert r.status_code == 204 and r.headers["x-stored"] == "6"
    assert http.post("/loki/api/v1/push", json=body).headers["x-duplicate"] == "true"
    forward = query(http, '{service="web", route="/pay"}', direction="forward", startMs=ns // 10**6 + 1, endMs=ns // 10**6 + 4)
    assert [e["message"] for e in forward] == ["GET /pay 1", "GET /pay 2", "GET /pay 3"]
    err = query(http, '{service="web", level="error"}')
    assert err[0]["traceId"] == "abc123"


def test_pages_follow_the_cursor(http: httpx.Client) -> None:
    http.post("/events", json={"batch": {"events": [{"category": "paging", "message": f"p{i}"} for i in range(7)]}})
    seen, cursor = [], ""
    while True:
        r = http.get("/events", params={"query": '{category="paging"}', "limit": 3, "cursor": cursor}).json()
        seen += [s["event"]["message"] for s in r["events"]]
        cursor = r["cursor"]
        if not cursor:
            break
    assert seen == [f"p{i}" for i in range(6, -1, -1)]


def test_poll_tail_returns_what_came_after_a_seq(http: httpx.Client) -> None:
    first = http.post("/events", json={"batch": {"events": [{"category": "polled", "message": "before"}]}}).json()["firstSeq"]
    http.post("/events", json={"batch": {"events": [{"category": "polled", "message": m} for m in ("after 1", "after 2", "after 3")]}})
    r = http.get("/events/tail", params={"query": '{category="polled"}', "afterSeq": first, "limit": 2})
    assert r.status_code == 200
    assert [s["event"]["message"] for s in r.json()] == ["after 1", "after 2"]  # oldest first, limited


BAD = [
    ({"batch": {"events": [{"message": 42}]}}, 400, "message"),
    ({"batch": {"events": [{"message": "x", "category": "no spaces!"}]}}, 422, "category"),
    ({"batch": {"events": [{"message": "x", "labels": {"9bad": "v"}}]}}, 422, "labels"),
    ({"batch": {"events": [{"message": "x" * 5000}]}}, 422, "longer than"),
    ({"batch": {"events": [{"message": "x"}] * (MAX_BATCH + 1)}}, 422, "per batch"),
    ({"batch": {"events": [{"level": "info"}]}}, 400, "message"),
]


def test_bad_input_fails_alone(http: httpx.Client, eventlog: AviaryProcess) -> None:
    errors: list[str] = []

    def good(n: int) -> None:
        with httpx.Client(base_url=eventlog.url("eventlog"), timeout=30) as c:
            for i in range(20):
                r = c.post("/events", json={"batch": {"events": [{"category": "alone", "message": f"good {n}-{i}"}]}})
                if r.status_code != 200:
                    errors.append(r.text)

    threads = [threading.Thread(target=good, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for body, status, word in BAD:
        r = http.post("/events", json=body)
        assert r.status_code == status, (body, r.text)
        assert word in r.text
    loki = http.post("/loki/api/v1/push", json={"streams": [{"stream": {"service": "x"}, "values": [["not-a-number", "line"]]}]})
    assert loki.status_code == 400 and "streams[0].values[0][0]" in loki.text
    assert http.post("/loki/api/v1/push", content=b"{nope").status_code == 400
    bad_query = http.get("/events", params={"query": '{service="a"'})
    assert bad_query.status_code == 422 and "query" in bad_query.text
    for t in threads:
        t.join()
    assert errors == []
    assert len(query(http, '{category="alone"}')) == 60
    assert [e for e in query(http, "") if e["message"] in ("x", "line", "x" * 5000)] == []  # no bad batch stored a part


def test_sse_tail_streams_new_events(http: httpx.Client, eventlog: AviaryProcess) -> None:
    got: list[dict[str, Any]] = []
    ready = threading.Event()

    def read() -> None:
        with httpx.Client(timeout=30) as c, c.stream("GET", eventlog.url("eventlog", "/eventlog/tail"), params={"query": '{category="tailed"} != "skip"'}) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            for line in r.iter_lines():
                if line.startswith(":"):
                    ready.set()
                if line.startswith("data: "):
                    got.append(json.loads(line[6:]))
                    if len(got) == 3:
                        return

    t = threading.Thread(target=read)
    t.start()
    assert ready.wait(10)
    for m in ["one", "skip me", "two", "three"]:
        assert http.post("/events", json={"batch": {"events": [{"category": "tailed", "message": m}]}}).status_code == 200
    t.join(20)
    assert [e["message"] for e in got] == ["one", "two", "three"]
    assert got[0]["seq"] < got[1]["seq"] < got[2]["seq"]


SCRIBE_CLIENT = r'''
import base64, json, sys
from thrift.transport import TSocket, TTransport
from thrift.protocol import TBinaryProtocol
from scribe import scribe
from scribe.ttypes import LogEntry, ResultCode
from eventlog import EventLog

host, port = sys.argv[1], int(sys.argv[2])
sock = TSocket.TSocket(host, port)
trans = TTransport.TFramedTransport(sock)
proto = TBinaryProtocol.TBinaryProtocol(trans, strictRead=False, strictWrite=False)  # as Scribe's clients send
client = scribe.Client(proto)
trans.open()
span = base64.b64encode(b"\x0b\x00\x03\x00\x00\x00\x04span").decode() + "\n"  # Finagle's zipkin entries
out = {}
out["log"] = client.Log([LogEntry("zipkin", span), LogEntry("app.audit", "user 7 logged in"), LogEntry("", "dropped: blank"), LogEntry("bad category!", "dropped")])
out["status"] = client.getStatus()
out["name"] = client.getName()
out["alive"] = client.aliveSince()
out["counters"] = client.getCounters()
out["counter"] = client.getCounter("eventlog/scribe/dropped_entries")
# read back over Thrift with the structured service, on the same port and connection
reader = EventLog.Client(proto)
page = reader.query('{category="zipkin"}', 0, 0, 10, "backward", "")
out["zipkin"] = [s.event.message for s in page.events]
out["audit"] = [s.event.message for s in reader.query('{category="app.audit"} |= "logged in"', 0, 0, 10, "forward", "").events]
try:
    reader.query('{category=', 0, 0, 10, "backward", "")
except Exception as e:
    out["invalid"] = type(e).__name__ + ": " + getattr(e, "field", "")
trans.close()
print(json.dumps(out))
'''


def test_a_scribe_client_logs_and_reads_back(eventlog: AviaryProcess, tmp_path: Path) -> None:
    thrift = require_tool("thrift", "thrift-compiler")
    gen = tmp_path / "gen"
    gen.mkdir()
    for idl in ("fb303.thrift", "scribe.thrift", "eventlog.thrift"):
        subprocess.run([thrift, "--gen", "py", "-I", str(ROOT / "idl"), "-out", str(gen), str(ROOT / "idl" / idl)], check=True, timeout=60)
    host, port = eventlog.addr("eventlog")
    run = subprocess.run([sys.executable, "-c", SCRIBE_CLIENT, host, str(port)], capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(gen), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["log"] == 0  # ResultCode.OK
    assert out["status"] == 2 and out["name"] == "eventlog" and out["alive"] > 0
    assert out["zipkin"] and out["zipkin"][0].endswith("\n")
    assert out["audit"] == ["user 7 logged in"]
    assert out["counter"] >= 2 and out["counters"]["eventlog/scribe/ok"] >= 1
    assert out["invalid"] == "Invalid: query"


def test_the_loki_route_refuses_what_is_too_large_or_too_deep_with_json_errors(http: httpx.Client) -> None:
    big = http.post("/loki/api/v1/push", content=b'{"streams": [' + b" " * 70_000 + b"]}")
    assert big.status_code == 413 and big.json()["error"]["type"] == "PayloadTooLarge"
    deep = http.post("/loki/api/v1/push", content=b'{"streams": ' + b"[" * 10_000 + b"]" * 10_000 + b"}")
    assert deep.status_code == 400 and "deeper than 64" in deep.json()["error"]["fields"]["reason"]


def test_a_json_query_over_a_deeply_nested_message_is_answered(http: httpx.Client) -> None:
    nested = "[" * 1000 + "]" * 1000  # fine as text; | json must not recurse into it
    assert http.post("/events", json={"batch": {"events": [{"category": "deepjson", "message": '{"a": ' + nested + "}"}]}}).status_code == 200
    r = http.get("/events", params={"query": '{category="deepjson"} | json'})
    assert r.status_code == 200 and r.json()["events"] == []  # not a JSON object it can read: filtered out, as any non-JSON line


@pytest.mark.parametrize(
    "raw,field",
    [
        (rb'{"streams":[{"stream":{"a":"b"},"values":[["1","\ud800"]]}]}', "streams[0].values[0].message"),
        (rb'{"streams":[{"stream":{"\ud800":"b"},"values":[["1","x"]]}]}', "streams[0].stream.\ud800"),
        (rb'{"streams":[{"stream":{"service":"\udc00"},"values":[["1","x"]]}]}', "streams[0].values[0].service"),
        (rb'{"batchId":"\ud800","streams":[{"stream":{"a":"b"},"values":[["1","x"]]}]}', "batchId"),
    ],
)
def test_loki_text_that_is_not_valid_unicode_is_refused_naming_the_field(http: httpx.Client, raw: bytes, field: str) -> None:
    """Once a 500: the write-ahead log could not encode the text, or the error body the field name."""
    r = http.post("/loki/api/v1/push", content=raw)
    assert r.status_code == 400 and r.json()["error"]["fields"]["field"] == field


def test_structured_text_that_is_not_valid_unicode_is_a_400_naming_the_field(http: httpx.Client) -> None:
    r = http.post("/events", content=rb'{"batch": {"events": [{"message": "ok", "labels": {"k": "\udfff"}}]}}')
    assert r.status_code == 400 and r.json()["error"]["path"] == "args.batch.events[0].labels['k']"
