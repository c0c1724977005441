"""The mock answers as WireMock does: WireMock's own sample mappings (tests/wiremock, see its
PROVENANCE.md) give the answers WireMock's acceptance test documents for them, body files get
the Content-Type WireMock infers from their extension, and an admin change is seen by every
next request at once, whatever --workers says."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import ROOT, AviaryProcess  # noqa: E402

SAMPLES = ROOT / "tests" / "wiremock" / "remoteloader"
PORTS = ["--zk", "none", "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0"]


def test_wiremocks_sample_mappings_answer_as_wiremock_documents(aviary_process) -> None:
    p = aviary_process("run", "mock", *PORTS, "--set", f"mock.mappings={SAMPLES / 'mappings'}")
    with httpx.Client(base_url=p.url("mock"), timeout=10) as c:
        # RemoteMappingsLoaderAcceptanceTest.loadsTheMappingsFromTheDirectorySpecifiedIntoTheRemoteWireMockServer
        assert c.get("/remote-load/1").text == "Remote load 1"
        two = c.get("/remote-load/2", headers={"Accept": "text/plain"})
        assert (two.text, two.headers["content-type"]) == ("Remote load 2", "text/plain")
        assert c.get("/remote-load/2", headers={"Accept": "application/json"}).status_code == 404  # its header matcher
        # ...BodyFile...FromFileExtension / ...FromContentTypeHeader: the file's bytes, typed
        text = c.get("/text-file")
        assert (text.text, text.headers["content-type"]) == ("Some text", "text/plain")
        image = c.get("/image-file")
        assert image.content == (SAMPLES / "__files" / "favicon3.png").read_bytes()
        assert image.headers["content-type"] == "image/png"  # inferred from favicon3.png
        jpg = c.get("/binary-file-from-header")
        assert (jpg.content, jpg.headers["content-type"]) == (b"{}", "image/jpg")  # the stub's own header wins
        json_file = c.get("/text-file-from-header")
        assert (json_file.json(), json_file.headers["content-type"]) == ({}, "application/json")
        # loadMultipleMappingsFromOneFile: the to-do scenario
        assert c.get("/todo/items").text == "<items><item>Buy milk</item></items>"
        added = c.post("/todo/items", content=b'{"subscription": "Cancel newspaper subscription"}', headers={"Content-Type": "application/json"})
        assert added.status_code == 201
        after = c.get("/todo/items")
        assert after.text == "<items><item>Buy milk</item><item>Cancel newspaper subscription</item></items>"
        assert after.headers["content-type"] == "application/xml"  # body.xml
        # the ids the files give are the stubs' ids
        assert c.get("/__admin/mappings/f7550b27-b544-4967-b7e8-f777eca68235").json()["response"]["bodyFileName"] == "favicon3.png"


def test_admin_changes_are_seen_at_once_under_two_workers() -> None:
    """The mock's stubs live in one process (Service.one_process) even with --workers 2, so a
    stub deleted through __admin answers no further request, on any connection."""
    p = AviaryProcess(["run", "mock", *PORTS, "--workers", "2"]).start()
    try:
        url = p.url("mock")
        stub = httpx.post(f"{url}/__admin/mappings", json={"request": {"url": "/here"}, "response": {"body": "stubbed"}}, timeout=10).json()
        for _ in range(20):  # fresh connections: the kernel would spread them over workers
            assert httpx.get(f"{url}/here", timeout=10).text == "stubbed"
        assert httpx.delete(f"{url}/__admin/mappings/{stub['id']}", timeout=10).status_code == 200
        for _ in range(20):
            assert httpx.get(f"{url}/here", timeout=10).status_code == 404
        assert "mock in worker 1 only" in p.output
    finally:
        assert p.stop() == 0


def test_a_generated_delete_makes_the_resource_gone(aviary_process) -> None:
    """With no stub, echo's `remove` (DELETE /messages/{id}) answered with generated success
    makes `get` of that id the declared NotFound (404) until it is written again or the mock
    is reset: a client deleting then reading sees what a real service would."""
    p = aviary_process("run", "mock", *PORTS, "--set", "mock.idl=echo.thrift")
    with httpx.Client(base_url=p.url("mock"), timeout=10) as c:
        assert c.get("/messages/7").status_code == 200  # generated
        assert c.delete("/messages/7").status_code == 204
        gone = c.get("/messages/7")
        assert gone.status_code == 404 and gone.json()["error"]["type"] == "NotFound" and gone.json()["error"]["fields"]["id"] == 7
        assert c.post("/Echo/get", json={"id": 7}).status_code == 404  # the same method by its default route
        assert c.delete("/messages/7").status_code == 404
        assert c.get("/messages/8").status_code == 200  # another id is there
        assert c.post("/__admin/reset").status_code == 200
        assert c.get("/messages/7").status_code == 200


def test_bad_admin_requests_are_json_errors_never_500(aviary_process) -> None:
    p = aviary_process("run", "mock", *PORTS, "--set", "mock.idl=echo.thrift", "--set", "max_body_bytes=65536")
    bodies = [b"[1]", b'"x"', b"{bad", b"[" * 10_000 + b"]" * 10_000, b'{"request": {"url": "\\ud800"}}', b'{"request": []}',
              b'{"mappings": [1]}', b'{"state": 5}', b" " * 70_000 + b"{}"]  # fmt: skip
    writes = [("POST", "/__admin/mappings"), ("POST", "/__admin/mappings/import"), ("PUT", "/__admin/mappings/none"),
              ("POST", "/__admin/requests/find"), ("POST", "/__admin/requests/count"), ("POST", "/__admin/requests/remove"),
              ("POST", "/__admin/near-misses/request"), ("POST", "/__admin/near-misses/request-pattern"),
              ("POST", "/__admin/recordings/start"), ("POST", "/__admin/recordings/snapshot")]  # fmt: skip
    with httpx.Client(base_url=p.url("mock"), timeout=10) as c:
        for verb, path in writes:
            for body in bodies:
                r = c.request(verb, path, content=body)
                assert r.status_code < 500, (verb, path, body[:40], r.status_code, r.text[:300])
                if r.status_code >= 400:
                    assert r.headers["content-type"] == "application/json" and r.json(), (verb, path, body[:40])
        assert c.post("/__admin/mappings", content=b" " * 70_000 + b"{}").status_code == 413
        assert c.get("/__admin/mappings").status_code == 200  # and it serves on


def test_a_generated_write_naming_a_deleted_resource_brings_it_back(aviary_process) -> None:
    """Found by schemathesis (created resource not found): echo's put answers a Stored whose id
    had been deleted before; reading that id must then find it."""
    p = aviary_process("run", "mock", *PORTS, "--set", "mock.idl=echo.thrift")
    with httpx.Client(base_url=p.url("mock"), timeout=10) as c:
        created = c.post("/messages", json={"message": {"text": "raven grove ember"}}).json()
        assert c.delete(f"/messages/{created['id']}").status_code == 204
        assert c.get(f"/messages/{created['id']}").status_code == 404
        again = c.post("/messages", json={"message": {"text": "raven grove ember"}}).json()  # the same request: the same generated id
        assert again["id"] == created["id"]
        assert c.get(f"/messages/{created['id']}").status_code == 200
