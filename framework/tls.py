"""Mutual TLS: one configuration for every port of the process and for its clients.

Four settings say it all (see `framework.config.HOST_SETTINGS`):

* ``tls_cert``: PEM file with this process's certificate (and chain). Empty: plaintext.
* ``tls_key``: PEM file with its private key (empty: the key is in ``tls_cert``).
* ``tls_ca``: PEM bundle of the CAs whose certificates peers must present.
* ``tls_client_auth``: ``required`` (mutual TLS, the default), ``optional`` (a client may
  present no certificate; one it presents must verify) or ``none``.

`server_context(settings)` is the server side: the Thrift ports and every HTTP port (REST and
admin, all served by `framework.http_port.HttpPort`) share it. `client_context(settings)` is the
client side, presenting the same certificate. `reload(settings)` (the host calls it on SIGHUP)
reads the files again: new handshakes use the new certificates and CAs, established
connections carry on untouched; files that do not load leave the old ones in place.

The peer's *identity* is taken from its certificate, first found of: a URI subject alternative
name (``spiffe://prod/ns/payments``), a DNS subject alternative name, the subject's common
name. It reaches `Context.identity` on both transports; `framework.access` allow-lists it.
"""

from __future__ import annotations

import asyncio
import ssl
import weakref
from pathlib import Path
from typing import Any

from .config import Settings
from .errors import ConfigError

__all__ = ["server_context", "client_context", "reload", "peer_identity", "scope_identity", "asgi_tls"]

_CLIENT_AUTH = {"required": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL, "none": ssl.CERT_NONE}


def enabled(settings: Settings) -> bool:
    return bool(settings.tls_cert)


def _file(settings: Settings, name: str) -> str:
    path = getattr(settings, name)
    if not Path(path).is_file():
        raise ConfigError(name, f"no such file: {path}")
    return str(path)


def _load_identity(ctx: ssl.SSLContext, settings: Settings) -> None:
    cert = _file(settings, "tls_cert")
    key = _file(settings, "tls_key") if settings.tls_key else None
    if b"-----BEGIN CERTIFICATE-----" not in Path(cert).read_bytes():
        raise ConfigError("tls_cert", f"{cert} holds no PEM certificate")
    try:
        ctx.load_cert_chain(cert, key)
    except ssl.SSLError as e:
        why = f" ({e.reason})" if e.reason and e.reason != "PEM lib" else ""
        raise ConfigError("tls_key" if key else "tls_cert", f"{key or cert} holds no PEM private key of the certificate in {cert}{why}") from None


def _load_ca(ctx: ssl.SSLContext, settings: Settings) -> None:
    ca = _file(settings, "tls_ca")
    try:
        ctx.load_verify_locations(cafile=ca)
    except ssl.SSLError as e:
        raise ConfigError("tls_ca", f"{ca} is not a PEM bundle of CA certificates: {e.reason or e}") from None


def _build_server(settings: Settings) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    _load_identity(ctx, settings)
    ctx.verify_mode = _CLIENT_AUTH[settings.tls_client_auth]
    if settings.tls_client_auth != "none":
        if not settings.tls_ca:
            raise ConfigError("tls_ca", f"tls_client_auth = {settings.tls_client_auth} needs the CA bundle client certificates are checked against")
        _load_ca(ctx, settings)
    elif settings.tls_ca:
        _load_ca(ctx, settings)
    return ctx


class _ServerTls:
    """The listening context of every port, and the one its handshakes really use.

    Reloading builds a fresh context; the listening context's SNI callback (OpenSSL calls it
    early in every handshake, with or without a server name) switches each new connection over
    to it. Established connections keep the context they were made with, so nothing drops."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.listening = _build_server(settings)
        self.current = self.listening
        self.listening.sni_callback = self._pick

    def _pick(self, conn: ssl.SSLObject | ssl.SSLSocket, server_name: str | None, ctx: ssl.SSLContext) -> None:
        if self.current is not ctx:
            conn.context = self.current

    def reload(self) -> None:
        self.current = _build_server(self.settings)


_servers: weakref.WeakKeyDictionary[Settings, _ServerTls] = weakref.WeakKeyDictionary()


def server_context(settings: Settings) -> ssl.SSLContext | None:
    """The server-side context of the process (None: plaintext). Built once per `Settings`, so
    every port shares it and one `reload` renews them all. A missing or bad file raises
    `ConfigError` naming the setting."""
    if not enabled(settings):
        return None
    tls = _servers.get(settings)
    if tls is None:
        tls = _servers[settings] = _ServerTls(settings)
    return tls.listening


def reload(settings: Settings) -> bool:
    """Read the certificate, key and CA files again (SIGHUP). Returns False when TLS is off.
    On a bad file raises `ConfigError` and the certificates in use stay in use."""
    tls = _servers.get(settings)
    if tls is None:
        return False
    tls.reload()
    return True


def client_context(settings: Settings) -> ssl.SSLContext | None:
    """The context outgoing connections use (None: plaintext): it presents this process's
    certificate and trusts the servers `tls_ca` vouches for. It checks that the server's
    certificate names the host dialled unless ``tls_check_hostname`` is off (for members
    announced by address whose certificates carry a service identity only)."""
    if not enabled(settings):
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    _load_identity(ctx, settings)
    if not settings.tls_ca:
        raise ConfigError("tls_ca", "clients need the CA bundle server certificates are checked against")
    _load_ca(ctx, settings)
    ctx.check_hostname = bool(settings.tls_check_hostname)
    return ctx


# -- the peer's identity -------------------------------------------------------------------------


def peer_identity(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> str | None:
    """The identity in the peer's verified certificate: its URI SAN, else DNS SAN, else CN."""
    if ssl_object is None:
        return None
    cert = ssl_object.getpeercert()
    if not cert:
        return None
    sans = cert.get("subjectAltName", ())
    for kind in ("URI", "DNS"):
        for k, v in sans:
            if k == kind:
                return str(v)
    for rdn in cert.get("subject", ()):
        for k, v in rdn:
            if k == "commonName":
                return str(v)
    return None


def _rfc4514(cert: dict[str, Any]) -> str | None:
    names = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU", "countryName": "C", "localityName": "L",
             "stateOrProvinceName": "ST", "domainComponent": "DC", "userId": "UID"}  # fmt: skip
    rdns = cert.get("subject")
    if not rdns:
        return None
    return ",".join("+".join(f"{names.get(k, k)}={v}" for k, v in rdn) for rdn in reversed(rdns))


_TLS_VERSIONS = {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}


def asgi_tls(transport: asyncio.BaseTransport) -> dict[str, Any] | None:
    """The ASGI TLS extension (``scope["extensions"]["tls"]``) of one connection, plus
    Aviary's ``identity`` (see `peer_identity`)."""
    obj = transport.get_extra_info("ssl_object")
    if obj is None:
        return None
    der = obj.getpeercert(binary_form=True)
    cert = obj.getpeercert() if der else None
    return {
        "server_cert": None,
        "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
        "client_cert_name": _rfc4514(cert) if cert else None,
        "client_cert_error": None,  # a certificate that fails verification fails the handshake
        "tls_version": _TLS_VERSIONS.get(obj.version() or "", None),
        "cipher_suite": None,
        "identity": peer_identity(obj),
    }


def scope_identity(scope: dict[str, Any]) -> str | None:
    """The peer identity of an HTTP request (None without a client certificate)."""
    ext = scope.get("extensions")
    if ext is None:
        return None
    tls = ext.get("tls")
    return tls.get("identity") if tls else None
