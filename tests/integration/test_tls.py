"""Mutual TLS on every port, with throwaway CAs: who gets in, who is refused, who may call what.

Peers are real: thriftpy2's TLS client and raw stdlib `ssl` sockets for Thrift, httpx for REST.
"""

from __future__ import annotations

import socket
import ssl
import struct
import sys
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
import thriftpy2
from thriftpy2.rpc import make_client
from thriftpy2.thrift import TApplicationException
from thriftpy2.transport import TFramedTransportFactory

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from certs import ALICE, BOB, CA, Issued, Pki  # noqa: E402
from support import ROOT, InProcessHost  # noqa: E402
from probe import IDL as PROBE_IDL  # noqa: E402
from probe import create as create_probe  # noqa: E402

from framework.errors import ConfigError  # noqa: E402
from framework.thrift.codec import CALL, EXCEPTION, REPLY, BinaryCodec  # noqa: E402

probe_thrift = thriftpy2.load(str(ROOT / "tests" / "idl" / "probe.thrift"), module_name="probe_tls_thrift", include_dirs=[str(ROOT / "tests" / "idl")])
PROBE = PROBE_IDL.service()
PBIN = BinaryCodec(list(PROBE.methods.values()))

@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def host(pki: Pki) -> Iterator[InProcessHost]:
    rules = {"services.probe.allow": f"whoami={ALICE},spiffe://aviary.test/server; numbers=carol.aviary.test,dave"}
    with InProcessHost(lambda: [create_probe()], **pki.settings(**rules)) as h:
        yield h


def client_ctx(pki: Pki, who: Issued | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki.ca.pem))
    if who is not None:
        ctx.load_cert_chain(str(who.cert), str(who.key))
    return ctx


# -- raw clients: every failure mode visible --------------------------------------------------------


def thrift_call(addr: tuple[str, int], ctx: ssl.SSLContext | None, method: str = "slow", args: list[Any] | None = None) -> tuple[int, Any]:
    """One framed call over a fresh connection; returns (message type, result or error)."""
    out = bytearray()
    PBIN.write_message_begin(out, method, CALL, 7)
    PBIN.write_args(PROBE.methods[method], [5] if args is None else args, out)
    raw = socket.create_connection(addr, timeout=5)
    s = ctx.wrap_socket(raw, server_hostname="localhost") if ctx is not None else raw
    try:
        s.sendall(struct.pack(">i", len(out)) + out)
        buf = b""
        while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("closed without a reply")
            buf += chunk
    finally:
        s.close()
    name, mtype, seqid, p = PBIN.read_message_begin(buf[4:], 0)
    if mtype == EXCEPTION:
        return mtype, PBIN.read_app_exception(buf[4:], p)[:2]
    return mtype, PBIN.read_result(PROBE.methods[method], buf[4:], p)[:2]


def rest(host: InProcessHost, ctx: ssl.SSLContext | None, path: str = "/Probe/slow", body: Any = None) -> httpx.Response:
    h, port = host.addr("probe", "http")
    scheme = "https" if ctx is not None else "http"
    with httpx.Client(verify=ctx if ctx is not None else False, timeout=5) as c:
        return c.post(f"{scheme}://localhost:{port}{path}", json={"ms": 5} if body is None else body)


