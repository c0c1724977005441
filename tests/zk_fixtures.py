"""ZooKeeper fixtures beyond framework.testing's (whose pytest plugin gives every test
``zookeeper_server``, one real node for the session, and ``zookeeper``, a fresh root on it):

* `zk_ensemble`: a fresh three-node ensemble for a test that stops and starts its nodes;
* `zk_client`: a kazoo client on `zookeeper`, to look at what Aviary wrote;
* `zk_env`: an environment name no other test uses;
* `zk_rebuildable`: a node of its own for a test that wipes it (`rebuild_from_empty`) after
  pushing its transaction id up (`advance_zxid`), as a restored or re-created ensemble is.

A missing ZooKeeper fails loudly (`apt-get install zookeeper`), it never skips.
"""

from __future__ import annotations

import shutil
import uuid
from typing import Any, Iterator

import pytest

from framework.discovery.embedded import EmbeddedZooKeeper, ZooKeeperMissing
from framework.testing import ZooKeeper, start_zookeeper


def _started(nodes: int) -> EmbeddedZooKeeper:
    try:
        return start_zookeeper(nodes)
    except ZooKeeperMissing as e:
        pytest.fail(f"{e} (`make test` installs it)", pytrace=False)


@pytest.fixture
def zk_ensemble() -> Iterator[EmbeddedZooKeeper]:
    zk = _started(3)
    yield zk
    zk.stop()


@pytest.fixture
def zk_client(zookeeper: ZooKeeper) -> Any:
    return zookeeper.client


@pytest.fixture
def zk_env() -> str:
    """An environment name no other test uses, so serverset paths never collide."""
    return "t" + uuid.uuid4().hex[:10]


@pytest.fixture
def zk_rebuildable() -> Iterator[EmbeddedZooKeeper]:
    zk = _started(1)
    yield zk
    zk.stop()


def advance_zxid(zk: EmbeddedZooKeeper, transactions: int = 3000) -> int:
    """Write `transactions` times to a scratch znode (as any production ensemble has seen many);
    returns the zxid reached."""
    from kazoo.client import KazooClient

    client = KazooClient(hosts=zk.hosts)
    client.start(10)
    try:
        client.ensure_path("/scratch")
        for reply in [client.set_async("/scratch", b"%d" % i) for i in range(transactions)]:
            reply.get(10)
        return client.last_zxid
    finally:
        client.stop()
        client.close()


def rebuild_from_empty(zk: EmbeddedZooKeeper, *, start: bool = True) -> None:
    """Stop the (single) node, delete its data directory, and (with `start`) start it again on
    the same port: a ZooKeeper restored from nothing, whose zxid starts again at 0."""
    zk.stop_node(0)
    shutil.rmtree(zk.nodes[0].dir / "data")
    if start:
        start_again(zk)


def start_again(zk: EmbeddedZooKeeper) -> None:
    zk.start_node(0)
    zk.wait_serving([0])
