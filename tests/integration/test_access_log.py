"""framework.access_log: a service with ``access_log = true`` logs each call on ``aviary.access``,
over both transports, with its outcome; a service without it logs nothing."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Iterator

import httpx
import pytest
import thriftpy2
from thriftpy2.rpc import make_client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import ROOT, InProcessHost  # noqa: E402

from framework import Service  # noqa: E402
from framework.access_log import LOGGER  # noqa: E402
from services.echo import IDL, EchoHandler  # noqa: E402

echo_thrift = thriftpy2.load(str(ROOT / "idl" / "echo.thrift"), module_name="echo_access_thrift")


class Records(logging.Handler):
    """Keeps what reaches the logger, as any handler on it would see it."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records() -> Iterator[Records]:
    handler = Records()
    logger = logging.getLogger(LOGGER)
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)


def test_logged_services_log_every_call_and_others_nothing(records: Records) -> None:
    services = lambda: [Service(IDL, EchoHandler(), name="echo"), Service(IDL, EchoHandler(), name="quiet")]  # noqa: E731
    with InProcessHost(services, **{"services.echo.access_log": "true"}) as h:
        assert httpx.post(h.url("echo", "/Echo/repeat"), json={"text": "a", "times": 2}).json() == "a a"
        assert httpx.get(h.url("echo", "/messages/42")).status_code == 404
        assert httpx.post(h.url("quiet", "/Echo/repeat"), json={"text": "b", "times": 1}).json() == "b"
        client = make_client(echo_thrift.Echo, *h.addr("echo"), timeout=5000)
        try:
            assert client.repeat("c", 3) == "c c c"
        finally:
            client.close()
    lines = [r.getMessage().split() for r in records.records]
    assert [(l[0], l[1], l[3]) for l in lines] == [("Echo.repeat", "ok", "http"), ("Echo.get", "NotFound", "http"), ("Echo.repeat", "ok", "thrift")]
    assert all(l[2].endswith("ms") and float(l[2][:-2]) >= 0 for l in lines)
    first = records.records[0]
    assert first.service == "echo"  # type: ignore[attr-defined]
    assert first.labels == {"method": "Echo.repeat", "outcome": "ok", "transport": "http"}  # type: ignore[attr-defined]


def test_no_service_asks_no_filter() -> None:
    from framework import config
    from framework.access_log import access_log

    services = [Service(IDL, EchoHandler(), name="echo")]
    assert access_log(config.load(env={}), services) is None
    assert access_log(config.load(env={"AVIARY_ECHO__ACCESS_LOG": "yes"}), services).services == {"echo"}  # type: ignore[union-attr]
