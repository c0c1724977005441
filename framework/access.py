"""Who may call what: per-method allow-lists of peer identities, and who may change the
process through the admin port.

A service's ``allow`` setting maps method names to the identities (see `framework.tls`) that
may call them; ``"*"`` applies to every method not named. A method with no entry (and no
``"*"``) is open to every peer the TLS handshake let in. In TOML::

    [services.payments.allow]
    refund = ["spiffe://prod/billing"]
    "*" = ["spiffe://prod/billing", "spiffe://prod/web"]

From the environment or ``--set``: ``payments.allow=refund=spiffe://prod/billing;*=a,b``.

`AllowList` is the filter enforcing it, in the one chain every transport goes through: a caller
outside the list gets `PermissionDenied` (HTTP 403, Thrift TApplicationException) and the
handler never runs.

The admin port's ``admin_allow`` takes the same table (keyed by admin path instead of method)
or just a list, and its entries may be networks as well as identities; see `AdminAllow`::

    admin_allow = ["10.0.0.0/8", "spiffe://prod/ops"]     # every admin endpoint that writes
    [admin_allow]
    "/quitquitquit" = ["10.0.0.0/8"]
    "*" = ["spiffe://prod/ops"]
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from .config import Rules, Settings, parse_admin_allow, parse_allow
from .errors import ConfigError, PermissionDenied

if TYPE_CHECKING:
    from .filters import Handler
    from .service import Call, Service

__all__ = ["parse_allow", "AllowList", "allow_lists", "AdminAllow", "parse_admin_allow", "is_loopback"]


class AllowList:
    """The filter: per service, per method, the identities allowed (services not listed: open)."""

    __slots__ = ("rules",)

    def __init__(self, rules: dict[str, Rules]) -> None:
        self.rules = rules

    async def __call__(self, call: Call, next: Handler) -> Any:
        rules = self.rules.get(call.service.name)
        if rules is not None:
            allowed = rules.get(call.method.name)
            if allowed is None:
                allowed = rules.get("*")
            if allowed is not None and call.context.identity not in allowed:
                raise PermissionDenied(_denial(call))
        return await next(call)

    def __repr__(self) -> str:
        return f"AllowList({sorted(self.rules)})"


def _denial(call: Call) -> str:
    where = f"{call.service.definition.name}.{call.method.name}"
    who = call.context.identity
    if who is None:
        return f"{where} is restricted to certain client identities, and this call came without a client certificate"
    return f"identity {who!r} is not allowed to call {where}"


def allow_lists(settings: Settings, services: list[Service]) -> AllowList | None:
    """The allow-list filter the settings ask for, or None when no service has one. Checks that
    each names real methods and that TLS with client certificates is on (without it there is no
    identity, and every call to a listed method would be refused)."""
    rules: dict[str, Rules] = {}
    for service in services:
        rule = settings.service_setting(service.name, "allow")
        if not rule:
            continue
        setting = f"services.{service.name}.allow"
        unknown = sorted(set(rule) - set(service.methods) - {"*"})
        if unknown:
            raise ConfigError(setting, f"{', '.join(unknown)}: no such method on {service.definition.name} (methods: {', '.join(service.methods)})")
        if not settings.tls_cert or settings.tls_client_auth == "none":
            raise ConfigError(setting, "allow-lists check client certificate identities: set tls_cert and tls_ca, with tls_client_auth required or optional")
        rules[service.name] = rule
    return AllowList(rules) if rules else None


# -- the admin port ----------------------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def is_loopback(host: str | None) -> bool:
    """Whether a peer address is this machine's loopback (127.0.0.0/8, ::1, or IPv4 loopback
    mapped into IPv6, as a socket bound to ``::`` reports it)."""
    address = _address(host)
    return address is not None and address.is_loopback


def _address(host: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not host:
        return None
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class AdminAllow:
    """Who, besides loopback, may use the admin endpoints that change the process: per admin
    path (``"*"``: every path not named), networks the peer's address is in and TLS identities
    (`framework.tls`) the peer presents; either admits."""

    __slots__ = ("networks", "identities")

    def __init__(self, rules: Mapping[str, Iterable[str]] | None = None) -> None:
        self.networks: dict[str, tuple[Network, ...]] = {}
        self.identities: dict[str, frozenset[str]] = {}
        for path, entries in (rules or {}).items():
            nets, ids = [], set()
            for entry in entries:
                try:
                    nets.append(ipaddress.ip_network(entry, strict=False))
                except ValueError:
                    ids.add(entry)
            self.networks[path] = tuple(nets)
            self.identities[path] = frozenset(ids)

    @property
    def paths(self) -> list[str]:
        return sorted(self.networks)

    @property
    def names_identities(self) -> bool:
        return any(self.identities.values())

    def permits(self, path: str, host: str | None, identity: str | None) -> bool:
        if is_loopback(host):
            return True
        key = path if path in self.networks else "*"
        if identity is not None and identity in self.identities.get(key, ()):
            return True
        address = _address(host)
        return address is not None and any(address in net for net in self.networks.get(key, ()))


