"""The mock plugin as a WireMock stand-in: a mappings folder written the way a WireMock user
writes one, served on the mock's HTTP port, answering as WireMock documents (URL, header,
query, cookie and body matchers; priorities; scenarios; faults; the admin API and journal).
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from support import InProcessHost  # noqa: E402

STUBS: dict[str, Any] = {
    "url-exact.json": {"request": {"method": "GET", "url": "/exact?a=1"}, "response": {"status": 200, "body": "exact url"}},
    "url-path.json": {"request": {"method": "GET", "urlPath": "/path/only"}, "response": {"body": "url path"}},
    "url-pattern.json": {"request": {"method": "ANY", "urlPattern": "/items/[0-9]+\\?.*"}, "response": {"body": "url pattern"}},
    "url-path-pattern.json": {"request": {"method": "GET", "urlPathPattern": "/users/[a-z]+"}, "response": {"body": "url path pattern"}},
    "headers.json": {
        "request": {
            "method": "GET",
            "urlPath": "/headers",
            "headers": {
                "X-Exact": {"equalTo": "ABC", "caseInsensitive": True},
                "X-Contains": {"contains": "needle"},
                "X-Regex": {"matches": "v[0-9]+"},
                "X-Not": {"doesNotMatch": "bad.*"},
                "X-Absent": {"absent": True},
            },
        },
        "response": {"status": 200, "headers": {"X-Answer": "headers", "Content-Type": "text/plain"}, "body": "all header matchers"},
    },
    "query.json": {
        "request": {"method": "GET", "urlPath": "/search", "queryParameters": {"q": {"equalTo": "birds"}, "page": {"matches": "[0-9]+"}}},
        "response": {"jsonBody": {"results": ["heron", "lark"]}},
    },
    "cookies.json": {"request": {"method": "GET", "urlPath": "/cookie", "cookies": {"session": {"equalTo": "s1"}}}, "response": {"body": "cookie"}},
    "body-equal.json": {"request": {"method": "POST", "url": "/body", "bodyPatterns": [{"equalTo": "plain text"}]}, "response": {"body": "body equalTo"}},
    "body-contains.json": {
        "request": {"method": "POST", "url": "/body", "bodyPatterns": [{"contains": "needle"}, {"matches": ".*hay.*"}]},
        "response": {"body": "body contains+matches"},
    },
    "body-json.json": {
        "request": {"method": "POST", "url": "/json", "bodyPatterns": [{"equalToJson": {"name": "wren", "tags": ["a", "b"]}, "ignoreArrayOrder": True, "ignoreExtraElements": True}]},
        "response": {"status": 201, "jsonBody": {"ok": True}},
    },
    "body-json-strict.json": {
        "request": {"method": "POST", "url": "/json-strict", "bodyPatterns": [{"equalToJson": "{\"n\": 1, \"list\": [1, 2]}"}]},
        "response": {"body": "strict json"},
    },
    "body-jsonpath.json": {
        "request": {"method": "POST", "url": "/jsonpath", "bodyPatterns": [{"matchesJsonPath": "$.order.items[?(@.qty > 2)]"}]},
        "response": {"body": "jsonpath filter"},
    },
    "body-jsonpath-sub.json": {
        "request": {"method": "POST", "url": "/jsonpath-sub", "bodyPatterns": [{"matchesJsonPath": {"expression": "$.user.name", "contains": "ali"}}]},
        "response": {"body": "jsonpath with a matcher"},
    },
    "base64.json": {"request": {"method": "GET", "url": "/binary"}, "response": {"base64Body": base64.b64encode(bytes(range(256))).decode(), "headers": {"Content-Type": "application/octet-stream"}}},
    "file.json": {"request": {"method": "GET", "url": "/file"}, "response": {"bodyFileName": "hello.txt"}},
    "delay.json": {"request": {"method": "GET", "url": "/slow"}, "response": {"body": "slow", "fixedDelayMilliseconds": 30}},
    "delay-uniform.json": {"request": {"method": "GET", "url": "/uniform"}, "response": {"body": "uniform", "delayDistribution": {"type": "uniform", "lower": 1, "upper": 20}}},
    "delay-lognormal.json": {"request": {"method": "GET", "url": "/lognormal"}, "response": {"body": "lognormal", "delayDistribution": {"type": "lognormal", "median": 5, "sigma": 0.1}}},
    "prio-catchall.json": {"priority": 10, "request": {"method": "ANY", "urlPathPattern": "/prio/.*"}, "response": {"status": 418, "body": "catch-all"}},
    "prio-specific.json": {"priority": 1, "request": {"method": "GET", "url": "/prio/x"}, "response": {"body": "specific"}},
    "fault-reset.json": {"request": {"url": "/fault/reset"}, "response": {"fault": "CONNECTION_RESET_BY_PEER"}},
    "fault-empty.json": {"request": {"url": "/fault/empty"}, "response": {"fault": "EMPTY_RESPONSE"}},
    "fault-random.json": {"request": {"url": "/fault/random"}, "response": {"fault": "RANDOM_DATA_THEN_CLOSE"}},
    "fault-chunk.json": {"request": {"url": "/fault/chunk"}, "response": {"fault": "MALFORMED_RESPONSE_CHUNK"}},
    # a scenario as in WireMock's to-do list example, in one file as {"mappings": [...]}
    "scenario.json": {
        "mappings": [
            {"scenarioName": "todo", "requiredScenarioState": "Started", "request": {"method": "GET", "url": "/todo"}, "response": {"jsonBody": ["buy milk"]}},
            {"scenarioName": "todo", "requiredScenarioState": "Started", "newScenarioState": "added", "request": {"method": "POST", "url": "/todo"}, "response": {"status": 201}},
            {"scenarioName": "todo", "requiredScenarioState": "added", "request": {"method": "GET", "url": "/todo"}, "response": {"jsonBody": ["buy milk", "feed birds"]}},
        ]
    },
    "other-scenario.json": {"scenarioName": "other", "requiredScenarioState": "Started", "newScenarioState": "done", "request": {"method": "POST", "url": "/other"}, "response": {"status": 204}},
}


def write_mappings(root: Path, stubs: dict[str, Any]) -> Path:
    mappings = root / "mappings"
    mappings.mkdir(parents=True)
    (root / "__files").mkdir()
    (root / "__files" / "hello.txt").write_text("from a file\n")
    for name, stub in stubs.items():
        (mappings / name).write_text(json.dumps(stub, indent=2))
    return mappings


def mock_service(**settings: Any) -> Any:
    from framework import config, plugins

    return plugins.create("mock", config.load(env={}, flags={f"services.mock.{k}": v for k, v in settings.items()}))


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessHost]:
    mappings = write_mappings(tmp_path_factory.mktemp("wiremock"), STUBS)
    with InProcessHost(lambda: [mock_service(mappings=str(mappings), journal_size=500)]) as h:
        yield h


@pytest.fixture
def client(mock: InProcessHost) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mock.url("mock"), timeout=10) as c:
        yield c


def test_url_matchers(client: httpx.Client) -> None:
    assert client.get("/exact?a=1").text == "exact url"
    assert client.get("/exact?a=2").status_code == 404  # url includes the query
    assert client.get("/path/only?anything=1").text == "url path"  # urlPath ignores it
    assert client.delete("/items/42?x=y").text == "url pattern"  # the regex covers path and query; ANY verb
    assert client.get("/items/42").status_code == 404  # ...and must match the whole url
    assert client.get("/users/alice").text == "url path pattern"
    assert client.get("/users/alice1").status_code == 404  # a whole-path match, not a search


def test_header_matchers(client: httpx.Client) -> None:
    good = {"X-Exact": "abc", "X-Contains": "hay needle hay", "X-Regex": "v12", "X-Not": "fine"}
    r = client.get("/headers", headers=good)
    assert r.status_code == 200 and r.text == "all header matchers"
    assert r.headers["x-answer"] == "headers"
    assert r.headers["matched-stub-id"]  # which stub answered, as WireMock reports it
    for name, bad in (("X-Exact", "abd"), ("X-Contains", "hay"), ("X-Regex", "v1x"), ("X-Not", "bad one")):
        assert client.get("/headers", headers={**good, name: bad}).status_code == 404, name
    assert client.get("/headers", headers={**good, "X-Absent": "present"}).status_code == 404
    assert client.get("/headers", headers={k: v for k, v in good.items() if k != "X-Regex"}).status_code == 404


def test_query_and_cookie_matchers(client: httpx.Client) -> None:
    r = client.get("/search", params={"q": "birds", "page": "3"})
    assert r.json() == {"results": ["heron", "lark"]} and r.headers["content-type"] == "application/json"
    assert client.get("/search", params={"q": "birds", "page": "x"}).status_code == 404
    assert client.get("/search", params={"q": "fish", "page": "3"}).status_code == 404
    assert client.get("/cookie", headers={"Cookie": "a=b; session=s1"}).text == "cookie"
    assert client.get("/cookie", headers={"Cookie": "session=s2"}).status_code == 404


def test_body_matchers(client: httpx.Client) -> None:
    assert client.post("/body", content="plain text").text == "body equalTo"
    assert client.post("/body", content="hay needle hay").text == "body contains+matches"  # every pattern must match
    assert client.post("/body", content="needle only").status_code == 404
    # equalToJson with ignoreArrayOrder and ignoreExtraElements
    assert client.post("/json", json={"tags": ["b", "a"], "name": "wren", "extra": 1}).status_code == 201
    assert client.post("/json", json={"tags": ["b"], "name": "wren"}).status_code == 404
    assert client.post("/json", content="not json").status_code == 404
    # strict equalToJson: numbers by value, order and members exact
    assert client.post("/json-strict", content='{"list":[1,2.0],"n":1.0}').text == "strict json"
    assert client.post("/json-strict", json={"n": 1, "list": [2, 1]}).status_code == 404
    assert client.post("/json-strict", json={"n": 1, "list": [1, 2], "x": 0}).status_code == 404
    assert client.post("/json-strict", json={"n": True, "list": [1, 2]}).status_code == 404  # true is not 1
    # matchesJsonPath: a filter expression; then an expression with a matcher on what it finds
    assert client.post("/jsonpath", json={"order": {"items": [{"qty": 1}, {"qty": 5}]}}).text == "jsonpath filter"
    assert client.post("/jsonpath", json={"order": {"items": [{"qty": 1}]}}).status_code == 404
    assert client.post("/jsonpath-sub", json={"user": {"name": "alice"}}).text == "jsonpath with a matcher"
    assert client.post("/jsonpath-sub", json={"user": {"name": "bob"}}).status_code == 404
    assert client.post("/jsonpath-sub", json={"user": {}}).status_code == 404


def test_response_bodies_and_delays(client: httpx.Client) -> None:
    r = client.get("/binary")
    assert r.content == bytes(range(256))  # base64Body: every byte value, unchanged
    assert client.get("/file").text == "from a file\n"  # bodyFileName from __files
    for path in ("/slow", "/uniform", "/lognormal"):
        assert client.get(path).text == path[1:]


def test_priority_lower_wins_and_ties_go_to_the_newest(mock: InProcessHost, client: httpx.Client) -> None:
    assert client.get("/prio/x").text == "specific"
    assert client.get("/prio/y").status_code == 418
    first = client.post("/__admin/mappings", json={"request": {"url": "/tie"}, "response": {"body": "first"}}).json()
    second = client.post("/__admin/mappings", json={"request": {"url": "/tie"}, "response": {"body": "second"}}).json()
    assert client.get("/tie").text == "second"  # same (default) priority: the one added last
    assert first["id"] != second["id"]
    client.delete(f"/__admin/mappings/{second['id']}")
    assert client.get("/tie").text == "first"
    client.delete(f"/__admin/mappings/{first['id']}")


def test_scenarios_move_and_reset_one_by_one(client: httpx.Client) -> None:
    client.post("/__admin/scenarios/reset")
    assert client.get("/todo").json() == ["buy milk"]
    assert client.post("/todo").status_code == 201
    assert client.get("/todo").json() == ["buy milk", "feed birds"]
    assert client.post("/other").status_code == 204
    states = {s["name"]: s for s in client.get("/__admin/scenarios").json()["scenarios"]}
    assert states["todo"]["state"] == "added" and states["other"]["state"] == "done"
    assert set(states["todo"]["possibleStates"]) == {"Started", "added"}
    client.post("/__admin/scenarios/todo/reset")  # one scenario only
    states = {s["name"]: s["state"] for s in client.get("/__admin/scenarios").json()["scenarios"]}
    assert states == {"todo": "Started", "other": "done"}
    assert client.get("/todo").json() == ["buy milk"]
    assert client.put("/__admin/scenarios/todo/state", json={"state": "added"}).status_code == 200
    assert client.get("/todo").json() == ["buy milk", "feed birds"]
    assert client.put("/__admin/scenarios/nosuch/state", json={"state": "x"}).status_code == 404
    client.post("/__admin/scenarios/reset")


def _raw_get(mock: InProcessHost, path: str) -> bytes | Exception:
    host, port = mock.addr("mock", "http")
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except OSError as e:
            return e
        return data


def test_faults(mock: InProcessHost, client: httpx.Client) -> None:
    reset = _raw_get(mock, "/fault/reset")
    assert isinstance(reset, ConnectionResetError), reset
    assert _raw_get(mock, "/fault/empty") == b""
    random_data = _raw_get(mock, "/fault/random")
    assert isinstance(random_data, bytes) and len(random_data) == 64 and not random_data.startswith(b"HTTP/")
    chunk = _raw_get(mock, "/fault/chunk")
    assert isinstance(chunk, bytes) and chunk.startswith(b"HTTP/1.1 200") and b"\r\n0\r\n" not in chunk
    host, port = mock.addr("mock", "http")
    conn = http.client.HTTPConnection(host, port, timeout=5)
    conn.request("GET", "/fault/chunk")
    with pytest.raises((http.client.IncompleteRead, ValueError, http.client.HTTPException)):
        conn.getresponse().read()
    conn.close()
    # the server is unharmed: the next caller is answered
    assert client.get("/path/only").text == "url path"


def test_admin_mappings_crud(client: httpx.Client) -> None:
    total = client.get("/__admin/mappings").json()["meta"]["total"]
    assert total == len(STUBS) - 1 + 3  # the scenario file holds three
    stub = {"name": "posted", "request": {"method": "GET", "url": "/posted"}, "response": {"body": "posted at run time"}}
    created = client.post("/__admin/mappings", json=stub)
    assert created.status_code == 201
    sid = created.json()["id"]
    assert client.get("/posted").text == "posted at run time"
    assert client.get(f"/__admin/mappings/{sid}").json()["name"] == "posted"
    client.put(f"/__admin/mappings/{sid}", json={**stub, "response": {"body": "edited"}})
    assert client.get("/posted").text == "edited"
    assert client.delete(f"/__admin/mappings/{sid}").status_code == 200
    assert client.get("/posted").status_code == 404
    assert client.get(f"/__admin/mappings/{sid}").status_code == 404
    client.post("/__admin/mappings/import", json={"mappings": [stub]})
    assert client.get("/posted").text == "posted at run time"
    client.post("/__admin/mappings/reset")  # back to the folder's stubs
    assert client.get("/posted").status_code == 404
    assert client.get("/__admin/mappings").json()["meta"]["total"] == total


def test_admin_rejects_bad_stubs_naming_the_field(client: httpx.Client) -> None:
    r = client.post("/__admin/mappings", json={"request": {"url": "/x", "bodyPatterns": [{"equalToXml": "<a/>"}]}})
    assert r.status_code == 422
    assert "request.bodyPatterns[0].equalToXml" in r.text and "unknown matcher" in r.text
    r = client.post("/__admin/mappings", json={"request": {"urlPattern": "(["}, "response": {}})
    assert r.status_code == 422 and "request.urlPattern" in r.text
    r = client.post("/__admin/mappings", content=b"{not json")
    assert r.status_code == 422 and "not valid JSON" in r.text


def test_journal_find_count_unmatched_and_near_misses(client: httpx.Client) -> None:
    from services.mock.verify import MockAdmin, VerificationError

    client.delete("/__admin/requests")
    client.get("/path/only")
    client.get("/path/only")
    client.post("/body", content="plain text")
    client.get("/path/onyl")  # a typo: no stub
    assert client.post("/__admin/requests/count", json={"method": "GET", "urlPath": "/path/only"}).json() == {"count": 2}
    found = client.post("/__admin/requests/find", json={"method": "POST", "bodyPatterns": [{"contains": "plain"}]}).json()["requests"]
    assert [r["url"] for r in found] == ["/body"]
    unmatched = client.get("/__admin/requests/unmatched").json()["requests"]
    assert [r["url"] for r in unmatched] == ["/path/onyl"]
    near = client.get("/__admin/requests/unmatched/near-misses").json()["nearMisses"]
    assert near and near[0]["stubMapping"]["request"]["urlPath"] == "/path/only"
    assert near[0]["diff"] == [{"field": "urlPath", "expected": "/path/only", "actual": "/path/onyl"}]
    journal = client.get("/__admin/requests").json()
    assert journal["meta"]["total"] == 4 and journal["requests"][0]["request"]["url"] == "/path/onyl"  # newest first
    one = journal["requests"][1]
    assert client.get(f"/__admin/requests/{one['id']}").json()["request"]["url"] == one["request"]["url"]

    admin = MockAdmin(client.base_url.__str__())
    assert admin.verify(method="GET", url_path="/path/only", count=2) == 2
    with pytest.raises(VerificationError) as e:
        admin.verify(method="GET", url_path="/path/only", count=3)
    assert "saw 2" in str(e.value)
    with pytest.raises(VerificationError) as e:
        admin.verify(method="GET", url_path="/path/onlyy")
    assert "/path/only" in str(e.value)  # the closest requests are listed


def test_journal_is_bounded(tmp_path: Path) -> None:
    mappings = write_mappings(tmp_path, {"a.json": {"request": {"url": "/a"}, "response": {"body": "a"}}})
    with InProcessHost(lambda: [mock_service(mappings=str(mappings), journal_size=5)]) as h, httpx.Client(base_url=h.url("mock")) as c:
        for i in range(12):
            c.get(f"/a?i={i}" if i % 2 else "/a")
        j = c.get("/__admin/requests").json()
        assert j["meta"]["total"] == 5 and j["dropped"] == 7
        assert [r["request"]["url"] for r in j["requests"]] == ["/a?i=11", "/a", "/a?i=9", "/a", "/a?i=7"]


def test_admin_reset_clears_journal_and_scenarios(tmp_path: Path) -> None:
    mappings = write_mappings(tmp_path, {"s.json": STUBS["other-scenario.json"]})
    with InProcessHost(lambda: [mock_service(mappings=str(mappings))]) as h, httpx.Client(base_url=h.url("mock")) as c:
        c.post("/__admin/mappings", json={"request": {"url": "/extra"}, "response": {}})
        assert c.post("/other").status_code == 204
        assert c.post("/other").status_code == 404  # the scenario moved on
        c.post("/__admin/reset")
        assert c.get("/__admin/requests").json()["meta"]["total"] == 0
        assert c.get("/__admin/mappings").json()["meta"]["total"] == 1
        assert c.post("/other").status_code == 204


def test_rest_record_then_replay(tmp_path: Path) -> None:
    """Record plain REST against the running echo service's HTTP port, stop echo, replay."""
    from services.echo import create as create_echo

    mappings = tmp_path / "mappings"
    mappings.mkdir()
    echo = InProcessHost(lambda: [create_echo()]).start()
    try:
        with InProcessHost(lambda: [mock_service(mappings=str(mappings))]) as m, httpx.Client(base_url=m.url("mock"), timeout=10) as c:
            started = c.post("/__admin/recordings/start", json={"targetBaseUrl": echo.url("echo")})
            assert started.json()["status"] == "Recording"
            payload = base64.b64encode(bytes(range(256))).decode()
            live = [
                c.post("/messages", json={"message": {"text": "kept", "payload": payload}}),
                c.get("/messages/1"),
                c.get("/messages/77"),
                c.get("/messages?tag=t&limit=2"),
            ]
            assert [r.status_code for r in live] == [200, 200, 404, 200]
            recorded = c.post("/__admin/recordings/stop").json()["mappings"]
            assert len(recorded) == 4
            assert c.get("/__admin/recordings/status").json()["status"] == "Stopped"
            echo.stop()
            echo = None  # type: ignore[assignment]
            replay = [
                c.post("/messages", json={"message": {"text": "kept", "payload": payload}}),
                c.get("/messages/1"),
                c.get("/messages/77"),
                c.get("/messages?tag=t&limit=2"),
            ]
            for a, b in zip(live, replay):
                assert (b.status_code, b.content) == (a.status_code, a.content)
                assert b.headers["content-type"] == a.headers["content-type"]
            assert base64.b64decode(replay[1].json()["message"]["payload"]) == bytes(range(256))
            # a request that was not recorded is not answered from the recording
            assert c.post("/messages", json={"message": {"text": "other"}}).status_code == 404
    finally:
        if echo is not None:
            echo.stop()


