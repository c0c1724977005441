"""Interop: Apache Thrift's Java TLS client (TSSLTransportFactory) over mutual TLS, with a
throwaway CA: its certificate's identity passes the allow-list for one method, not the other;
a certificate from another CA is refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography import x509

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from certs import CA, Issued  # noqa: E402
from support import InProcessHost  # noqa: E402

HERE = Path(__file__).resolve().parent
ALICE = "spiffe://aviary.test/java-alice"
PASSWORD = "interop"


def keystore(issued: Issued, path: Path) -> Path:
    key = serialization.load_pem_private_key(issued.key.read_bytes(), None)
    cert = x509.load_pem_x509_certificate(issued.cert.read_bytes())
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"client", key, cert, None, serialization.BestAvailableEncryption(PASSWORD.encode())))  # type: ignore[arg-type]
    return path


class TlsJava:
    def __init__(self, java: str, classpath: str, truststore: Path) -> None:
        self.java, self.classpath, self.truststore = java, classpath, truststore

    def run(self, port: int, store: Path) -> tuple[int, list[dict[str, Any]], str]:
        cmd = [self.java, "-XX:TieredStopAtLevel=1", "-cp", self.classpath, "TlsInterop", "localhost", str(port), str(store), str(self.truststore), PASSWORD]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        return proc.returncode, [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{")], proc.stderr


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("java-tls")
    good, other = CA(d / "good", "good"), CA(d / "other", "other")
    return {"dir": d, "ca": good, "server": good.issue("server"), "alice": good.issue("alice", uri=ALICE), "rogue": other.issue("rogue", uri=ALICE)}


@pytest.fixture(scope="module")
def tls_java(request: pytest.FixtureRequest, echo_java_client: Any, pki: dict[str, Any]) -> TlsJava:
    javac = Path(echo_java_client.java).with_name("javac")
    keytool = Path(echo_java_client.java).with_name("keytool")
    for tool in (javac, keytool):
        if not tool.exists():
            pytest.fail(f"{tool} is missing: `make test` installs it (Debian package default-jdk-headless)", pytrace=False)
    classes = pki["dir"] / "classes"
    classes.mkdir()
    subprocess.run([str(javac), "-nowarn", "-d", str(classes), "-cp", echo_java_client.classpath, str(HERE / "java" / "TlsInterop.java")], check=True, capture_output=True)
    trust = pki["dir"] / "trust.p12"
    subprocess.run([str(keytool), "-importcert", "-noprompt", "-alias", "ca", "-file", str(pki["ca"].pem), "-keystore", str(trust),
                    "-storetype", "PKCS12", "-storepass", PASSWORD], check=True, capture_output=True)  # fmt: skip
    return TlsJava(echo_java_client.java, f"{classes}:{echo_java_client.classpath}", trust)


@pytest.fixture(scope="module")
def host(pki: dict[str, Any]) -> Iterator[Any]:
    from services.echo import create

    settings = {"tls_cert": str(pki["server"].cert), "tls_key": str(pki["server"].key), "tls_ca": str(pki["ca"].pem),
                "services.echo.allow": f"repeat={ALICE}; echo=spiffe://aviary.test/someone-else"}  # fmt: skip
    with InProcessHost(lambda: [create()], **settings) as h:
        yield h


def test_java_tls_client_passes_the_allow_list_for_its_identity_only(host: Any, tls_java: TlsJava, pki: dict[str, Any]) -> None:
    rc, lines, err = tls_java.run(host.addr("echo")[1], keystore(pki["alice"], pki["dir"] / "alice.p12"))
    assert rc == 0, err
    assert lines == [
        {"call": "repeat", "ok": "ab ab"},
        {"call": "echo", "app_error": {"type": 0, "message": f"identity '{ALICE}' is not allowed to call Echo.echo"}},
    ]


def test_java_tls_client_with_a_certificate_from_another_ca_is_refused(host: Any, tls_java: TlsJava, pki: dict[str, Any]) -> None:
    rc, lines, err = tls_java.run(host.addr("echo")[1], keystore(pki["rogue"], pki["dir"] / "rogue.p12"))
    assert (rc, lines) == (3, []), err
