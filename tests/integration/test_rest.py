"""The REST gateway over real loopback sockets: the DESIGN's mapping, errors, limits, self-description."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from openapi_spec_validator import validate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from probe import create as create_probe  # noqa: E402

from framework.testing import Served, serve  # noqa: E402

MAX_BODY = 64 << 10


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """echo (first) and the probe service in one host, with framework.testing's clients."""
    with serve("echo", create_probe, max_body_bytes=MAX_BODY, stall_timeout_s=0.5) as s:
        yield s


@pytest.fixture(scope="module")
def host(served: Served) -> Any:
    return served.host


@pytest.fixture(scope="module")
def echo(served: Served) -> httpx.Client:
    return served.http


@pytest.fixture(scope="module")
def probe(served: Served) -> httpx.Client:
    return served.services["probe"].http


def error_of(r: httpx.Response) -> dict[str, Any]:
    assert r.headers["content-type"] == "application/json"
    return r.json()["error"]


def test_default_route_takes_named_arguments_and_maps_every_type(echo: httpx.Client) -> None:
    message = {"text": "hi", "volume": "LOUD", "tags": ["a", "b"], "lucky": [3, 1], "counters": {"x": 9007199254740993}, "payload": "AAH/", "id": -1}
    r = echo.post("/Echo/echo", json={"message": message})
    assert r.status_code == 200
    assert r.json() == {**message, "lucky": [1, 3]}  # the i64 above 2^53 comes back exact
    assert r.text.count("9007199254740993") == 1


def test_defaults_and_declared_exception_status(echo: httpx.Client) -> None:
    assert echo.post("/Echo/repeat", json={"text": "ab"}).json() == "ab ab"
    r = echo.post("/Echo/repeat", json={"text": "x", "times": -1})
    assert r.status_code == 422
    assert error_of(r) == {"type": "Rejected", "fields": {"field": "times", "reason": "must be between 0 and 1000"}}


def test_annotated_routes_bind_path_query_and_body(echo: httpx.Client) -> None:
    stored = echo.post("/messages", json={"message": {"text": "kept", "tags": ["t1"]}})
    assert stored.status_code == 200
    ident = stored.json()["id"]
    got = echo.get(f"/messages/{ident}")
    assert got.status_code == 200 and got.json()["message"] == {"text": "kept", "volume": "NORMAL", "tags": ["t1"], "id": ident}
    found = echo.get("/messages", params={"tag": "t1", "limit": "5"})
    assert [s["id"] for s in found.json()] == [ident] or ident in [s["id"] for s in found.json()]
    assert echo.delete(f"/messages/{ident}").status_code == 204
    r = echo.get(f"/messages/{ident}")
    assert r.status_code == 404 and error_of(r) == {"type": "NotFound", "fields": {"id": ident, "reason": "no message has this id"}}
    # the default route still answers for the annotated method
    assert echo.post("/Echo/get", json={"id": ident}).status_code == 404


def test_two_path_params_and_a_repeated_query_list(probe: httpx.Client) -> None:
    assert probe.get("/join/a%20b/7", params=[("rest", "1"), ("rest", "2")]).json() == "a b/7/1/2"
    assert probe.get("/join/x/1?rest=3,4").json() == "x/1/3/4"
    r = probe.get("/join/x/notanumber")
    assert r.status_code == 400 and error_of(r)["path"] == "args.b"


def test_void_is_204_and_oneway_is_202(echo: httpx.Client) -> None:
    before = echo.post("/Echo/notes").json()
    r = echo.post("/Echo/note", json={"text": "x"})
    assert r.status_code == 202 and r.content == b""
    assert echo.post("/Echo/notes").json() == before + 1


@pytest.mark.parametrize(
    "body,path,message",
    [
        ({"message": {"text": 5}}, "args.message.text", "expected string, got integer"),
        ({"message": {"text": "x", "lucky": [1, "a"]}}, "args.message.lucky[1]", "expected i32, got string"),
        ({"message": {"text": "x", "counters": {"k": 2**63}}}, "args.message.counters['k']", "out of range for i64"),
        ({"message": {}}, "args.message.text", "required"),
        ({"message": {"txt": "x"}}, "args.message.txt", "Message has no field 'txt'"),
        ({"msg": {}}, "args.msg", "echo takes no argument 'msg'"),
    ],
)
def test_type_errors_name_the_exact_path(echo: httpx.Client, body: Any, path: str, message: str) -> None:
    r = echo.post("/Echo/echo", json=body)
    assert r.status_code == 400
    e = error_of(r)
    assert e["type"] == "InvalidArgument" and e["path"] == path and message in e["message"]


