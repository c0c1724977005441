"""Throwaway certificate authorities for TLS tests (made with `cryptography`, in tmp dirs only)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_DAY = datetime.timedelta(days=1)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@dataclass(frozen=True)
class Issued:
    """A certificate and its key on disk."""

    cert: Path
    key: Path
    identity: str


class CA:
    """A self-signed CA writing its files under `directory`."""

    def __init__(self, directory: Path, name: str) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _DAY)
            .not_valid_after(now + 30 * _DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.pem = self.dir / f"{name}-ca.pem"
        self.pem.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, file: str, *, uri: str | None = None, cn: str = "aviary-test", dns: tuple[str, ...] = ("localhost",),
              ips: tuple[str, ...] = ("127.0.0.1",), expired: bool = False) -> Issued:  # fmt: skip
        """A leaf certificate good for both server and client auth. Its identity (what Aviary
        reads) is `uri` if given, else the first of `dns`, else `cn`."""
        import ipaddress

        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        names: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
        names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
        if uri:
            names.append(x509.UniformResourceIdentifier(uri))
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - (10 * _DAY if expired else _DAY))
            .not_valid_after(now - 5 * _DAY if expired else now + 30 * _DAY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        )
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        cert_path, key_path = self.dir / f"{file}.pem", self.dir / f"{file}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(_pem_key(key))
        return Issued(cert_path, key_path, uri or (dns[0] if dns else cn))


ALICE = "spiffe://aviary.test/alice"
BOB = "spiffe://aviary.test/bob"


class Pki:
    """Two CAs and the certificates the TLS tests use: a server, alice, bob, names by DNS or CN
    only, an expired one and a rogue from the other CA."""

    def __init__(self, root: Path) -> None:
        self.ca = CA(root / "good", "good")
        self.other_ca = CA(root / "other", "other")
        self.server = self.ca.issue("server", uri="spiffe://aviary.test/server")
        self.alice = self.ca.issue("alice", uri=ALICE)
        self.bob = self.ca.issue("bob", uri=BOB)
        self.dns_only = self.ca.issue("dns-only", dns=("carol.aviary.test",), ips=())
        self.cn_only = self.ca.issue("cn-only", cn="dave", dns=(), ips=())
        self.expired = self.ca.issue("alice-expired", uri=ALICE, expired=True)
        self.rogue = self.other_ca.issue("rogue", uri=ALICE)  # claims alice, from the wrong CA

    def settings(self, **more: Any) -> dict[str, Any]:
        """A TLS server's settings (the host's certificate, this CA), plus `more`."""
        return {"tls_cert": str(self.server.cert), "tls_key": str(self.server.key), "tls_ca": str(self.ca.pem), **more}

    def client_settings(self, who: Issued) -> Any:
        """The settings of a client presenting `who`'s certificate and trusting this CA."""
        from framework import config

        return config.load(env={}, flags={"tls_cert": str(who.cert), "tls_key": str(who.key), "tls_ca": str(self.ca.pem)})
