"""Java's own HTTP client (java.net.http) against the REST port: the fast path and the plain
Starlette path answer it alike (keep-alive, Expect: 100-continue, concurrent requests)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Iterator

import pytest
from support import InProcessHost, require_tool

SOURCE = Path(__file__).resolve().parent / "java" / "RestHttpClient.java"


@pytest.fixture(scope="module")
def java_client(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    javac = require_tool("javac", "default-jdk-headless")
    java = require_tool("java", "default-jdk-headless")
    classes = tmp_path_factory.mktemp("rest-java")
    subprocess.run([javac, "-nowarn", "-d", str(classes), str(SOURCE)], check=True, capture_output=True, timeout=120)
    return [java, "-XX:TieredStopAtLevel=1", "-cp", str(classes), "RestHttpClient"]


@pytest.fixture(scope="module", params=[True, False], ids=["fast", "starlette"])
def host(request: pytest.FixtureRequest) -> Iterator[InProcessHost]:
    from services.echo import create as create_echo

    with InProcessHost(lambda: [create_echo()], rest_fast_path=request.param) as h:
        yield h


def test_java_http_client(host: InProcessHost, java_client: list[str]) -> None:
    h, port = host.addr("echo", "http")
    proc = subprocess.run([*java_client, h, str(port)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = [line.split("\t") for line in proc.stdout.splitlines()]
    expected = [f"seq{i}" for i in range(5)] + ["continue", "openapi"] + [f"burst{i}" for i in range(8)]
    assert [what for what, _, _ in lines] == expected
    for what, status, body in lines:
        assert status == "200", (what, body)
        assert body == ("document" if what == "openapi" else f'{{"text":"{what}","volume":"NORMAL"}}')
