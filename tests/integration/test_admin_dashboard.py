"""The /admin dashboard in a real headless Chromium (Debian's chromium + chromium-driver, driven
by selenium): it loads, lists the services, and its charts move under load."""

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


def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"no {what} within {timeout}s")


def test_dashboard_shows_services_and_live_charts(artifacts: Path, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    from services.echo import create as create_echo

    with InProcessHost(lambda: [create_echo(), create_probe()]) as host:
        h, p = host.addr("admin", "http")
        stop = threading.Event()
        try:
            browser.get(f"http://{h}:{p}/admin")
            assert browser.title == "Aviary admin"
            services = wait_until(lambda: "probe" in browser.find_element(By.ID, "services").text and browser.find_element(By.ID, "services").text, 10, "services table")
            assert "echo" in services and "Probe" in services and "thrift" in services
            assert "not announced" in browser.find_element(By.ID, "zk").text

            def load() -> None:
                with httpx.Client() as client:
                    while not stop.is_set():
                        try:
                            client.post(host.url("probe", "/Probe/slow"), json={"ms": 1})
                            client.post(host.url("probe", "/Probe/fail"), json={"how": "plain"})
                        except httpx.TransportError:
                            return  # the host stopped under the load: the test is over

            threading.Thread(target=load, daemon=True).start()
            rate = wait_until(lambda: browser.find_elements(By.ID, "rate_probe_http_slow"), 10, "request-rate chart")[0]
            wait_until(lambda: float(rate.get_attribute("data-last")) > 0, 10, "a non-zero request rate")
            errors = browser.find_element(By.ID, "errors_probe_http_fail")
            wait_until(lambda: float(errors.get_attribute("data-last")) > 0, 10, "a non-zero error rate")
            latency = browser.find_element(By.ID, "latency_probe_http_slow")
            wait_until(lambda: float(latency.get_attribute("data-last")) > 0, 10, "a non-zero p50 latency")
            first = int(rate.get_attribute("data-points"))
            wait_until(lambda: int(rate.get_attribute("data-points")) > first, 10, "a new point on the chart")
            browser.save_screenshot(str(artifacts / "admin-dashboard.png"))
        finally:
            stop.set()
    assert (artifacts / "admin-dashboard.png").stat().st_size > 10_000
