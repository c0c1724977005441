"""Settings: one name each, read from a TOML file, then ``AVIARY_*`` environment variables, then
command-line flags (later wins). A bad value stops start-up with the setting's name and where
the value came from.

Host-wide settings sit at the top of the file; per-service ones under ``[services.<name>]``
(ports, and whatever the service's plugin declares). Environment: ``AVIARY_THRIFT_PORT=9999``,
``AVIARY_EVENTLOG__DATA_DIR=/var/lib/events`` (service, two underscores, setting).
Flags: ``--thrift-port 9999``, or ``--set eventlog.data_dir=/var/lib/events`` for any setting.

A file or a flag naming no setting stops start-up (a typo must not pass unnoticed); an
``AVIARY_*`` variable naming none is ignored with one warning line naming it, because the
environment is shared with the platform: Kubernetes sets ``AVIARY_ECHO_SERVICE_HOST``,
``AVIARY_ECHO_PORT=tcp://…`` and more in every pod of a namespace with a Service named
``aviary-echo``.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from .errors import ConfigError

__all__ = ["Setting", "Settings", "HOST_SETTINGS", "SERVICE_SETTINGS", "load", "port", "positive", "text", "boolean", "number", "choice"]

Parse = Callable[[Any], Any]


@dataclass(frozen=True)
class Setting:
    """A named, typed setting. `parse` turns a TOML value or environment text into the value,
    raising ValueError with a message the user can act on."""

    name: str
    default: Any
    parse: Parse
    help: str


# -- parsers ---------------------------------------------------------------------------------


def text(v: Any) -> str:
    if isinstance(v, (dict, list)):
        raise ValueError(f"expected text, got {type(v).__name__}")
    return str(v)


def _int(v: Any) -> int:
    if isinstance(v, bool):
        raise ValueError("expected a whole number, got a boolean")
    if isinstance(v, int):
        return v
    try:
        return int(str(v).strip(), 10)
    except ValueError:
        raise ValueError(f"expected a whole number, got {v!r}") from None


def port(v: Any) -> int:
    n = _int(v)
    if not 0 <= n <= 65535:
        raise ValueError(f"expected a port number from 0 to 65535 (0: any free port), got {n}")
    return n


def positive(v: Any) -> int:
    n = _int(v)
    if n < 1:
        raise ValueError(f"expected a number of at least 1, got {n}")
    return n


def non_negative(v: Any) -> int:
    n = _int(v)
    if n < 0:
        raise ValueError(f"expected a number of at least 0, got {n}")
    return n


def worker_count(v: Any) -> int:
    """Serving processes: a number of at least 1, or ``auto`` (also 0): one per core."""
    if isinstance(v, str) and v.strip().lower() == "auto":
        return 0
    try:
        return non_negative(v)
    except ValueError:
        raise ValueError(f"expected a number of processes of at least 1, or auto (one per core), got {v!r}") from None


def number(v: Any) -> float:
    if isinstance(v, bool):
        raise ValueError("expected a number, got a boolean")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number, got {v!r}") from None
    if f < 0:
        raise ValueError(f"expected a number of at least 0, got {f:g}")
    return f


def fraction(v: Any) -> float:
    f = number(v)
    if f > 1:
        raise ValueError(f"expected a number from 0 to 1, got {f:g}")
    return f


def boolean(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("1", "true", "yes", "on"):
        return True
    if s in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {v!r}")


def choice(*options: str) -> Parse:
    def parse(v: Any) -> str:
        s = text(v)
        if s not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {s!r}")
        return s

    parse.options = options  # type: ignore[attr-defined]  # the generated settings reference lists them
    return parse


def size(v: Any) -> int:
    """Bytes, as a number or with a unit: 16MiB, 512KiB, 1GiB."""
    if isinstance(v, int) and not isinstance(v, bool):
        n = v
    else:
        s = str(v).strip()
        units = {"gib": 1 << 30, "mib": 1 << 20, "kib": 1 << 10, "gb": 10**9, "mb": 10**6, "kb": 10**3, "b": 1}
        for unit, mult in units.items():
            if s.lower().endswith(unit):
                try:
                    n = int(float(s[: -len(unit)]) * mult)
                except ValueError:
                    raise ValueError(f"expected a size such as 16MiB, got {v!r}") from None
                break
        else:
            try:
                n = _int(s)
            except ValueError:
                raise ValueError(f"expected a size such as 16MiB or 1048576, got {v!r}") from None
    if n < 1:
        raise ValueError(f"expected a size of at least 1 byte, got {n}")
    return n


def zk_path(v: Any) -> str:
    s = text(v)
    if not s.startswith("/") or (len(s) > 1 and s.endswith("/")) or "//" in s:
        raise ValueError(f"expected a ZooKeeper path such as /aviary, got {s!r}")
    return s


def dtab_text(v: Any) -> str:
    from .dtab import BadDtab, parse_dtab

    s = text(v)
    try:
        parse_dtab(s)
    except BadDtab as e:
        raise ValueError(f"expected a dtab such as '/s => /$/zk2/zk:2181/aviary/prod': {e}") from None
    return s


# Allow-lists (`framework.access` applies them; here, only what a setting's value may be).

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


def parse_admin_allow(v: Any) -> dict[str, list[str]]:
    """A list of networks and identities (every endpoint that writes), text ``a,b``, or the
    `parse_allow` table/text keyed by admin path: ``/quitquitquit=10.0.0.0/8;*=spiffe://ops``.
    The value kept is plain data, ``{path: [entry, …]}`` (it is shown on /admin/registry.json);
    `AdminAllow` is built from it."""
    if isinstance(v, (list, tuple)):
        v = {"*": list(v)}
    elif isinstance(v, str) and "=" not in v:
        v = {"*": [e.strip() for e in v.split(",") if e.strip()]}
    rules = parse_allow(v)
    for path in rules:
        if path != "*" and not path.startswith("/"):
            raise ValueError(f"expected an admin path such as /quitquitquit, or \"*\", got {path!r}")
    return {path: sorted(entries) for path, entries in rules.items()}


# -- the settings ----------------------------------------------------------------------------

HOST_SETTINGS: tuple[Setting, ...] = (
    Setting("zk", "embedded", text, "ZooKeeper to announce in: host:port[,host:port…], 'embedded' (start one) or 'none'"),
    Setting("zk_embedded_port", 0, port, "client port of the embedded ZooKeeper (zk = 'embedded'; 0: any free port)"),
    Setting("zk_root", "/aviary", zk_path, "root path of the serversets: members live at <zk_root>/<env>/<service>"),
    Setting("zk_session_timeout_s", 10.0, number, "ZooKeeper session timeout in seconds"),
    Setting("zk_digest", "", text, "digest ACL credentials 'user:password' for the znodes Aviary creates (empty: open ACL)"),
    Setting("curator", False, boolean, "also announce in Curator x-discovery format (what Spring Cloud Zookeeper reads)"),
    Setting("curator_root", "/services", zk_path, "root path of Curator x-discovery registrations"),
    Setting("dtab", "", dtab_text, "base delegation table that clients bind logical destinations (/s/echo) through, e.g. '/s => /$/zk2/zk:2181/aviary/prod'"),
    Setting("env", "dev", text, "environment name, the middle of the serverset path"),
    Setting("production", False, boolean, "marks a production environment (the mock plugin refuses 'replace' mode there)"),
    Setting("shard", 0, non_negative, "shard number written in the member"),
    Setting("bind", "0.0.0.0", text, "address the ports listen on"),
    Setting("advertise_host", "", text, "host written to ZooKeeper (default: this machine's name, or 127.0.0.1 when bound to loopback)"),
    Setting("thrift_port", 9999, port, "Thrift port of the first service (0: any free port)"),
    Setting("http_port", 8888, port, "HTTP port of the first service (0: any free port)"),
    Setting("admin_port", 9990, port, "admin HTTP port (0: any free port)"),
    Setting(
        "admin_allow",
        {},
        parse_admin_allow,
        "who besides loopback may use admin endpoints that change the process (POST /quitquitquit, …): networks and/or TLS identities, "
        "a list, or a table by admin path like allow's (see framework.access); reading endpoints are open to all",
    ),
    Setting("workers", 1, worker_count, "serving processes sharing the ports: 1, N, or auto (0): one per core; each has its own handler and memory"),
    Setting("max_frame_bytes", 16 << 20, size, "largest Thrift frame accepted; a larger one closes that connection"),
    Setting("max_body_bytes", 4 << 20, size, "largest HTTP request body accepted; larger gets 413"),
    Setting("rest_fast_path", True, boolean, "answer the IDL's generated REST routes straight from the HTTP parser (false: every request through Starlette/ASGI)"),
    Setting("max_json_depth", 64, positive, "deepest nesting of arrays and objects accepted in a JSON body; deeper gets 400"),
    Setting("stall_timeout_s", 30.0, number, "close a Thrift connection that sends part of a message and then nothing for this long"),
    Setting("max_connections", 10000, positive, "connections each port holds at most; past it a new connection is closed as it is accepted"),
    Setting(
        "http_header_timeout_s", 10.0, number, "an HTTP request's head must arrive within this long of the connection opening or its first byte, else 408 and close (0: no limit)"
    ),
    Setting("thrift_idle_timeout_s", 0.0, number, "close a Thrift connection with no call running and nothing received for this long (0: never, as Finagle)"),
    Setting("max_pending_calls", 0, non_negative, "calls a service may have pending before it refuses more, retryably (NACK, LOADSHEDDING, 503; 0: no limit)"),
    Setting("handler_threads", 32, positive, "threads running plain (non-async) handler methods"),
    Setting(
        "drain_grace_s",
        5.0,
        number,
        "after leaving ZooKeeper, keep serving this long before closing ports: ZooKeeper's watchers (Aviary's clients) see the member go "
        "within milliseconds, Kubernetes' Service routing within a second or two; 5 s covers both with margin, and with "
        "shutdown_timeout_s fits Kubernetes' default 30 s terminationGracePeriodSeconds (README: Defaults)",
    ),
    Setting(
        "shutdown_timeout_s", 20.0, number, "longest wait for calls in flight once the ports close (with drain_grace_s: 25 s, under Kubernetes' default 30 s)"
    ),
    Setting("docs_url", "", text, "where the admin dashboard's docs link points, e.g. your built docs site (empty: the dashboard's own list of admin routes)"),
    Setting("log_level", "info", choice("debug", "info", "warning", "error"), "log level"),
    Setting("telemetry", True, boolean, "per-method metrics and tracing on every call (off only to measure what they cost)"),
    Setting("trace_sample_rate", 0.001, fraction, "share of calls whose caller left sampling undecided that are traced (0 to 1)"),
    Setting("zipkin_url", "", text, "send sampled spans as Zipkin JSON v2 to this URL, e.g. http://zipkin:9411/api/v2/spans"),
    Setting("trace_scribe", "", text, "send sampled spans to this Scribe host:port in category 'zipkin', as Finagle does"),
    Setting("tls_cert", "", text, "PEM certificate (chain) of this process: TLS on every port and for clients (empty: plaintext)"),
    Setting("tls_key", "", text, "PEM private key of tls_cert (empty: the key is in the tls_cert file)"),
    Setting("tls_ca", "", text, "PEM bundle of the CAs peers' certificates must come from"),
    Setting("tls_client_auth", "required", choice("required", "optional", "none"), "client certificates: required (mutual TLS), optional, or none"),
    Setting("tls_check_hostname", True, boolean, "clients check that a server's certificate names the host they dialled"),
)

SERVICE_SETTINGS: tuple[Setting, ...] = (
    Setting("thrift_port", None, port, "this service's Thrift port (default: see the host's thrift_port)"),
    Setting("http_port", None, port, "this service's HTTP port (default: see the host's http_port)"),
    Setting("share_thrift_port", None, text, "serve this service on the Thrift port of the named service (started before it in this host): multiplexed callers name either, plain callers get that port's own"),
    Setting("announce_path", None, zk_path, "full serverset path to announce this service at (default: <zk_root>/<env>/<service>)"),
    Setting("max_pending_calls", None, non_negative, "this service's pending-call limit (default: the host's max_pending_calls)"),
    Setting("access_log", False, boolean, "log every call of this service on the logger aviary.access: 'Echo.repeat ok 1.2ms thrift' (see framework.access_log)"),
    Setting("allow", None, parse_allow, "per-method allow-lists of client identities: {method = [identity, …], \"*\" = […]} (see framework.access)"),
)


class Settings:
    """Resolved settings: attributes by name, plus `services[name]` for per-service ones."""

    def __init__(self, values: dict[str, Any], services: dict[str, dict[str, Any]] | None = None, sources: dict[str, str] | None = None) -> None:
        self._values = values
        self.services: dict[str, dict[str, Any]] = services or {}
        self.sources = sources or {}

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def as_dict(self) -> dict[str, Any]:
        return {**self._values, "services": {k: dict(v) for k, v in self.services.items()}}

    def replace(self, **changes: Any) -> Settings:
        return Settings({**self._values, **changes}, {k: dict(v) for k, v in self.services.items()}, dict(self.sources))

    def service(self, name: str, declared: Iterable[Setting] = ()) -> dict[str, Any]:
        """One service's settings checked against what its plugin declares (defaults filled)."""
        raw = dict(self.services.get(name, {}))
        specs = {s.name: s for s in (*SERVICE_SETTINGS, *declared)}
        out: dict[str, Any] = {}
        for key, value in raw.items():
            spec = specs.get(key)
            where = self.sources.get(f"services.{name}.{key}", "the config file")
            if spec is None and where.startswith(ENVIRONMENT):
                _ignored(where[len(ENVIRONMENT) :], f"service {name!r} has no setting {key!r}")
                del self.services[name][key]  # ignored once: not warned again, not passed to workers
                continue
            if spec is None:
                known = ", ".join(sorted(specs))
                raise ConfigError(f"services.{name}.{key}", f"unknown setting for service {name!r} (from {where}; known: {known})")
            out[key] = _parse(spec, value, f"services.{name}.{key}", where)
        for spec in specs.values():
            out.setdefault(spec.name, spec.default)
        return out

    def service_setting(self, name: str, key: str) -> Any:
        """One framework-wide service setting (`SERVICE_SETTINGS`), e.g. ``announce_path``,
        without checking the rest of the table: a plugin's own keys are checked by `service`
        when the host starts it, with its declared settings."""
        spec = next(s for s in SERVICE_SETTINGS if s.name == key)
        raw = self.services.get(name, {})
        if key not in raw:
            return spec.default
        return _parse(spec, raw[key], f"services.{name}.{key}", self.sources.get(f"services.{name}.{key}", "the config file"))


