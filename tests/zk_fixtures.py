"""ZooKeeper fixtures: real ZooKeeper servers from Debian's jar, on free loopback ports.

* `zookeeper`: one node for the whole session (tests keep apart by using their own paths);
* `zk_ensemble`: a fresh three-node ensemble for a test that stops and starts its nodes;
* `zk_client`: a kazoo client on `zookeeper`, to look at what Aviary wrote.

A missing ZooKeeper fails loudly (`apt-get install zookeeper`), it never skips.
"""

from __future__ import annotations

import uuid
from typing import Iterator

import pytest

from framework.discovery.embedded import EmbeddedZooKeeper, ZooKeeperMissing


def _started(nodes: int) -> EmbeddedZooKeeper:
    try:
        return EmbeddedZooKeeper(nodes).start()
    except ZooKeeperMissing as e:
        pytest.fail(f"{e} (`make test` installs it)", pytrace=False)


@pytest.fixture(scope="session")
def zookeeper() -> Iterator[EmbeddedZooKeeper]:
    zk = _started(1)
    yield zk
    zk.stop()


@pytest.fixture
def zk_ensemble() -> Iterator[EmbeddedZooKeeper]:
    zk = _started(3)
    yield zk
    zk.stop()


@pytest.fixture
def zk_client(zookeeper: EmbeddedZooKeeper) -> Iterator[object]:
    from kazoo.client import KazooClient

    client = KazooClient(hosts=zookeeper.hosts)
    client.start(10)
    yield client
    client.stop()
    client.close()


@pytest.fixture
def zk_env() -> str:
    """An environment name no other test uses, so serverset paths never collide."""
    return "t" + uuid.uuid4().hex[:10]
