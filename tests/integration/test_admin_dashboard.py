"""The /admin dashboard in a real headless Chromium (Debian's chromium + chromium-driver, driven
by selenium), announced in a real ZooKeeper, at a desktop and a phone window size: what an
operator sees first (rates, error rate, p50/p99 with units), the members ZooKeeper holds, the
session's health, recent errors by id, working links, and the raw JSON behind one click."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import InProcessHost  # noqa: E402
from probe import create as create_probe  # noqa: E402

SIZES = [(1280, 800, "desktop"), (390, 844, "phone")]


def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception as e:  # noqa: BLE001 - an element re-rendered under us: look again
            value, last = None, e
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"no {what} within {timeout}s" + (f" (last: {last!r})" if last else ""))


def cells(browser: Any, selector: str) -> list[list[str]]:
    """The text of every cell of the rows `selector` matches, read in one go (the page
    re-renders rows whose figures change every second)."""
    return browser.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(r => [...r.querySelectorAll('td')].map(c => c.innerText.trim()))", selector
    )


def number(browser: Any, element_id: str) -> float:
    from selenium.webdriver.common.by import By

    return float(browser.find_element(By.ID, element_id).text)


def test_dashboard_leads_with_what_an_operator_asks(artifacts: Path, browser: Any, zookeeper: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    from framework.discovery import serverset
    from services.echo import create as create_echo
    from services.eventlog import create as create_eventlog

    # A peer instance of echo, announced as another process would (its own session), set aside.
    peer = zookeeper.client
    path = zookeeper.path("echo")
    peer.create(f"{path}/member_", serverset.encode(("10.1.2.3", 9999), {"http": ("10.1.2.3", 8888)}, 0, {"instance": "peer"}).replace(b'"ALIVE"', b'"STOPPED"'), ephemeral=True, sequence=True, makepath=True)
    peer_session = f"0x{peer.client_id[0]:x}"

    services = lambda: [create_echo(), create_probe(), create_eventlog({"data_dir": str(tmp_path / "events")})]  # noqa: E731
    with InProcessHost(services, zk=zookeeper.hosts, zk_root=zookeeper.root, env=zookeeper.env) as host:
        h, p = host.addr("admin", "http")
        base = f"http://{h}:{p}"
        announcer = next(e for e in host.host.extensions if e.name == "announcer")
        wait_until(lambda: announcer.announced, 10, "announcement")
        own_session = announcer.describe()["session_id"]
        echo_thrift = "%s:%d" % host.addr("echo")

        # One internal error whose id the caller is told: the page must list it by that id.
        failed = httpx.post(host.url("probe", "/Probe/fail"), json={"how": "value"})
        assert failed.status_code == 500
        error_id = failed.json()["error"]["errorId"]

        stop = threading.Event()

        def load() -> None:
            with httpx.Client() as client:
                while not stop.is_set():
                    try:
                        client.post(host.url("probe", "/Probe/slow"), json={"ms": 2})
                        client.post(host.url("probe", "/Probe/fail"), json={"how": "declared"})
                    except httpx.TransportError:
                        return  # the host stopped under the load: the test is over

        threading.Thread(target=load, daemon=True).start()
        try:
            for width, height, name in SIZES:
                browser.set_window_size(width, height)
                browser.get(f"{base}/admin")
                assert browser.title == "Aviary admin"

                # First screen: the process's figures, with units, non-zero under load.
                wait_until(lambda: number(browser, "overall-rps") > 0 and number(browser, "overall-p99") > 0, 15, "a request rate and p99")
                wait_until(lambda: number(browser, "window") >= 5, 15, "five seconds of samples")  # figures over a real window
                overview = browser.find_element(By.ID, "overview")
                assert overview.location["y"] + overview.size["height"] <= browser.execute_script("return innerHeight"), f"{name}: the figures are not on the first screen"
                tiles = overview.text
                for label, unit in (("Requests", "req/s"), ("Errors", "err/s"), ("Error rate", "%"), ("Latency p50", "ms"), ("Latency p99", "ms")):
                    assert label in tiles and unit in tiles, (label, tiles)
                assert number(browser, "overall-eps") > 0 and 0 < number(browser, "overall-error-rate") < 100
                assert 0 < number(browser, "overall-p50") <= number(browser, "overall-p99")

                # Per service: a row each, probe busy, echo idle; units in the headers.
                headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#services thead th")]
                assert "requests/s" in headers and "error rate (%)" in headers and "p50 (ms)" in headers and "p99 (ms)" in headers
                (probe,) = wait_until(lambda: cells(browser, "#services tr[data-service='probe']"), 5, "the probe row")
                assert float(probe[0]) > 0 and float(probe[2]) > 0 and int(probe[5]) > 0  # req/s, error rate, total requests
                (echo,) = cells(browser, "#services tr[data-service='echo']")
                assert echo_thrift in echo[7]  # a row for the idle service too (its rate may count other tests' calls: the registry is the process's)

                # ZooKeeper: the session's health, and echo's members as ZooKeeper has them.
                assert browser.find_element(By.ID, "zk-state").text.startswith("connected") and own_session in browser.find_element(By.ID, "zk-state").text
                assert browser.find_element(By.ID, "zk-pill").text == "ZooKeeper: announced"
                rows = cells(browser, "table.members[data-service='echo'] tbody tr.member")
                assert len(rows) == 2, rows
                mine = next(r for r in rows if r[6] == "this process")
                other = next(r for r in rows if r[6] == "")
                assert (mine[0], mine[1], mine[2]) == (echo_thrift, "ALIVE", own_session)
                assert (other[0], other[1], other[2]) == ("10.1.2.3:9999", "STOPPED", peer_session)
                assert "2 members" in browser.find_element(By.CSS_SELECTOR, "table.members[data-service='echo'] caption").text

                # Recent errors: the one provoked, by its id, with the call and the type.
                err = browser.find_element(By.CSS_SELECTOR, f"#errors tr[data-error-id='{error_id}']")
                assert err.is_displayed()
                assert "probe.fail" in err.text and "ValueError" in err.text
                assert "secret" not in browser.find_element(By.ID, "errors").text  # the message stays in the log

                browser.save_screenshot(str(artifacts / f"admin-dashboard-{name}.png"))

            # The whole page at desktop width, for the docs.
            browser.set_window_size(1280, 800)
            browser.set_window_size(1280, browser.execute_script("return document.documentElement.scrollHeight") + 140)
            time.sleep(1.2)  # a tick at the new size
            browser.save_screenshot(str(artifacts / "admin-dashboard-full.png"))
            browser.set_window_size(1280, 800)

            # Links (checked once): docs, metrics.json and the event log answer.
            links = {a.get_attribute("data-link"): a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#links a")}
            assert set(links) >= {"docs", "metrics.json", "event log"}
            assert links["docs"].endswith("#admin-routes") and browser.find_element(By.ID, "admin-routes").is_displayed()
            metrics = httpx.get(links["metrics.json"])
            assert metrics.status_code == 200 and metrics.json()["srv/probe/http/slow/requests"] > 0
            for label, href in links.items():
                if label != "docs":
                    assert httpx.get(href, timeout=10).status_code == 200, (label, href)
            browser.find_element(By.CSS_SELECTOR, "a[data-link='event log']").click()
            wait_until(lambda: "/eventlog/" in browser.current_url, 10, "the event log page")
            assert httpx.get(browser.current_url).status_code == 200
            browser.back()

            # The raw JSON is one click away, and is what the page drew.
            raw = wait_until(lambda: browser.find_element(By.CSS_SELECTOR, "#raw summary"), 10, "the raw JSON toggle")
            assert not browser.find_element(By.ID, "raw-json").is_displayed()
            raw.click()
            shown = wait_until(lambda: browser.find_element(By.ID, "raw-json").text, 10, "the raw JSON")
            assert '"serversets"' in shown and error_id in shown and '"summary"' in shown
        finally:
            stop.set()
    for _, _, name in SIZES:
        assert (artifacts / f"admin-dashboard-{name}.png").stat().st_size > 10_000


def test_dashboard_without_zookeeper_says_so_and_charts_move(artifacts: Path, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    from services.echo import create as create_echo

    with InProcessHost(lambda: [create_echo(), create_probe()]) as host:
        h, p = host.addr("admin", "http")
        stop = threading.Event()
        try:
            browser.get(f"http://{h}:{p}/admin")
            wait_until(lambda: "not announced" in browser.find_element(By.ID, "zk-session").text, 10, "the ZooKeeper note")
            assert browser.find_element(By.ID, "zk-pill").text == "ZooKeeper: not used"
            assert browser.find_element(By.ID, "errors-empty").is_displayed() or browser.find_elements(By.CSS_SELECTOR, "#errors tbody tr")
            assert "no event log in this process" in browser.find_element(By.ID, "links").text

            def load() -> None:
                with httpx.Client() as client:
                    while not stop.is_set():
                        try:
                            client.post(host.url("probe", "/Probe/slow"), json={"ms": 1})
                            client.post(host.url("probe", "/Probe/fail"), json={"how": "plain"})
                        except httpx.TransportError:
                            return

            threading.Thread(target=load, daemon=True).start()
            rate = wait_until(lambda: browser.find_elements(By.ID, "rate_probe_http_slow"), 10, "request-rate chart")[0]
            wait_until(lambda: float(rate.get_attribute("data-last")) > 0, 10, "a non-zero request rate")
            errors = browser.find_element(By.ID, "errors_probe_http_fail")
            wait_until(lambda: float(errors.get_attribute("data-last")) > 0, 10, "a non-zero error rate")
            latency = browser.find_element(By.ID, "latency_probe_http_slow")
            wait_until(lambda: float(latency.get_attribute("data-last")) > 0, 10, "a non-zero p50 latency")
            assert "ms" in latency.find_element(By.XPATH, "..").find_element(By.TAG_NAME, "figcaption").text
            first = int(rate.get_attribute("data-points"))
            wait_until(lambda: int(rate.get_attribute("data-points")) > first, 10, "a new point on the chart")
            assert "req/s" in rate.get_attribute("aria-label")
        finally:
            stop.set()


def test_dashboard_says_when_zookeeper_is_away(browser: Any) -> None:
    from selenium.webdriver.common.by import By

    from services.echo import create as create_echo
    from support import free_port

    away = f"127.0.0.1:{free_port()}"  # nothing listens there
    with InProcessHost(lambda: [create_echo()], zk=away, zk_session_timeout_s=1.0, docs_url="https://docs.example/aviary/") as host:
        h, p = host.addr("admin", "http")
        browser.set_window_size(390, 844)
        browser.get(f"http://{h}:{p}/admin")
        wait_until(lambda: browser.find_element(By.ID, "zk-pill").text == "ZooKeeper: no session", 10, "the no-session pill")
        session = wait_until(lambda: "without a session for" in browser.find_element(By.ID, "zk-session").text and browser.find_element(By.ID, "zk-session").text, 10, "the outage")
        assert away in session
        assert browser.find_element(By.XPATH, "//div[dt='announced']/dd").text == "no"
        assert browser.find_element(By.ID, "zk-state").text != "connected"
        (row,) = cells(browser, "table.members[data-service='echo'] tbody tr")
        assert row == ["no ZooKeeper session: the members cannot be read"]
        assert browser.find_element(By.CSS_SELECTOR, "a[data-link='docs']").get_attribute("href") == "https://docs.example/aviary/"  # docs_url
