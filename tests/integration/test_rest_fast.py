"""HTTP/1.1 on the REST port, byte by byte over raw sockets and with real clients (curl, httpx).

Each test runs against the fast path (the default) and the plain Starlette path
(``rest_fast_path = false``): the two must answer alike, request smuggling and limits included.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import InProcessHost, require_tool  # noqa: E402
from probe import create as create_probe  # noqa: E402

MAX_BODY = 4096
ECHO = b'{"message": {"text": "hi"}}'
ECHOED = b'{"text":"hi","volume":"NORMAL"}'


@pytest.fixture(scope="module", params=[True, False], ids=["fast", "starlette"])
def host(request: pytest.FixtureRequest) -> Iterator[InProcessHost]:
    from services.echo import create as create_echo

    settings = {"max_body_bytes": MAX_BODY, "stall_timeout_s": 0.5, "rest_fast_path": request.param}
    with InProcessHost(lambda: [create_echo(), create_probe()], **settings) as h:
        yield h


def connect(host: InProcessHost, service: str = "echo") -> socket.socket:
    return socket.create_connection(host.addr(service, "http"), timeout=5)


def post(path: bytes, body: bytes, *headers: bytes) -> bytes:
    extra = b"".join(h + b"\r\n" for h in headers)
    return b"POST %s HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s" % (path, len(body), extra, body)


class Reader:
    """Responses off one socket, parsed just enough to check them (Content-Length bodies)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buf += chunk
        return bool(chunk)

    def response(self, head_only: bool = False) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                raise EOFError(f"connection closed; got {self.buf!r}")
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        n = 0 if head_only or status in (100, 204) else int(headers.get("content-length", "0"))
        while len(self.buf) < n:
            if not self._fill():
                raise EOFError("connection closed inside a body")
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, headers, body

    def closed(self) -> bool:
        """Whether the server closes the connection with nothing more to say."""
        try:
            return not self._fill() and not self.buf
        except ConnectionResetError:
            return True


def test_keep_alive_serves_many_requests_on_one_connection(host: InProcessHost) -> None:
    with connect(host) as s:
        r = Reader(s)
        for _ in range(3):
            s.sendall(post(b"/Echo/echo", ECHO))
            status, headers, body = r.response()
            assert (status, body) == (200, ECHOED)
            assert headers["content-type"] == "application/json" and "connection" not in headers


def test_pipelined_requests_are_answered_in_order_across_both_paths(host: InProcessHost) -> None:
    # a call that waits, then a quick one, a Starlette page, a 404 and a quick one again: in order
    burst = (
        post(b"/Probe/slow", b'{"ms": 150}')
        + post(b"/Probe/join", b'{"a": "x", "b": 1, "rest": [2]}')
        + b"GET /openapi.json HTTP/1.1\r\nHost: t\r\n\r\n"
        + post(b"/Probe/nothing", b"{}")
        + post(b"/Probe/join", b'{"a": "y", "b": 2, "rest": []}')
    )
    with connect(host, "probe") as s:
        s.sendall(burst)
        r = Reader(s)
        assert r.response()[::2] == (200, b"150")
        assert r.response()[::2] == (200, b'"x/1/2"')
        status, _, body = r.response()
        assert status == 200 and json.loads(body)["openapi"].startswith("3.")
        status, _, body = r.response()
        assert status == 404 and json.loads(body)["error"]["type"] == "NotFound"
        assert r.response()[::2] == (200, b'"y/2"')


def test_chunked_request_body(host: InProcessHost) -> None:
    head = b"POST /Echo/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (ECHO[:5], ECHO[5:])) + b"0\r\n\r\n"
    with connect(host) as s:
        s.sendall(head + chunks)
        assert Reader(s).response()[::2] == (200, ECHOED)


def test_expect_100_continue_is_answered_before_the_body_is_sent(host: InProcessHost) -> None:
    with connect(host) as s:
        request = post(b"/Echo/echo", ECHO, b"Expect: 100-continue")
        head, body = request.split(b"\r\n\r\n", 1)
        s.sendall(head + b"\r\n\r\n")
        r = Reader(s)
        assert r.response()[0] == 100
        s.sendall(body)
        assert r.response()[::2] == (200, ECHOED)


