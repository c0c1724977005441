"""Fixtures for every test: Aviary hosts on real sockets (see support.py), ZooKeeper (the
``zookeeper`` and ``zookeeper_server`` fixtures of framework.testing's pytest plugin, plus
zk_fixtures.py).

Nothing here fakes a component: servers listen on 127.0.0.1, clients are real peers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from support import ARTIFACTS, AviaryProcess, InProcessHost, ZipkinCollector, require_tool
from zk_fixtures import zk_client, zk_ensemble, zk_env, zk_rebuildable  # noqa: F401 - fixtures for every test (zookeeper: framework.testing)


@pytest.fixture
def aviary_process() -> Iterator[Callable[..., AviaryProcess]]:
    """Start ``aviary`` subprocesses; any still running at the end are killed."""
    started: list[AviaryProcess] = []

    def start(*args: str, env: dict[str, str] | None = None, expect: int = 1, timeout: float = 60) -> AviaryProcess:
        p = AviaryProcess(list(args), env=env, expect=expect)
        started.append(p)
        return p.start(timeout)

    yield start
    for p in started:
        p.kill()


@pytest.fixture(scope="module")
def echo_host() -> Iterator[InProcessHost]:
    """The echo service on real loopback sockets, shared by a test module."""
    from services.echo import create

    with InProcessHost(lambda: [create()]) as h:
        yield h


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def zipkin_collector() -> Iterator[ZipkinCollector]:
    c = ZipkinCollector()
    yield c
    c.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's chromium + chromium-driver) driven by selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    chromium = require_tool("chromium", "chromium")
    driver_path = require_tool("chromedriver", "chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=DriverService(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()
