"""Destination names, serverset member JSON, the advertised host, the balancer and the retry
budget: the parts of discovery that need no ZooKeeper."""

from __future__ import annotations

import json
import logging
import random
import time

import pytest

from framework import config
from framework.client.balancer import Balancer, NoMembers, RetryBudget
from framework.discovery import names, serverset
from framework.discovery.announcer import advertise_host, serverset_path, zk_auth
from framework.discovery.resolver import Address, resolve
from framework.errors import ConfigError


def test_destination_names_as_finagle_writes_them() -> None:
    n = names.parse("zk2!zk1:2181,zk2:2181!/aviary/prod/echo!http")
    assert (n.scheme, n.clusters, n.path, n.endpoint) == ("zk2", ("zk1:2181,zk2:2181",), "/aviary/prod/echo", "http")
    n = names.parse("zk2!a:1#b:2!/x")
    assert n.clusters == ("a:1", "b:2") and n.endpoint is None
    assert names.parse("zk!a:1!/x!thrift").scheme == "zk"
    assert names.parse("inet!h1:1,h2:2").addresses == (("h1", 1), ("h2", 2))
    assert names.parse("h:9").addresses == (("h", 9),)
    assert str(names.parse("zk2!a:1!/x!http")) == "zk2!a:1!/x!http"


@pytest.mark.parametrize(
    "bad, why",
    [
        ("zk2!a:1!/x!http!0", "expected zk2"),
        ("zk2!a:1!/x!3", "zk2 takes no shard"),
        ("zk2!a:1!x", "expected zk2"),
        ("zk2!nohost!/x", "expected host:port"),
        ("dns!a!/x", "unknown scheme 'dns'"),
        ("inet!", "expected inet!"),
        ("", "empty destination"),
    ],
)
def test_bad_names_say_what_is_wrong(bad: str, why: str) -> None:
    with pytest.raises(names.BadName, match=why):
        names.parse(bad)


def test_member_json_round_trip_and_required_fields() -> None:
    data = serverset.encode(("web01", 9999), {"thrift": ("web01", 9999), "http": ("web01", 8888)}, 3, {"version": "1"})
    doc = json.loads(data)
    assert doc["serviceEndpoint"] == {"host": "web01", "port": 9999}
    assert doc["additionalEndpoints"]["http"] == {"host": "web01", "port": 8888}
    assert doc["status"] == "ALIVE" and doc["shard"] == 3 and doc["metadata"] == {"version": "1"}
    m = serverset.parse(data, "/x/member_0000000001")
    assert m is not None and m.alive and m.endpoint() == ("web01", 9999) and m.endpoint("http") == ("web01", 8888) and m.shard == 3
    assert serverset.parse(serverset.encode(("h", 1), {}, None), "z").shard is None  # type: ignore[union-attr]


def test_member_parsing_follows_zk2(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "aviary.discovery"):
        assert serverset.parse(b"{not json", "/p/member_1") is None
        assert serverset.parse(b"[1]", "/p/member_2") is None
    assert "/p/member_1" in caplog.text and "/p/member_2" in caplog.text
    m = serverset.parse(b'{"serviceEndpoint":{"host":1,"port":2},"additionalEndpoints":{"a":{"host":"h","port":"9"},"b":{"host":"h","port":9}},"status":"NOPE"}')
    assert m is not None
    assert m.service_endpoint is None and m.additional_endpoints == {"b": ("h", 9)}  # bad endpoints dropped
    assert m.status == "UNKNOWN" and not m.alive
    assert serverset.parse(b'{"serviceEndpoint":{"host":"h","port":1},"additionalEndpoints":{},"status":"STOPPING"}').status == "STOPPING"  # type: ignore[union-attr]


def test_curator_instance_is_what_spring_reads() -> None:
    doc = json.loads(serverset.curator_instance("echo", "id-1", "web01", 8888, {"version": "1"}))
    assert doc["name"] == "echo" and doc["id"] == "id-1" and doc["address"] == "web01" and doc["port"] == 8888
    assert doc["serviceType"] == "DYNAMIC" and isinstance(doc["registrationTimeUTC"], int) and "enabled" not in doc
    assert doc["payload"]["@class"] == "org.springframework.cloud.zookeeper.discovery.ZookeeperInstance"
    assert doc["payload"]["metadata"]["instance_status"] == "UP"
    assert [p["value"] for p in doc["uriSpec"]["parts"]] == ["scheme", "://", "address", ":", "port"]


def test_advertised_host_is_never_a_wildcard() -> None:
    s = config.load(env={}, flags={"bind": "0.0.0.0"})
    assert advertise_host(s) not in ("0.0.0.0", "", "::")
    assert advertise_host(config.load(env={}, flags={"bind": "127.0.0.1"})) == "127.0.0.1"
    assert advertise_host(config.load(env={}, flags={"advertise_host": "web01"})) == "web01"
    with pytest.raises(ConfigError, match="advertise_host"):
        advertise_host(config.load(env={}, flags={"advertise_host": "0.0.0.0"}))


