"""ZooKeeper fixtures beyond framework.testing's (whose pytest plugin gives every test
``zookeeper_server``, one real node for the session, and ``zookeeper``, a fresh root on it):

* `zk_ensemble`: a fresh three-node ensemble for a test that stops and starts its nodes;
* `zk_client`: a kazoo client on `zookeeper`, to look at what Aviary wrote;
* `zk_env`: an environment name no other test uses.

A missing ZooKeeper fails loudly (`apt-get install zookeeper`), it never skips.
"""

from __future__ import annotations

import uuid
from typing import Any, Iterator

import pytest

from framework.discovery.embedded import EmbeddedZooKeeper, ZooKeeperMissing
from framework.testing import ZooKeeper, start_zookeeper


@pytest.fixture
def zk_ensemble() -> Iterator[EmbeddedZooKeeper]:
    try:
        zk = start_zookeeper(3)
    except ZooKeeperMissing as e:
        pytest.fail(f"{e} (`make test` installs it)", pytrace=False)
    yield zk
    zk.stop()


@pytest.fixture
def zk_client(zookeeper: ZooKeeper) -> Any:
    return zookeeper.client


@pytest.fixture
def zk_env() -> str:
    """An environment name no other test uses, so serverset paths never collide."""
    return "t" + uuid.uuid4().hex[:10]