def test_aviary_run_mock(tmp_path: Path, aviary_process: Any) -> None:
    """`aviary run mock` with settings from the command line; a bad stub stops start-up, naming
    the file and the field; replace mode in production is refused by name."""
    import subprocess
    import sys

    mappings = write_mappings(tmp_path / "good", {"a.json": {"request": {"url": "/a"}, "response": {"body": "from the folder"}}})
    p = aviary_process("run", "mock", "--zk", "none", "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0",
                       "--set", "mock.idl=echo.thrift", "--set", f"mock.mappings={mappings}")  # fmt: skip
    assert httpx.get(p.url("mock", "/a")).text == "from the folder"
    assert isinstance(httpx.post(p.url("mock", "/Echo/repeat"), json={"text": "x"}).json(), str)
    assert p.stop() == 0

    bad = write_mappings(tmp_path / "bad", {"broken.json": {"request": {"url": "/a", "bodyPatterns": [{"equalToXml": "<a/>"}]}}})
    exe = str(Path(sys.executable).parent / "aviary")
    out = subprocess.run([exe, "run", "mock", "--zk", "none", "--set", f"mock.mappings={bad}"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "broken.json" in out.stderr and "request.bodyPatterns[0].equalToXml: unknown matcher" in out.stderr
    out = subprocess.run([exe, "run", "mock", "--zk", "none", "--set", "mock.mode=replace"], capture_output=True, text=True, timeout=60,
                         env={**__import__("os").environ, "AVIARY_PRODUCTION": "true"})  # fmt: skip
    assert out.returncode == 2 and "services.mock.mode" in out.stderr and "production" in out.stderr


def test_bad_callers_fail_alone(mock: InProcessHost, client: httpx.Client) -> None:
    """An oversized body gets 413; recording from an upstream that is down answers 502 naming
    it and records nothing; the mock serves the next caller."""
    from support import free_port

    big = b"x" * ((4 << 20) + 1)
    r = client.post("/body", content=big)
    assert r.status_code == 413 and r.json()["error"]["type"] == "PayloadTooLarge"
    dead = f"http://127.0.0.1:{free_port()}"
    assert client.post("/__admin/recordings/start", json={"targetBaseUrl": dead}).status_code == 200
    try:
        r = client.get("/anything")
        assert r.status_code == 502 and dead in r.json()["error"]["message"]
    finally:
        assert client.post("/__admin/recordings/stop").json() == {"mappings": []}
    assert client.post("/__admin/recordings/start", json={}).status_code == 409  # no target, no proxy setting
    assert client.get("/path/only").text == "url path"
