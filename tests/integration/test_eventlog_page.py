"""The event log's page at /eventlog/ in headless Chromium: a search with a selector and a line
filter, paging with More, and a live tail that shows events as they are stored. A screenshot
goes to tests/artifacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from support import InProcessHost  # noqa: E402


def eventlog_service(data: Path) -> Any:
    from framework import config, plugins

    return plugins.create("eventlog", config.load(env={}, flags={"services.eventlog.data_dir": str(data)}))


def test_search_page_and_live_tail(tmp_path: Path, browser: Any, artifacts: Path) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with InProcessHost(lambda: [eventlog_service(tmp_path / "data")]) as h:
        base = h.url("eventlog")
        events = [{"serviceName": "billing", "level": "error" if i % 2 else "info", "message": f"charge {i} {'timeout' if i % 3 == 0 else 'ok'}"} for i in range(150)]
        assert httpx.post(base + "/events", json={"batch": {"events": events}}).status_code == 200
        want = [e["message"] for e in reversed(events) if e["level"] == "error" and "timeout" in e["message"]]

        browser.get(base + "/eventlog/")
        wait = WebDriverWait(browser, 20, ignored_exceptions=[StaleElementReferenceException])
        box = browser.find_element(By.ID, "query")
        box.send_keys('{service="billing", level="error"} |= "timeout"')
        browser.find_element(By.ID, "run").click()
        wait.until(lambda d: "events" in d.find_element(By.ID, "status").text)
        rows = [r.find_elements(By.TAG_NAME, "td")[5].text for r in browser.find_elements(By.CSS_SELECTOR, "#rows tr")]
        assert rows == want  # newest first
        assert browser.find_element(By.ID, "more").get_attribute("disabled")

        box.clear()
        browser.find_element(By.ID, "run").click()  # everything: 150 events, 100 per page
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rows tr")) == 100)
        browser.find_element(By.ID, "more").click()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rows tr")) == 150)
        last = browser.find_elements(By.CSS_SELECTOR, "#rows tr")[-1].find_elements(By.TAG_NAME, "td")[5].text
        assert last == "charge 0 timeout"

        box.send_keys('{service="checkout"}')
        browser.find_element(By.ID, "run").click()
        wait.until(lambda d: d.find_element(By.ID, "status").text == "0 events")
        browser.find_element(By.ID, "tail").click()
        wait.until(lambda d: d.find_element(By.ID, "status").text.startswith("Tailing"))
        for m in ("cart opened", "paid"):
            httpx.post(base + "/events", json={"batch": {"events": [{"serviceName": "checkout", "level": "warning", "message": m}]}})
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#rows tr")) == 2)
        tailed = [r.find_elements(By.TAG_NAME, "td")[5].text for r in browser.find_elements(By.CSS_SELECTOR, "#rows tr")]
        assert tailed == ["paid", "cart opened"]  # newest on top
        browser.save_screenshot(str(artifacts / "eventlog-page.png"))

        box.clear()
        box.send_keys('{service="billing"')
        browser.find_element(By.ID, "run").click()  # a bad query: the page says why
        wait.until(lambda d: d.find_element(By.ID, "status").get_attribute("class") == "error")
        assert "expected" in browser.find_element(By.ID, "status").text
