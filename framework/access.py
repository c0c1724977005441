"""Who may call what: per-method allow-lists of peer identities.

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
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from .errors import ConfigError, PermissionDenied

if TYPE_CHECKING:
    from .config import Settings
    from .filters import Handler
    from .service import Call, Service

__all__ = ["parse_allow", "AllowList", "allow_lists"]

Rules = dict[str, frozenset[str]]


def parse_allow(v: Any) -> Rules:
    """A TOML table ``{method = [identity, …]}``, or text ``method=id,id;method=id``."""
    if isinstance(v, Mapping):
        items = list(v.items())
    elif isinstance(v, str):
        items = []
        for part in filter(None, (p.strip() for p in v.split(";"))):
            method, sep, ids = part.partition("=")
            if not sep or not method.strip():
                raise ValueError(f"expected METHOD=IDENTITY[,IDENTITY…] separated by ';', got {part!r}")
            items.append((method.strip(), [i.strip() for i in ids.split(",") if i.strip()]))
    else:
        raise ValueError(f"expected a table of method = [identities], got {type(v).__name__}")
    out: Rules = {}
    for method, ids in items:
        if isinstance(ids, str):
            ids = [ids]
        if not isinstance(ids, (list, tuple)) or not all(isinstance(i, str) and i for i in ids):
            raise ValueError(f"{method}: expected a list of identities (strings), got {ids!r}")
        out[str(method)] = frozenset(ids)
    return out


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