@pytest.mark.parametrize(
    "content,message",
    [(b"{bad", "body is not valid JSON"), (b"[1]", "body must be a JSON object of named arguments, got array"), (b'"x"', "got string")],
)
def test_bodies_that_are_not_a_json_object(echo: httpx.Client, content: bytes, message: str) -> None:
    r = echo.post("/Echo/echo", content=content)
    assert r.status_code == 400 and message in error_of(r)["message"]


def test_unknown_paths_and_wrong_verbs(echo: httpx.Client) -> None:
    r = echo.get("/nope")
    assert r.status_code == 404 and error_of(r)["type"] == "NotFound"
    r = echo.put("/messages/1")
    assert r.status_code == 405 and set(r.headers["allow"].split(", ")) == {"GET", "DELETE"}
    assert echo.get("/Echo/echo").status_code == 405


def test_unexpected_errors_are_500_with_an_error_id_and_no_details(probe: httpx.Client) -> None:
    r = probe.post("/Probe/fail", json={"how": "value"})
    assert r.status_code == 500
    e = error_of(r)
    assert e["type"] == "InternalError" and len(e["errorId"]) == 16
    assert "secret" not in r.text and "Traceback" not in r.text
    r = probe.post("/Probe/fail", json={"how": "declared"})
    assert r.status_code == 409 and error_of(r) == {"type": "Oops", "fields": {"why": "asked to"}}
    r = probe.post("/Probe/fail", json={"how": "plain"})
    assert r.status_code == 400 and error_of(r) == {"type": "Plain", "fields": {"why": "plainly"}}


@pytest.mark.parametrize("how", ["none", "int", "bytes", "object"])
def test_results_that_do_not_fit_are_500(probe: httpx.Client, how: str) -> None:
    r = probe.post("/Probe/badResult", json={"how": how})
    assert r.status_code == 500 and error_of(r)["type"] == "InternalError"


def test_struct_keyed_maps_unions_and_includes(probe: httpx.Client) -> None:
    r = probe.post("/Probe/label", json={"points": [{"key": {"x": 1, "y": 2}, "value": "a"}]})
    assert r.json() == [{"key": {"x": 2, "y": 3}, "value": "A"}]
    assert probe.post("/Probe/shape", json={"s": {"radius": 1.5}}).json() == {"radius": 1.5}
    assert probe.post("/Probe/pair", json={"p": {"key": "k", "value": 2**62}}).json() == {"key": "k", "value": 2**62}
    nums = probe.post("/Probe/numbers", json={"b": -128, "s": 32767, "i": -(2**31), "l": 2**53, "d": "Infinity", "flag": True})
    assert nums.json() == [-128.0, 32767.0, float(-(2**31)), float(2**53), "Infinity", 1.0]


def test_the_handler_sees_an_http_context(probe: httpx.Client) -> None:
    seen = probe.post("/Probe/whoami").json()
    assert (seen["transport"], seen["method"], seen["peer"]) == ("http", "whoami", "127.0.0.1")