def test_serverset_path_and_announce_path_override() -> None:
    s = config.load(env={}, flags={"zk_root": "/twitter", "env": "prod", "services.mock.announce_path": "/aurora/www/prod/users"})
    assert serverset_path(s, "echo") == "/twitter/prod/echo"
    assert serverset_path(s, "mock") == "/aurora/www/prod/users"
    with pytest.raises(ConfigError, match="announce_path"):
        config.load(env={}, flags={"services.mock.announce_path": "relative"}).service("mock")


def test_digest_acl_settings() -> None:
    assert zk_auth(config.load(env={})) == ([], None)
    auth, acl = zk_auth(config.load(env={}, flags={"zk_digest": "svc:secret"}))
    assert auth == [("digest", "svc:secret")]
    assert acl is not None and {a.id.scheme for a in acl} == {"digest", "world"}
    with pytest.raises(ConfigError, match="zk_digest"):
        zk_auth(config.load(env={}, flags={"zk_digest": "nocolon"}))


def test_no_zookeeper_extensions_with_zk_none() -> None:
    from framework.assembly import _discovery_extensions

    def names(**flags: str) -> tuple[list[str], list[str]]:
        zookeeper, announcer = _discovery_extensions(config.load(env={}, flags=flags))
        return [e.name for e in zookeeper], [e.name for e in announcer]

    assert names(zk="none") == ([], [])
    assert names() == (["zookeeper"], ["announcer"])
    assert names(zk="10.0.0.1:2181") == ([], ["announcer"])


def test_embedded_zookeeper_starts_first_and_stops_last() -> None:
    """Extensions stop in reverse order of start: ZooKeeper must outlive the announcer (which
    deletes its member in it) and the admin port (whose dashboard reads its state)."""
    from framework.assembly import assemble
    from services.echo import create as create_echo

    host = assemble(config.load(env={}, flags={"workers": 1}), [create_echo()])
    assert [e.name for e in host.extensions] == ["zookeeper", "admin", "announcer"]


def test_embedded_zookeeper_on_a_taken_port_says_which_setting_to_change() -> None:
    import socket

    from framework.discovery.embedded import EmbeddedZooKeeper, ZooKeeperPortTaken

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ZooKeeperPortTaken, match=f"port {port} .* zk_embedded_port"):
            EmbeddedZooKeeper(client_port=port).start()


def _balancer(n: int, **kw: object) -> Balancer:
    return Balancer(resolve(",".join(f"127.0.0.1:{1000 + i}" for i in range(n))), rng=random.Random(7), **kw)  # type: ignore[arg-type]


def test_p2c_prefers_the_less_loaded_member() -> None:
    b = _balancer(2)
    busy = b.pick()
    for _ in range(20):  # with two members p2c compares both: the idle one always wins
        other = b.pick()
        assert other is not busy
        b.release(other, True)
    b.release(busy, True)
    assert b.pick(avoid=busy) is not busy


def test_failure_accrual_sets_aside_then_probes_back() -> None:
    b = _balancer(2, accrual_failures=3, min_backoff_s=0.2)
    bad = b.nodes.get(Address("127.0.0.1", 1000)) or b.refresh()[0]
    for _ in range(3):
        bad.load += 1
        b.release(bad, False)
    assert not bad.available(time.monotonic())
    assert all(b.pick() is not bad for _ in range(20))
    time.sleep(0.25)
    picks = [b.pick() for _ in range(40)]
    assert picks.count(bad) == 1  # exactly one probe while it is unproven
    b.release(bad, True)
    assert bad.available(time.monotonic()) and bad.failures == 0


def test_empty_set_raises_no_members() -> None:
    b = Balancer(resolve("127.0.0.1:1"))
    b.resolution.addresses = ()
    with pytest.raises(NoMembers, match="no member"):
        b.pick()


def test_retry_budget_allows_a_share_of_calls() -> None:
    budget = RetryBudget(percent=0.5, min_per_s=0, ttl_s=60)
    for _ in range(10):
        budget.deposit()
    assert sum(budget.try_withdraw() for _ in range(20)) == 5


def test_missing_zookeeper_names_the_ways_around_it(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from framework.discovery.embedded import EmbeddedZooKeeper, ZooKeeperMissing, find_java

    ways = r"Run without discovery with --zk none, or use a ZooKeeper elsewhere with --zk HOST:PORT \(or install both: apt-get install default-jre-headless zookeeper\)"
    with pytest.raises(ZooKeeperMissing, match=rf"embedded ZooKeeper: ZooKeeper \({tmp_path}/zookeeper.jar\) not installed\. {ways}"):
        EmbeddedZooKeeper(jar=tmp_path / "zookeeper.jar").start()
    # No java: neither JAVA_HOME nor PATH has one.
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    assert find_java() == ""
    with pytest.raises(ZooKeeperMissing, match=rf"embedded ZooKeeper: java \(neither \$JAVA_HOME/bin/java nor java on PATH\) not installed\. {ways}"):
        EmbeddedZooKeeper().start()
    # JAVA_HOME is looked at first.
    (tmp_path / "jdk" / "bin").mkdir(parents=True)
    (tmp_path / "jdk" / "bin" / "java").write_text("#!/bin/sh\n")
    (tmp_path / "jdk" / "bin" / "java").chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    assert find_java() == str(tmp_path / "jdk" / "bin" / "java")
