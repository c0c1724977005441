"""Serverset members: the JSON Finagle, Aurora and twitter.common write into ZooKeeper.

A member is the JSON form of ``endpoint.thrift``'s ``ServiceInstance``::

    {"serviceEndpoint": {"host": "web01", "port": 9999},
     "additionalEndpoints": {"thrift": {...}, "http": {"host": "web01", "port": 8888}},
     "status": "ALIVE", "shard": 0, "metadata": {"version": "0.1.0"}}

`encode` always writes serviceEndpoint, additionalEndpoints and status (the legacy readers fail
without them). `parse` reads like Finagle's zk2 reader: bad JSON → the member is ignored (one
log line); an endpoint whose host is not a string or port not an integer is dropped; a missing
or unknown status reads as ``UNKNOWN``.

The Curator x-discovery instance (what Spring Cloud Zookeeper reads) is `curator_instance`.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = ["Member", "encode", "parse", "curator_instance", "STATUSES", "MEMBER_PREFIX"]

log = logging.getLogger("aviary.discovery")

MEMBER_PREFIX = "member_"
STATUSES = ("DEAD", "STARTING", "ALIVE", "STOPPING", "STOPPED", "WARNING")

Endpoint = tuple[str, int]


@dataclass(frozen=True)
class Member:
    """One parsed member znode."""

    znode: str
    service_endpoint: Endpoint | None
    additional_endpoints: dict[str, Endpoint] = field(default_factory=dict)
    status: str = "UNKNOWN"
    shard: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def alive(self) -> bool:
        return self.status == "ALIVE"

    def endpoint(self, name: str | None = None) -> Endpoint | None:
        """The named additional endpoint, or the service endpoint when `name` is None."""
        return self.service_endpoint if name is None else self.additional_endpoints.get(name)


def _endpoint_json(ep: Endpoint) -> dict[str, Any]:
    return {"host": ep[0], "port": int(ep[1])}


def encode(service_endpoint: Endpoint, additional: Mapping[str, Endpoint], shard: int | None = 0, metadata: Mapping[str, str] | None = None) -> bytes:
    """A member's bytes: UTF-8 JSON with status ALIVE."""
    doc: dict[str, Any] = {
        "serviceEndpoint": _endpoint_json(service_endpoint),
        "additionalEndpoints": {k: _endpoint_json(v) for k, v in additional.items()},
        "status": "ALIVE",
    }
    if shard is not None:
        doc["shard"] = int(shard)
    if metadata:
        doc["metadata"] = {str(k): str(v) for k, v in metadata.items()}
    return json.dumps(doc, separators=(",", ":")).encode()


def _endpoint(v: Any) -> Endpoint | None:
    if not isinstance(v, dict):
        return None
    host, port = v.get("host"), v.get("port")
    if not isinstance(host, str) or not isinstance(port, int) or isinstance(port, bool):
        return None
    return host, port


def parse(data: bytes | None, znode: str = "") -> Member | None:
    """Parse a member's bytes; None (and one log line) if they are not a member at all."""
    try:
        doc = json.loads(data or b"")
    except (ValueError, UnicodeDecodeError) as e:
        log.warning("ignoring serverset member %s: not JSON (%s)", znode or "?", e)
        return None
    if not isinstance(doc, dict):
        log.warning("ignoring serverset member %s: expected a JSON object, got %s", znode or "?", type(doc).__name__)
        return None
    additional: dict[str, Endpoint] = {}
    raw_additional = doc.get("additionalEndpoints")
    if isinstance(raw_additional, dict):
        for name, v in raw_additional.items():
            ep = _endpoint(v)
            if ep is not None:
                additional[str(name)] = ep
    status = doc.get("status")
    status = status if isinstance(status, str) and status in STATUSES else "UNKNOWN"
    shard = doc.get("shard")
    shard = shard if isinstance(shard, int) and not isinstance(shard, bool) else None
    raw_meta = doc.get("metadata")
    metadata = {str(k): str(v) for k, v in raw_meta.items()} if isinstance(raw_meta, dict) else {}
    return Member(znode, _endpoint(doc.get("serviceEndpoint")), additional, status, shard, metadata)


def curator_instance(name: str, instance_id: str, address: str, port: int, metadata: Mapping[str, str] | None = None) -> bytes:
    """A Curator x-discovery ``ServiceInstance`` with Spring Cloud Zookeeper's payload."""
    doc = {
        "name": name,
        "id": instance_id,
        "address": address,
        "port": int(port),
        "sslPort": None,
        "payload": {
            "@class": "org.springframework.cloud.zookeeper.discovery.ZookeeperInstance",
            "id": name,
            "name": name,
            "metadata": {"instance_status": "UP", **{str(k): str(v) for k, v in (metadata or {}).items()}},
        },
        "registrationTimeUTC": int(time.time() * 1000),
        "serviceType": "DYNAMIC",
        "uriSpec": {
            "parts": [
                {"value": "scheme", "variable": True},
                {"value": "://", "variable": False},
                {"value": "address", "variable": True},
                {"value": ":", "variable": False},
                {"value": "port", "variable": True},
            ]
        },
    }
    return json.dumps(doc, separators=(",", ":")).encode()
