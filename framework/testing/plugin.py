"""Aviary's pytest plugin: registered by the entry point ``aviary`` in the group ``pytest11``,
so every pytest run in an environment with Aviary installed has these fixtures:

* ``serve``: `framework.testing.serve` as a fixture. ``served = serve("echo", max_body_bytes=1024)``
  starts a host (same arguments as the context manager); it stops when the test ends.
* ``zookeeper_server``: a real ZooKeeper (Debian's package) for the whole session.
* ``zookeeper``: a `framework.testing.ZooKeeper` on that server with a fresh root path for each
  test, removed afterwards; ``serve(..., zookeeper=zookeeper)`` announces there.

A missing ZooKeeper fails the test that asked for it, saying what to install; it never skips.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from . import Served, ZooKeeper, serve, start_zookeeper


@pytest.fixture(scope="session")
def zookeeper_server() -> Iterator[Any]:
    from ..discovery.embedded import ZooKeeperMissing

    try:
        server = start_zookeeper()
    except ZooKeeperMissing as e:
        pytest.fail(str(e), pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def zookeeper(zookeeper_server: Any) -> Iterator[ZooKeeper]:
    zk = ZooKeeper(zookeeper_server)
    yield zk
    zk.close()


@pytest.fixture(name="serve")
def serve_fixture() -> Iterator[Callable[..., Served]]:
    """``serve(*services, zookeeper=None, **settings) -> Served``; stopped at teardown, last
    started first."""
    stack: list[Any] = []

    def start(*services: Any, **settings: Any) -> Served:
        cm = serve(*services, **settings)
        served = cm.__enter__()
        stack.append(cm)
        return served

    yield start
    while stack:
        stack.pop().__exit__(None, None, None)