ENVIRONMENT = "environment variable "  # how a value's source reads when it came from the environment
_SERVICE_LINK = re.compile(r"^(tcp|udp|sctp)://[^/\s]+:\d+$")
log = logging.getLogger("aviary.config")


def _ignored(variable: str, why: str) -> None:
    """An ``AVIARY_*`` variable that is not Aviary's: platforms set such variables themselves
    (Kubernetes, for every Service of the namespace: ``<SERVICE>_SERVICE_HOST``,
    ``<SERVICE>_PORT``, …), so one line says so and start-up carries on."""
    log.warning("ignoring environment variable %s: %s (aviary run --help lists the settings)", variable, why)


def _parse(spec: Setting, value: Any, name: str, where: str) -> Any:
    try:
        return spec.parse(value)
    except ValueError as e:
        raise ConfigError(name, f"{e} (from {where})") from None


def load(
    file: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> Settings:
    """Resolve settings: built-in defaults < a command's `defaults` < TOML `file` < environment
    < `flags`.

    `flags` and `defaults` map setting names to values; a ``services.<name>.<setting>`` key sets
    a per-service setting (what ``--set`` produces). `defaults` are a command's own starting
    point (``aviary dev``'s), which the file, environment and flags still override."""
    env = os.environ if env is None else env
    specs = {s.name: s for s in HOST_SETTINGS}
    values: dict[str, Any] = {s.name: s.default for s in HOST_SETTINGS}
    services: dict[str, dict[str, Any]] = {}
    sources: dict[str, str] = {}

    def put(key: str, value: Any, where: str) -> None:
        if key.startswith("services."):
            parts = key.split(".", 2)
            if len(parts) != 3 or not parts[1] or not parts[2]:
                raise ConfigError(key, f"expected services.<service>.<setting> (from {where})")
            services.setdefault(parts[1], {})[parts[2]] = value  # checked by Settings.service
            sources[key] = where
            return
        spec = specs.get(key)
        if spec is None:
            raise ConfigError(key, f"unknown setting (from {where}); known: {', '.join(sorted(specs))}")
        values[key] = _parse(spec, value, key, where)
        sources[key] = where

    for key, value in (defaults or {}).items():
        put(key, value, "the command's defaults")
    if file is not None:
        path = Path(file)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as e:
            raise ConfigError("config", f"cannot read {path}: {e.strerror}") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError("config", f"{path} is not valid TOML: {e}") from None
        for key, value in data.items():
            if key == "services":
                if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                    raise ConfigError("services", f"expected [services.<name>] tables (in {path})")
                for svc, table in value.items():
                    for k, v in table.items():
                        put(f"services.{svc}.{k}", v, str(path))
            else:
                put(key, value, str(path))
    for key, value in env.items():
        if not key.startswith("AVIARY_"):
            continue
        rest = key[len("AVIARY_") :].lower()
        where = f"{ENVIRONMENT}{key}"
        if _SERVICE_LINK.match(value):
            # Kubernetes' service link of a Service named aviary-<x> (AVIARY_<X>_PORT=tcp://…):
            # never a value of Aviary's, even when <x> happens to spell a setting (aviary-http).
            _ignored(key, "its value is a Kubernetes service link (tcp://HOST:PORT), not a setting's value")
        elif "__" in rest:
            svc, _, setting = rest.partition("__")
            put(f"services.{svc}.{setting}", value, where)  # checked, leniently, by Settings.service
        elif rest in specs:
            put(rest, value, where)
        else:
            _ignored(key, "it names no setting")
    for key, value in (flags or {}).items():
        if value is None:
            continue
        put(key, value, f"--{key.replace('_', '-')}" if not key.startswith("services.") else f"--set {key[9:]}")
    return Settings(values, services, sources)
