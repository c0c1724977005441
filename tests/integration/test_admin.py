"""The admin port over real sockets: TwitterServer's routes, metrics in Finagle's and
Prometheus' forms, per-method metrics for both transports, and the lifecycle routes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from thriftpy2.protocol import TBinaryProtocolFactory
from thriftpy2.rpc import make_client
from thriftpy2.transport import TFramedTransportFactory

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import InProcessHost  # noqa: E402
from probe import create as create_probe  # noqa: E402

HISTOGRAM_SUFFIXES = ("count", "sum", "min", "max", "avg", "p50", "p90", "p95", "p99", "p9990", "p9999")


@pytest.fixture(scope="module")
def host() -> Iterator[InProcessHost]:
    from services.echo import create as create_echo

    with InProcessHost(lambda: [create_echo(), create_probe()], zk_digest="user:secret") as h:
        yield h


def admin(host: InProcessHost, path: str) -> str:
    h, p = host.addr("admin", "http")
    return f"http://{h}:{p}{path}"


def probe_client(host: InProcessHost):  # type: ignore[no-untyped-def]
    from test_thrift_server import probe_thrift

    h, p = host.addr("probe")
    return make_client(probe_thrift.Probe, h, p, trans_factory=TFramedTransportFactory(), proto_factory=TBinaryProtocolFactory(), timeout=5000)


def test_ready_line_names_the_admin_port(host: InProcessHost) -> None:
    h, p = host.addr("admin", "http")
    assert f"ready admin http={h}:{p}" in host.out.getvalue()


def test_ping_and_health(host: InProcessHost) -> None:
    r = httpx.get(admin(host, "/admin/ping"))
    assert (r.status_code, r.text, r.headers["content-type"].split(";")[0]) == (200, "pong", "text/plain")
    assert httpx.get(admin(host, "/health")).text == "OK\n"


def test_server_info_and_registry(host: InProcessHost) -> None:
    info = httpx.get(admin(host, "/admin/server_info")).json()
    assert info["services"] == ["echo", "probe"] and info["uptime"] >= 0 and info["start_time"].endswith("Z")
    reg = httpx.get(admin(host, "/admin/registry.json")).json()["registry"]
    assert reg["config"]["admin_port"] == 0 and reg["config"]["zk_digest"] == "<redacted>"
    assert "service Echo" in reg["idls"]["echo"]["sources"]["echo.thrift"]
    assert reg["endpoints"]["probe"]["thrift"] == "%s:%d" % host.addr("probe")
    assert reg["endpoints"]["admin"]["http"] == "%s:%d" % host.addr("admin", "http")


def test_announcer_says_clearly_when_nothing_is_announced(host: InProcessHost) -> None:
    body = httpx.get(admin(host, "/admin/announcer")).json()
    assert body["announced"] is False and "not announced" in body["message"]


def test_per_method_metrics_look_the_same_for_both_transports(host: InProcessHost) -> None:
    # The registry is the process's: other test modules' probes may have counted already.
    before = httpx.get(admin(host, "/admin/metrics.json")).json()
    c = probe_client(host)
    try:
        for ms in (0, 1, 2):
            c.slow(ms)
        with pytest.raises(Exception, match="Oops"):
            c.fail("declared")
    finally:
        c.close()
    for ms in (0, 1):
        assert httpx.post(host.url("probe", "/Probe/slow"), json={"ms": ms}).status_code == 200
    assert httpx.post(host.url("probe", "/Probe/fail"), json={"how": "value"}).status_code == 500
    m = httpx.get(admin(host, "/admin/metrics.json")).json()
    assert list(m) == sorted(m)

    def delta(name: str) -> float:
        return m[name] - before.get(name, 0)

    assert (delta("srv/probe/thrift/slow/requests"), delta("srv/probe/thrift/slow/success")) == (3, 3)
    assert (delta("srv/probe/http/slow/requests"), delta("srv/probe/http/slow/success")) == (2, 2)
    assert delta("srv/probe/thrift/fail/failures/Oops") == 1 and delta("srv/probe/thrift/fail/failures") == 1
    assert delta("srv/probe/http/fail/failures/InternalError") == 1
    assert m["srv/probe/thrift/requests"] >= 4
    for suffix in HISTOGRAM_SUFFIXES:
        assert f"srv/probe/thrift/slow/request_latency_ms.{suffix}" in m
    lat = {s: m[f"srv/probe/thrift/slow/request_latency_ms.{s}"] for s in HISTOGRAM_SUFFIXES}
    assert lat["count"] == 3 + before.get("srv/probe/thrift/slow/request_latency_ms.count", 0) and lat["min"] <= lat["p50"] <= lat["p99"] <= lat["max"] and lat["sum"] > 0
    assert m["srv/probe/thrift/connects"] >= 1  # the names that existed before stay


def test_prometheus_text_parses_with_the_reference_parser(host: InProcessHost) -> None:
    assert httpx.post(host.url("probe", "/Probe/slow"), json={"ms": 0}).status_code == 200
    r = httpx.get(admin(host, "/metrics"))
    assert r.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    summary = families["srv_probe_http_slow_request_latency_ms"]
    assert summary.type == "summary"
    quantiles = {s.labels.get("quantile") for s in summary.samples if s.labels}
    assert {"0.5", "0.99", "0.999"} <= quantiles
    count = next(s.value for s in summary.samples if s.name.endswith("_count"))
    assert count >= 1
    assert families["srv_probe_http_slow_requests"].type == "counter"


def test_lifecycle_routes_take_only_post(host: InProcessHost) -> None:
    assert httpx.get(admin(host, "/quitquitquit")).status_code == 405
    assert httpx.get(admin(host, "/abortabortabort")).status_code == 405


def test_quitquitquit_drains_like_sigterm(aviary_process) -> None:  # type: ignore[no-untyped-def]
    p = aviary_process("run", "echo", "--zk", "none", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0", "--bind", "127.0.0.1")
    p.wait_line(r"^ready admin ")
    h, port = p.addr("admin", "http")
    r = httpx.post(f"http://{h}:{port}/quitquitquit")
    assert (r.status_code, r.text) == (200, "quitting\n")
    assert p.wait(30) == 0
    out = p.output
    assert "/quitquitquit: shutting down" in out and "stopped" in out


def test_abortabortabort_exits_at_once(aviary_process) -> None:  # type: ignore[no-untyped-def]
    p = aviary_process("run", "echo", "--zk", "none", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0", "--bind", "127.0.0.1")
    p.wait_line(r"^ready admin ")
    h, port = p.addr("admin", "http")
    assert httpx.post(f"http://{h}:{port}/abortabortabort").text == "aborting\n"
    assert p.wait(30) == 1
    assert "stopped" not in p.output


def test_admin_port_in_use_is_a_clear_error(host: InProcessHost) -> None:
    from framework import config
    from framework.errors import ConfigError
    from framework.assembly import assemble
    from services.echo import create as create_echo

    _, busy = host.addr("admin", "http")
    settings = config.load(env={}, flags={"thrift_port": 0, "http_port": 0, "admin_port": busy, "bind": "127.0.0.1", "zk": "none", "workers": 1})
    import asyncio

    async def start() -> None:
        h = assemble(settings, [create_echo()])
        try:
            await h.start()
        finally:
            await h.stop()

    with pytest.raises(ConfigError, match="admin_port: port .* already in use"):
        asyncio.run(start())



class _DescribedExtension:
    """An extension with `describe()`, as the ZooKeeper announcer has: what /admin/announcer lists."""

    name = "announcer"

    def __init__(self, announced: bool = True) -> None:
        self.announced = announced

    async def start(self, host) -> None:  # type: ignore[no-untyped-def]
        pass

    async def drain(self, host) -> bool:  # type: ignore[no-untyped-def]
        return False

    async def stop(self, host) -> None:  # type: ignore[no-untyped-def]
        pass

    def describe(self) -> dict[str, object]:
        return {"announced": self.announced, "zk": "127.0.0.1:2181", "session": "CONNECTED", "members": ["/aviary/dev/echo/member_0000000001"]}

    def health(self) -> str:
        return "" if self.announced else "no ZooKeeper session; not announced, serving anyway"


def test_announcer_lists_what_each_announcer_describes() -> None:
    import asyncio

    from framework import config
    from framework.admin import AdminServer
    from framework.host import Host
    from services.echo import create as create_echo

    settings = config.load(env={}, flags={"thrift_port": 0, "http_port": 0, "admin_port": 0, "bind": "127.0.0.1", "zk": "none"})

    async def run(announced: bool) -> tuple[dict, dict, httpx.Response]:  # type: ignore[type-arg]
        import io

        host = Host(settings, [create_echo()], extensions=[_DescribedExtension(announced), AdminServer()], out=io.StringIO())
        await host.start()
        try:
            h, p = host.endpoints["admin"].ports["http"]
            async with httpx.AsyncClient(base_url=f"http://{h}:{p}") as client:
                return (await client.get("/admin/announcer")).json(), (await client.get("/admin/dashboard.json")).json(), await client.get("/health")
        finally:
            await host.stop()

    announcer, dashboard, health = asyncio.run(run(True))
    assert announcer["announced"] is True
    assert announcer["announcers"] == [
        {"extension": "announcer", "announced": True, "zk": "127.0.0.1:2181", "session": "CONNECTED", "members": ["/aviary/dev/echo/member_0000000001"]}
    ]
    assert health.status_code == 200 and health.text == "OK\n"
    assert dashboard["announcers"] == announcer["announcers"]
    assert dashboard["telemetry"] is False  # a Host built without assemble() has no TelemetryFilter
    # An announcer that says it is not announced: the answer says so and why; /health still 200.
    announcer, _, health = asyncio.run(run(False))
    assert announcer["announced"] is False
    assert announcer["message"] == "announcer: no ZooKeeper session; not announced, serving anyway"
    assert health.status_code == 200 and health.text == "OK\nannouncer: no ZooKeeper session; not announced, serving anyway\n"


def test_dashboard_json_leads_with_rates_errors_and_links(host: InProcessHost) -> None:
    import time

    failed = httpx.post(host.url("probe", "/Probe/fail"), json={"how": "value"})
    assert failed.status_code == 500
    error_id = failed.json()["error"]["errorId"]
    for ms in (1, 2, 3):
        assert httpx.post(host.url("probe", "/Probe/slow"), json={"ms": ms}).status_code == 200
    # The sampler takes a point a second; the headline covers the last ten.
    deadline = time.monotonic() + 10
    while True:
        d = httpx.get(admin(host, "/admin/dashboard.json")).json()
        probe = d["summary"]["services"]["probe"]
        if probe["requests_per_s"] > 0 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert probe["requests_per_s"] > 0 and probe["errors_per_s"] > 0 and 0 < probe["error_rate_pct"] < 100
    assert 0 < probe["p50_ms"] <= probe["p99_ms"] and probe["requests"] >= 4 and probe["failures"] >= 1
    overall = d["summary"]["overall"]
    assert overall["requests"] >= probe["requests"] and overall["p99_ms"] >= probe["p50_ms"] and 0 < d["summary"]["window_s"] <= 10
    assert "requests_per_s" in d["summary"]["services"]["echo"]  # every service has a row, busy or not
    # The internal error, by the id its caller was told; its message stays in the log only.
    (err,) = [e for e in d["recent_errors"]["errors"] if e["error_id"] == error_id]
    assert (err["service"], err["method"], err["type"]) == ("probe", "fail", "ValueError") and err["time"].endswith("Z") and len(err["trace"]) == 16
    assert "secret" not in str(d["recent_errors"])
    assert d["serversets"] == []  # zk = none: nothing to list
    links = {link["label"]: link["href"] for link in d["links"]}
    assert links["docs"] == "#admin-routes" and httpx.get(admin(host, links["metrics.json"])).status_code == 200
    assert "event log" not in links  # no event log in this process



def test_the_supervisors_dashboard_lists_every_workers_errors(aviary_process) -> None:  # type: ignore[no-untyped-def]
    import time

    from support import ROOT

    p = aviary_process(
        "run", "probe:create", "--zk", "none", "--bind", "127.0.0.1", "--admin-port", "0", "--thrift-port", "0", "--http-port", "0", "--workers", "2",
        env={"PYTHONPATH": str(ROOT / "tests")},
    )
    p.wait_line(r"^workers: 2 serving")
    ids = set()
    for _ in range(12):  # a fresh connection each: the kernel spreads them over both workers
        r = httpx.post(p.url("probe", "/Probe/fail"), json={"how": "value"}, timeout=10)
        assert r.status_code == 500
        ids.add(r.json()["error"]["errorId"])
    h, port = p.addr("admin", "http")
    deadline = time.monotonic() + 15  # workers send their errors with their metrics, once a second
    while True:
        listed = httpx.get(f"http://{h}:{port}/admin/dashboard.json", timeout=10).json()["recent_errors"]
        if ids <= {e["error_id"] for e in listed["errors"]} or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert ids <= {e["error_id"] for e in listed["errors"]} and listed["total"] == 12
    assert p.stop() == 0
