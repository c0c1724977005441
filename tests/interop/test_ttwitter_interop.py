"""A Java client on Apache Thrift's libthrift doing Finagle's TTwitter upgrade against Aviary:
the upgrade is accepted, the trace id it sends is the one Aviary's span carries, an expired
deadline fails the call without running it, and a plain client on the same port still works."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from support import InProcessHost


def test_java_ttwitter_client(echo_java_client: Any, zipkin_collector: Any) -> None:
    from services.echo import create

    with InProcessHost(lambda: [create()], zipkin_url=zipkin_collector.url, trace_sample_rate=0) as host:
        h, p = host.addr("echo")
        cmd = [echo_java_client.java, "-XX:TieredStopAtLevel=1", "-cp", echo_java_client.classpath, "TTwitterInterop", h, str(p), "f00dfacecafe0001", "00000000000000a1"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        steps = {d["step"]: d for d in map(json.loads, proc.stdout.splitlines())}
        assert steps["upgrade"]["type"] == 2  # REPLY: upgraded
        assert steps["echo"]["ok"] == "over ttwitter"
        assert steps["late"]["app_error"] == 6 and "deadline passed" in steps["late"]["message"]  # INTERNAL_ERROR, handler not run
        assert steps["plain"]["ok"] == "plain"
        spans = zipkin_collector.wait(2)
    by_id = {s["id"]: s for s in spans}
    ok = by_id["00000000000000a1"]
    assert (ok["traceId"], ok["name"], ok["tags"]["protocol"]) == ("f00dfacecafe0001", "echo", "framed/binary/ttwitter")
    late = by_id["00000000000000a2"]
    assert late["tags"]["error"] == "DeadlineExceeded"
