"""framework.client over mutual TLS, against a real Aviary host with throwaway CAs: each
transport (plain Thrift, ThriftMux, HTTP) presents the client's certificate and the member sees
its identity; a client without a certificate, or with one from another CA, is refused with an
error that says what to fix, and nothing reaches the handler."""

from __future__ import annotations

import asyncio
import ssl
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from framework import tls
from framework.client import HttpClient, ThriftClient
from framework.client.base import BaseClient, RemoteError, TlsRefused
from framework.errors import Unavailable
from framework.metrics import registry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from certs import ALICE, Pki  # noqa: E402
from support import InProcessHost  # noqa: E402
from probe import create as create_probe  # noqa: E402
from relay import PROBE_IDL  # noqa: E402

TRANSPORTS = ("thrift", "thriftmux", "http")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("client-pki"))


@pytest.fixture(scope="module")
def host(pki: Pki) -> Iterator[InProcessHost]:
    settings = {"tls_cert": str(pki.server.cert), "tls_key": str(pki.server.key), "tls_ca": str(pki.ca.pem)}
    with InProcessHost(lambda: [create_probe()], **settings) as h:
        yield h


def client(h: InProcessHost, transport: str, ctx: ssl.SSLContext | None, **options: Any) -> BaseClient:
    if transport == "http":
        return HttpClient(PROBE_IDL, "inet!%s:%d" % h.addr("probe", "http"), ssl=ctx, **options)
    return ThriftClient(PROBE_IDL, "inet!%s:%d" % h.addr("probe"), protocol=transport, ssl=ctx, **options)


def whoami(c: BaseClient) -> dict[str, str]:
    async def go() -> dict[str, str]:
        async with c:
            return await c.call("whoami")

    return asyncio.run(go())


def served() -> float:
    return sum(registry.value(f"srv/probe/{t}/whoami/requests") for t in ("thrift", "http"))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_clients_certificate_identity_reaches_the_member(host: InProcessHost, pki: Pki, transport: str) -> None:
    ctx = tls.client_context(pki.client_settings(pki.alice))
    seen = whoami(client(host, transport, ctx))
    assert seen["identity"] == ALICE


def refused(h: InProcessHost, transport: str, ctx: ssl.SSLContext) -> BaseException:
    """The error a call with `ctx` gets. Over Thrift and ThriftMux nothing of the call is sent
    before the member's first answer (the TTwitter probe, the Mux handshake), so a refusal is
    `TlsRefused`, retried elsewhere and then `Unavailable`. Over HTTP the request went out in
    the same flight as the handshake, so it is not retried and says what to check."""
    before = served()
    with pytest.raises((Unavailable, RemoteError)) as raised:
        whoami(client(h, transport, ctx, max_attempts=2))
    assert served() == before  # the handler never ran
    if transport == "http":
        assert isinstance(raised.value, RemoteError) and raised.value.kind == "ConnectionLost"
    else:
        assert isinstance(raised.value, Unavailable) and isinstance(raised.value.__cause__, TlsRefused)
    return raised.value


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_client_without_a_certificate_is_refused_clearly(host: InProcessHost, pki: Pki, transport: str) -> None:
    ctx = ssl.create_default_context(cafile=str(pki.ca.pem))  # trusts the server, presents nothing
    assert "refused this client's certificate or its absence: pass ssl=framework.tls.client_context" in str(refused(host, transport, ctx))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_certificate_from_another_ca_is_refused(host: InProcessHost, pki: Pki, transport: str) -> None:
    ctx = ssl.create_default_context(cafile=str(pki.ca.pem))
    ctx.load_cert_chain(str(pki.rogue.cert), str(pki.rogue.key))
    assert "refused this client's certificate" in str(refused(host, transport, ctx))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_server_the_client_does_not_trust_is_refused(host: InProcessHost, pki: Pki, transport: str) -> None:
    ctx = ssl.create_default_context(cafile=str(pki.other_ca.pem))  # the wrong CA for the server
    ctx.load_cert_chain(str(pki.alice.cert), str(pki.alice.key))
    with pytest.raises(Unavailable, match="does not trust the member's certificate") as raised:
        whoami(client(host, transport, ctx, max_attempts=2))
    assert isinstance(raised.value.__cause__, TlsRefused)