# Each differs from alice's good certificate in one way only. The server refuses it in the
# handshake and closes the connection (asyncio's TLS drops the alert, so the client sees a close).
REFUSED = {
    "no client certificate": lambda pki: None,
    "a certificate from another CA": lambda pki: pki.rogue,
    "an expired certificate": lambda pki: pki.expired,
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_thrift_port_refuses_bad_client_certificates(host: InProcessHost, pki: Pki, case: str) -> None:
    with pytest.raises(OSError):  # ssl.SSLError or ConnectionError: no reply either way
        thrift_call(host.addr("probe"), client_ctx(pki, REFUSED[case](pki)))
    assert thrift_call(host.addr("probe"), client_ctx(pki, pki.alice)) == (REPLY, (0, 5))  # others unharmed


@pytest.mark.parametrize("case", list(REFUSED))
def test_rest_port_refuses_bad_client_certificates(host: InProcessHost, pki: Pki, case: str) -> None:
    with pytest.raises(httpx.TransportError):
        rest(host, client_ctx(pki, REFUSED[case](pki)))
    assert rest(host, client_ctx(pki, pki.alice)).json() == 5


def test_plaintext_clients_are_refused_on_both_ports(host: InProcessHost, pki: Pki) -> None:
    with pytest.raises(ConnectionError):
        thrift_call(host.addr("probe"), None)
    with pytest.raises(httpx.TransportError):
        rest(host, None)
    assert thrift_call(host.addr("probe"), client_ctx(pki, pki.bob)) == (REPLY, (0, 5))
    assert rest(host, client_ctx(pki, pki.bob)).json() == 5


def test_the_identity_reaches_the_context_on_both_transports(host: InProcessHost, pki: Pki) -> None:
    ctx = client_ctx(pki, pki.alice)
    seen = rest(host, ctx, "/Probe/whoami", {}).json()
    assert (seen["transport"], seen["identity"]) == ("http", ALICE)
    c = make_client(probe_thrift.Probe, "localhost", host.addr("probe")[1], trans_factory=TFramedTransportFactory(), ssl_context=ctx, timeout=5000)
    try:
        seen = c.whoami()
    finally:
        c.close()
    assert (seen["transport"], seen["identity"]) == ("thrift", ALICE)


def test_identity_is_the_uri_then_dns_name_then_common_name(host: InProcessHost, pki: Pki) -> None:
    # numbers is allowed for carol (a DNS SAN) and dave (a CN only); whoami is not
    args = {"b": 1, "s": 2, "i": 3, "l": 4, "d": 5.0, "flag": True}
    for who, identity in ((pki.dns_only, "carol.aviary.test"), (pki.cn_only, "dave")):
        assert rest(host, client_ctx(pki, who), "/Probe/numbers", args).status_code == 200
        denied = rest(host, client_ctx(pki, who), "/Probe/whoami", {})
        assert denied.status_code == 403
        assert repr(identity) in denied.json()["error"]["message"]


def test_a_disallowed_identity_gets_a_clear_permission_error(host: InProcessHost, pki: Pki) -> None:
    r = rest(host, client_ctx(pki, pki.bob), "/Probe/whoami", {})
    assert r.status_code == 403
    assert r.json()["error"] == {"type": "PermissionDenied", "message": f"identity '{BOB}' is not allowed to call Probe.whoami"}
    c = make_client(probe_thrift.Probe, "localhost", host.addr("probe")[1], trans_factory=TFramedTransportFactory(), ssl_context=client_ctx(pki, pki.bob), timeout=5000)
    try:
        with pytest.raises(TApplicationException) as e:
            c.whoami()
        assert e.value.message == f"identity '{BOB}' is not allowed to call Probe.whoami"
        assert c.slow(3) == 3  # the connection carries on; unlisted methods are open
    finally:
        c.close()


def test_optional_client_certificates(pki: Pki) -> None:
    rules = {"services.probe.allow": f"whoami={ALICE}"}
    with InProcessHost(lambda: [create_probe()], **pki.settings(tls_client_auth="optional", **rules)) as h:
        anonymous = client_ctx(pki, None)
        assert rest(h, anonymous).json() == 5  # no certificate: let in...
        r = rest(h, anonymous, "/Probe/whoami", {})
        assert r.status_code == 403 and "without a client certificate" in r.json()["error"]["message"]  # ...but no identity
        assert rest(h, client_ctx(pki, pki.alice), "/Probe/whoami", {}).json()["identity"] == ALICE
        with pytest.raises(httpx.TransportError):  # a certificate shown must still verify
            rest(h, client_ctx(pki, pki.rogue))


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"tls_cert": "/nonexistent/cert.pem"}, "tls_cert: no such file"),
        ({"tls_ca": ""}, "tls_ca: tls_client_auth = required needs the CA bundle"),
        ({"services.probe.allow": "nosuch=a"}, "services.probe.allow: nosuch: no such method on Probe"),
        ({"tls_client_auth": "none", "services.probe.allow": "slow=a"}, "services.probe.allow: allow-lists check client certificate identities"),
    ],
)
def test_bad_tls_settings_stop_start_up_naming_the_setting(pki: Pki, settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as e:
        InProcessHost(lambda: [create_probe()], **pki.settings(**settings)).start()
    assert message in str(e.value)


# -- SIGHUP: new certificates for new connections, none dropped -------------------------------------


class ThriftConn:
    """One TLS connection kept open across calls."""

    def __init__(self, addr: tuple[str, int], ctx: ssl.SSLContext) -> None:
        self.sock = ctx.wrap_socket(socket.create_connection(addr, timeout=5), server_hostname="localhost")
        self.seqid = 0

    def slow(self, ms: int) -> int:
        self.seqid += 1
        out = bytearray()
        PBIN.write_message_begin(out, "slow", CALL, self.seqid)
        PBIN.write_args(PROBE.methods["slow"], [ms], out)
        self.sock.sendall(struct.pack(">i", len(out)) + out)
        buf = b""
        while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed without a reply")
            buf += chunk
        name, mtype, seqid, p = PBIN.read_message_begin(buf[4:], 0)
        assert (mtype, seqid) == (REPLY, self.seqid)
        return PBIN.read_result(PROBE.methods["slow"], buf[4:], p)[1]

    def server_identity(self) -> str:
        return next(v for k, v in self.sock.getpeercert()["subjectAltName"] if k == "URI")

    def close(self) -> None:
        self.sock.close()


def test_sighup_reloads_certificates_and_cas_without_dropping_connections(aviary_process, tmp_path: Path) -> None:
    import shutil
    import signal

    one, two = CA(tmp_path / "one", "one"), CA(tmp_path / "two", "two")
    server1, alice1 = one.issue("server1", uri="spiffe://aviary.test/server-1"), one.issue("alice1", uri=ALICE)
    server2, alice2 = two.issue("server2", uri="spiffe://aviary.test/server-2"), two.issue("alice2", uri=ALICE)
    live = {"cert": tmp_path / "live.pem", "key": tmp_path / "live.key", "ca": tmp_path / "live-ca.pem"}

    def install(server: Issued, ca: CA) -> None:
        for src, dst in ((server.cert, live["cert"]), (server.key, live["key"]), (ca.pem, live["ca"])):
            shutil.copy(src, dst.with_suffix(".tmp"))
            dst.with_suffix(".tmp").replace(dst)  # as a deploy tool would: never half a file

    def ctx_for(who: Issued) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(one.pem))
        ctx.load_verify_locations(cafile=str(two.pem))
        ctx.load_cert_chain(str(who.cert), str(who.key))
        return ctx

    install(server1, one)
    env = {"PYTHONPATH": str(ROOT / "tests"), "AVIARY_TLS_CERT": str(live["cert"]), "AVIARY_TLS_KEY": str(live["key"]), "AVIARY_TLS_CA": str(live["ca"])}
    p = aviary_process("run", "probe:create", "--zk", "none", "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0", env=env)
    old = ThriftConn(p.addr("probe"), ctx_for(alice1))
    assert (old.slow(1), old.server_identity()) == (1, "spiffe://aviary.test/server-1")
    http_port = p.addr("probe", "http")[1]
    old_http = httpx.Client(verify=ctx_for(alice1), timeout=5)
    assert old_http.post(f"https://localhost:{http_port}/Probe/slow", json={"ms": 1}).json() == 1

    install(server2, two)
    p.proc.send_signal(signal.SIGHUP)
    p.wait_line("^SIGHUP: reloaded TLS certificates")
    assert old.slow(2) == 2  # established connections carry on, Thrift and HTTP alike
    assert old_http.post(f"https://localhost:{http_port}/Probe/slow", json={"ms": 2}).json() == 2
    with pytest.raises(OSError):  # CA one is no longer trusted for new connections
        ThriftConn(p.addr("probe"), ctx_for(alice1)).slow(3)
    new = ThriftConn(p.addr("probe"), ctx_for(alice2))
    assert (new.slow(4), new.server_identity()) == (4, "spiffe://aviary.test/server-2")

    live["cert"].write_text("not a certificate")  # a bad file: the reload fails and changes nothing
    p.proc.send_signal(signal.SIGHUP)
    p.wait_line("^SIGHUP: reload failed, nothing changed: tls_cert")
    again = ThriftConn(p.addr("probe"), ctx_for(alice2))
    assert (again.slow(5), again.server_identity()) == (5, "spiffe://aviary.test/server-2")
    for c in (old, new, again):
        c.close()
    old_http.close()
    assert p.stop() == 0


def test_client_context_is_the_matching_client_side(host: InProcessHost, pki: Pki) -> None:
    from framework import config
    from framework.tls import client_context

    as_alice = config.load(env={}, flags={"tls_cert": str(pki.alice.cert), "tls_key": str(pki.alice.key), "tls_ca": str(pki.ca.pem)})
    ctx = client_context(as_alice)
    assert ctx is not None and ctx.check_hostname and ctx.verify_mode == ssl.CERT_REQUIRED
    assert thrift_call(host.addr("probe"), ctx, "whoami", [])[1][1]["identity"] == ALICE
    assert client_context(config.load(env={}, flags={})) is None  # no tls_cert: plaintext
    wrong_ca = config.load(env={}, flags={"tls_cert": str(pki.alice.cert), "tls_key": str(pki.alice.key), "tls_ca": str(pki.other_ca.pem)})
    with pytest.raises(ssl.SSLCertVerificationError):  # the server's certificate is checked too
        thrift_call(host.addr("probe"), client_context(wrong_ca))
