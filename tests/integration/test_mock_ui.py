"""The mock's admin page (/__admin/ui) in headless Chromium: it lists the stubs, the scenarios
and the journal, and its buttons act on the mock. A screenshot goes to tests/artifacts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from support import InProcessHost  # noqa: E402


def mock_service(**settings: Any) -> Any:
    from framework import config, plugins

    return plugins.create("mock", config.load(env={}, flags={f"services.mock.{k}": v for k, v in settings.items()}))


def test_admin_page_lists_stubs_scenarios_and_journal(tmp_path: Path, browser: Any, artifacts: Path) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "hello.json").write_text(json.dumps({"name": "say hello", "request": {"method": "GET", "url": "/hello"}, "response": {"body": "hi"}}))
    (mappings / "flow.json").write_text(
        json.dumps({"name": "checkout step", "scenarioName": "checkout", "requiredScenarioState": "Started", "newScenarioState": "paid",
                    "request": {"method": "POST", "url": "/pay"}, "response": {"status": 202}})  # fmt: skip
    )
    with InProcessHost(lambda: [mock_service(idl="echo.thrift", mappings=str(mappings))]) as h:
        base = h.url("mock")
        assert httpx.get(base + "/hello").text == "hi"
        assert httpx.post(base + "/pay").status_code == 202
        assert httpx.get(base + "/nothing-here").status_code == 404
        assert httpx.post(base + "/Echo/repeat", json={"text": "via rest", "times": 2}).status_code == 200

        browser.get(base + "/__admin/ui")
        wait = WebDriverWait(browser, 20, ignored_exceptions=[StaleElementReferenceException])  # the page redraws its tables
        wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-loaded") == "1")
        stubs = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#stubs tbody tr")]
        assert len(stubs) == 2 and any("say hello" in s for s in stubs) and any("checkout: Started" in s for s in stubs)
        journal = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#journal tbody tr")]
        assert len(journal) == 4
        assert "Echo.repeat" in journal[0] and "via rest" in journal[0] and "generated" in journal[0]  # newest first; a Thrift call via REST
        assert "/nothing-here" in journal[1] and journal[1].endswith("no stub")
        assert browser.find_element(By.ID, "request-count").text == "4"
        scenario = browser.find_element(By.CSS_SELECTOR, "#scenarios tbody tr").text
        assert "checkout" in scenario and "paid" in scenario
        browser.save_screenshot(str(artifacts / "mock-admin-ui.png"))

        # the scenario's Reset button acts on the mock
        browser.find_element(By.CSS_SELECTOR, "#scenarios tbody tr button").click()
        wait.until(lambda d: "Started" in d.find_element(By.CSS_SELECTOR, "#scenarios tbody tr").text.split("\n")[0])
        assert httpx.get(base + "/__admin/scenarios").json()["scenarios"][0]["state"] == "Started"
        browser.find_element(By.ID, "reset-journal").click()
        wait.until(lambda d: d.find_element(By.ID, "request-count").text == "0")