def test_oversized_bodies_get_413(echo: httpx.Client) -> None:
    big = {"message": {"text": "x" * (MAX_BODY + 1)}}
    r = echo.post("/Echo/echo", json=big)
    assert r.status_code == 413 and error_of(r)["type"] == "PayloadTooLarge"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
        yield b'{"message": {"text": "'
        for _ in range(MAX_BODY // 1024 + 1):
            yield b"x" * 1024
        yield b'"}}'

    r = echo.post("/Echo/echo", content=chunks())
    assert r.status_code == 413
    assert echo.post("/Echo/repeat", json={"text": "still here"}).status_code == 200


def test_a_stalled_body_gets_408_and_others_carry_on(host: Any, echo: httpx.Client) -> None:
    h, p = host.addr("echo", "http")
    with socket.create_connection((h, p), timeout=5) as s:
        s.sendall(b"POST /Echo/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"mess")
        assert echo.post("/Echo/repeat", json={"text": "meanwhile"}).status_code == 200
        data = b""
        while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        assert data.startswith(b"HTTP/1.1 408 ")
        assert b'"RequestTimeout"' in data


def test_openapi_document_is_valid_and_complete(echo: httpx.Client, probe: httpx.Client) -> None:
    for client, service, expected in ((echo, "Echo", 8), (probe, "Probe", 14)):
        doc = client.get("/openapi.json").json()
        validate(doc)  # raises on any violation of the OpenAPI 3.1 schema
        ops = [op for item in doc["paths"].values() for op in item.values()]
        assert len({op["operationId"] for op in ops}) == len(ops)
        assert sum(1 for path in doc["paths"] if path.startswith(f"/{service}/")) == expected
    doc = echo.get("/openapi.json").json()
    get = doc["paths"]["/messages/{id}"]["get"]
    i64 = {"type": "integer", "format": "int64", "minimum": -(2**63), "maximum": 2**63 - 1}
    assert get["parameters"][0] == {"name": "id", "in": "path", "required": True, "schema": i64}
    # a result field named like another route's path argument links the two (Stored.id -> get, remove)
    put_links = doc["paths"]["/messages"]["post"]["responses"]["200"]["links"]
    assert put_links["get_get_id"] == {"operationId": "get_get", "parameters": {"id": "$response.body#/id"}}
    assert put_links["remove_delete_id"]["operationId"] == "remove_delete"
    assert set(get["responses"]) == {"200", "404", "400", "500"}  # no body: no 408 or 413
    assert {"408", "413"} <= set(doc["paths"]["/messages"]["post"]["responses"])
    assert doc["components"]["schemas"]["Volume"]["enum"] == ["QUIET", "NORMAL", "LOUD", 0, 1, 2]  # by name; numbers accepted
    assert doc["components"]["schemas"]["Message"]["required"] == ["text"]
    assert doc["paths"]["/Echo/remove"]["post"]["responses"]["204"]["description"].startswith("done")


def test_docs_page_lists_every_method_with_docs_and_examples(echo: httpx.Client) -> None:
    r = echo.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    for name in ("echo", "repeat", "put", "get", "find", "remove", "note", "notes"):
        assert f'id="m-{name}"' in page
    assert "Fetches a stored message by id." in page
    assert "curl -X POST http://localhost:8888/Echo/echo" in page
    assert "GET</span> /messages/{id}" in page


def test_raw_idl_and_its_includes(echo: httpx.Client, probe: httpx.Client) -> None:
    assert echo.get("/idl").text.startswith("/**\n * The example service")
    assert "struct Pair" in probe.get("/idl", params={"file": "shared.thrift"}).text
    assert probe.get("/idl", params={"file": "../../etc/passwd"}).status_code == 404


def test_the_same_values_as_thrift(host: Any, echo: httpx.Client) -> None:
    from thriftpy2.rpc import make_client
    from thriftpy2.transport import TFramedTransportFactory

    from services.echo import IDL

    c = make_client(IDL.module.Echo, *host.addr("echo"), trans_factory=TFramedTransportFactory(), timeout=5000)
    try:
        msg = IDL.module.Message(text="same", lucky={5}, counters={"a": -(2**63)}, payload=b"\xff\x00")
        over_thrift = c.echo(msg)
    finally:
        c.close()
    over_rest = echo.post("/Echo/echo", json={"message": {"text": "same", "lucky": [5], "counters": {"a": -(2**63)}, "payload": "/wA="}}).json()
    assert over_rest == {"text": over_thrift.text, "volume": "NORMAL", "lucky": list(over_thrift.lucky), "counters": over_thrift.counters, "payload": "/wA="}
    assert over_thrift.payload == b"\xff\x00"


def test_many_concurrent_requests_on_both_transports(host: Any) -> None:
    import concurrent.futures

    def one(i: int) -> str:
        with httpx.Client(base_url=host.url("echo"), timeout=10) as c:
            return c.post("/Echo/repeat", json={"text": str(i), "times": 1}).json()

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        assert sorted(pool.map(one, range(64)), key=int) == [str(i) for i in range(64)]
    time.sleep(0)


@pytest.mark.parametrize(
    "path,body,missing",
    [
        ("/Echo/echo", {}, "args.message"),
        ("/Echo/put", {}, "args.message"),
        ("/messages", {}, "args.message"),
        ("/Echo/repeat", {"times": 3}, "args.text"),
        ("/Echo/get", {}, "args.id"),
        ("/Echo/echo", {"message": None}, "args.message"),
        ("/Echo/echo", {"message": {"text": None}}, "args.message.text"),
    ],
)
def test_a_missing_or_null_required_argument_is_400_naming_it(echo: httpx.Client, path: str, body: Any, missing: str) -> None:
    """An argument without a default is required (Thrift ignores `optional` on arguments and
    the handler takes every one); null is "not set", which only an optional field may be."""
    r = echo.post(path, json=body)
    assert r.status_code == 400, r.text
    e = error_of(r)
    assert (e["type"], e["path"]) == ("InvalidArgument", missing)
    assert e["message"] in (f"{missing}: required", f"{missing}: required, got null")


def test_null_is_not_set_where_the_openapi_document_says_nullable(echo: httpx.Client) -> None:
    r = echo.post("/Echo/repeat", json={"text": "a", "times": None})  # times = 2, the IDL's default
    assert r.status_code == 200 and r.json() == "a a"
    r = echo.post("/Echo/echo", json={"message": {"text": "t", "tags": None}})
    assert r.status_code == 200 and r.json() == {"text": "t", "volume": "NORMAL"}
    doc = echo.get("/openapi.json").json()
    body = doc["paths"]["/Echo/repeat"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["text"]
    assert {"type": "null"} in body["properties"]["times"]["anyOf"]
    assert "anyOf" not in body["properties"]["text"]
    assert {"type": "null"} in doc["components"]["schemas"]["Message"]["properties"]["tags"]["anyOf"]


def test_a_missing_argument_over_thrift_is_a_protocol_error_and_the_connection_serves_on(host: InProcessHost) -> None:
    from thriftpy2.rpc import make_client
    from thriftpy2.thrift import TApplicationException
    from thriftpy2.transport import TFramedTransportFactory

    from services.echo import IDL

    c = make_client(IDL.module.Echo, *host.addr("echo"), trans_factory=TFramedTransportFactory(), timeout=5000)
    try:
        with pytest.raises(TApplicationException) as info:
            c.echo(None)  # the argument is left out of the message
        assert info.value.type == TApplicationException.PROTOCOL_ERROR
        assert info.value.message == "echo: args.message: required"
        assert c.repeat("ok", 2) == "ok ok"
    finally:
        c.close()


def test_json_nested_past_max_json_depth_is_a_400_json_error(echo: httpx.Client) -> None:
    deep = b'{"message": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"  # once a RecursionError: plain-text 500 (under MAX_BODY)
    r = echo.post("/Echo/echo", content=deep)
    assert r.status_code == 400
    e = error_of(r)
    assert e["type"] == "InvalidArgument" and "deeper than 64 levels" in e["message"] and "max_json_depth" in e["message"]
    # 64 levels (the default limit) are read, and then checked against the IDL as usual
    at_limit = echo.post("/Echo/echo", content=b'{"message": {"text": "x", "tags": ' + b"[" * 62 + b"]" * 62 + b"}}")
    assert at_limit.status_code == 400 and error_of(at_limit)["path"] == "args.message.tags[0]"
    over = echo.post("/Echo/echo", content=b'{"message": {"text": "x", "tags": ' + b"[" * 63 + b"]" * 63 + b"}}")
    assert over.status_code == 400 and "deeper than 64" in error_of(over)["message"]
    assert echo.post("/Echo/echo", json={"message": {"text": "[[[[" * 100}}).status_code == 200  # brackets in strings do not nest


@pytest.mark.parametrize(
    "raw,path",
    [
        (rb'{"message": {"text": "\ud800"}}', "args.message.text"),
        (rb'{"message": {"text": "ok \udfff tail"}}', "args.message.text"),
        (rb'{"message": {"text": "x", "tags": ["fine", "\udc00"]}}', "args.message.tags[1]"),
        (rb'{"message": {"text": "x", "counters": {"\ud800": 1}}}', "args.message.counters<key '\\ud800'>"),
        (rb'{"text": "\ud83d", "times": 1}', "args.text"),
    ],
)
def test_text_that_is_not_valid_unicode_is_a_400_naming_the_field(echo: httpx.Client, raw: bytes, path: str) -> None:
    r = echo.post("/Echo/echo" if b"message" in raw else "/Echo/repeat", content=raw)
    assert r.status_code == 400, r.text
    e = error_of(r)
    assert e["type"] == "InvalidArgument" and e["path"] == path and "not valid Unicode" in e["message"]
    assert echo.post("/Echo/echo", json={"message": {"text": "\U0001f600 pairs are fine"}}).status_code == 200


def test_an_error_quoting_a_lone_surrogate_is_still_json(echo: httpx.Client) -> None:
    r = echo.post("/Echo/echo", content=rb'{"\ud800": 1}')
    assert r.status_code == 400
    assert error_of(r)["path"] == "args.\ud800"  # escaped in the body, so the body encodes