def test_connection_close_and_http_1_0_end_the_connection_after_the_reply(host: InProcessHost) -> None:
    with connect(host) as s:
        s.sendall(post(b"/Echo/echo", ECHO, b"Connection: close"))
        r = Reader(s)
        status, headers, body = r.response()
        assert (status, body, headers["connection"]) == (200, ECHOED, "close")
        assert r.closed()
    with connect(host) as s:
        s.sendall(post(b"/Echo/echo", ECHO).replace(b"HTTP/1.1", b"HTTP/1.0", 1))
        r = Reader(s)
        assert r.response()[::2] == (200, ECHOED)
        assert r.closed()


def test_head_of_a_generated_route_is_405_without_a_body(host: InProcessHost) -> None:
    with connect(host) as s:
        s.sendall(b"HEAD /Echo/echo HTTP/1.1\r\nHost: t\r\n\r\n")
        r = Reader(s)
        status, headers, _ = r.response(head_only=True)
        assert status == 405 and headers["allow"] == "POST"
        s.sendall(post(b"/Echo/echo", ECHO))  # nothing of a body came before: the connection is still good
        assert r.response()[::2] == (200, ECHOED)


def test_a_declared_length_over_the_limit_is_413_before_the_body_is_sent(host: InProcessHost) -> None:
    with connect(host) as s:
        s.sendall(b"POST /Echo/echo HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY + 1))
        r = Reader(s)
        status, headers, body = r.response()  # answered with none of the body sent
        assert status == 413 and json.loads(body)["error"]["type"] == "PayloadTooLarge"
        assert headers["connection"] == "close"
        assert r.closed()


def test_a_chunked_body_growing_over_the_limit_is_413(host: InProcessHost) -> None:
    with connect(host) as s:
        s.sendall(b"POST /Echo/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        piece = b"x" * 1024
        for _ in range(5):
            s.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        r = Reader(s)
        status, headers, body = r.response()
        assert status == 413 and headers["connection"] == "close"


@pytest.mark.parametrize(
    "head",
    [
        b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
        b"Content-Length: 4\r\nContent-Length: 5\r\n",
        b"Content-Length: 4\r\nX-Folded: a\r\n b\r\n",
        b"Content-Length: -4\r\n",
    ],
    ids=["length-and-chunked", "two-lengths", "obsolete-folding", "negative-length"],
)
def test_request_smuggling_attempts_get_400_and_the_connection_closes(host: InProcessHost, head: bytes) -> None:
    with connect(host) as s:
        s.sendall(b"POST /Echo/echo HTTP/1.1\r\nHost: t\r\n" + head + b"\r\n{}\r\n" + post(b"/Echo/echo", ECHO))
        r = Reader(s)
        status, headers, _ = r.response()
        assert status == 400 and headers["connection"] == "close"
        assert r.closed()  # the request behind it is not served


def test_a_stalled_body_is_408_and_closes(host: InProcessHost) -> None:
    with connect(host) as s:
        s.sendall(b"POST /Echo/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 50\r\n\r\n{\"mess")
        r = Reader(s)
        status, headers, body = r.response()
        assert status == 408 and json.loads(body)["error"]["type"] == "RequestTimeout"
        assert r.closed()


def test_a_body_arriving_in_pieces_is_served(host: InProcessHost) -> None:
    with connect(host) as s:
        request = post(b"/Echo/echo", ECHO)
        for i in range(0, len(request), 7):
            s.sendall(request[i : i + 7])
        assert Reader(s).response()[::2] == (200, ECHOED)


def test_bad_arguments_and_declared_exceptions_keep_the_connection(host: InProcessHost) -> None:
    with connect(host) as s:
        r = Reader(s)
        s.sendall(post(b"/Echo/echo", b"{not json") + post(b"/Echo/repeat", b'{"text": "x", "times": -1}') + post(b"/Echo/echo", ECHO))
        status, _, body = r.response()
        assert status == 400 and json.loads(body)["error"]["type"] == "InvalidArgument"
        status, _, body = r.response()
        assert status == 422 and json.loads(body)["error"]["type"] == "Rejected"
        assert r.response()[::2] == (200, ECHOED)


def test_curl_keep_alive_chunked_and_expect(host: InProcessHost) -> None:
    curl = require_tool("curl", "curl")
    url = host.url("echo", "/Echo/echo")
    big = json.dumps({"message": {"text": "y" * 2000}})  # over 1 KiB: curl sends Expect: 100-continue
    out = subprocess.run(
        [curl, "-sS", "--fail-with-body", "-H", "content-type: application/json", "-d", ECHO.decode(), url,
         "--next", "-sS", "-H", "Transfer-Encoding: chunked", "-d", ECHO.decode(), url,
         "--next", "-sS", "-d", big, url, "-w", " %{num_connects}"],
        capture_output=True, timeout=30, check=True,
    ).stdout.decode()
    first, second, rest = out[: len(ECHOED)], out[len(ECHOED) : 2 * len(ECHOED)], out[2 * len(ECHOED) :]
    assert first.encode() == ECHOED and second.encode() == ECHOED
    reply, connects = rest.rsplit(" ", 1)
    assert json.loads(reply)["text"] == "y" * 2000
    assert connects == "0"  # the third transfer reused the connection


def test_httpx_many_requests_over_a_pool(host: InProcessHost) -> None:
    with httpx.Client(base_url=host.url("echo"), timeout=10) as c:
        for i in range(20):
            r = c.post("/Echo/echo", json={"message": {"text": f"m{i}", "tags": ["t"]}})
            assert r.status_code == 200 and r.json()["text"] == f"m{i}"
        assert c.get("/docs").status_code == 200


def test_wrk_gets_only_correct_replies(host: InProcessHost, tmp_path: Path) -> None:
    wrk = require_tool("wrk", "wrk")
    script = Path(__file__).resolve().parents[2] / "bench" / "echo.lua"  # checks every reply's status and body
    (tmp_path / "body").write_bytes(ECHO)
    (tmp_path / "expect").write_bytes(ECHOED)
    env = {"BENCH_BODY": str(tmp_path / "body"), "BENCH_EXPECT": str(tmp_path / "expect"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [wrk, "-t1", "-c8", "-d1s", "-s", str(script), host.url("echo", "/Echo/echo")],
        capture_output=True, text=True, timeout=60, env=env, check=True,
    ).stdout
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["requests"] > 0
    assert summary["bad"] == 0 and summary["socket_errors"] == 0


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "starlette"])
def test_a_slow_head_after_a_served_request_is_cut_off_with_408(fast: bool) -> None:
    from services.echo import create as create_echo

    with InProcessHost(lambda: [create_echo()], http_header_timeout_s=0.3, rest_fast_path=fast) as h:
        with connect(h) as s:
            r = Reader(s)
            s.sendall(post(b"/Echo/echo", ECHO))
            assert r.response()[::2] == (200, ECHOED)
            s.sendall(b"POST /Echo/echo HTTP/1.1\r\nHost: t\r\n")  # and the rest never comes
            status, headers, body = r.response()
            assert status == 408 and json.loads(body)["error"]["type"] == "RequestTimeout"
            assert r.closed()


def test_the_switch_picks_the_protocol_of_the_rest_port(host: InProcessHost) -> None:
    from framework.rest.fast import FastCycle

    fast = host.settings.rest_fast_path
    with connect(host) as s:
        s.sendall(post(b"/Echo/echo", ECHO))
        assert Reader(s).response()[::2] == (200, ECHOED)
        port = next(r.http for r in host.host.running if r.service.name == "echo")
        (conn,) = list(port.connections)
        assert hasattr(conn, "rest") is fast  # the fast path's protocol knows the RestApp
        assert isinstance(conn.cycle, FastCycle) is fast  # and served the request itself
