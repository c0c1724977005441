"""The mock plugin: a stand-in for a Thrift or REST service that is not reachable yet.

``aviary run mock --set mock.idl=idl/echo.thrift --set mock.mappings=./mocks/mappings`` serves
every method of the IDL over Thrift (every protocol Aviary speaks) and over the generated REST
routes, answers from stubs (WireMock's JSON, also for plain REST paths), from a recording of
the real service, or from data generated from the IDL types; ``/__admin`` is WireMock's admin
API and ``/__admin/ui`` a page to browse it. See README "Mock service".

Settings (``[services.mock]``): `idl`, `service`, `mappings`, `seed`, `proxy`, `record`,
`journal_size`, `mode` (shadow | replace) and `announce_path` (the serverset path to announce
under, e.g. the real service's path in a development ZooKeeper).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from framework import Service
from framework.config import Setting, Settings, boolean, choice, non_negative, positive, text, zk_path
from framework.errors import ConfigError, IdlError
from framework.idl import load as load_idl
from framework.idl import locate

from .core import Mock
from .http import mock_app
from .stubs import load_folder

__all__ = ["create", "Mock"]


def _optional_zk_path(v: Any) -> str:
    """ZooKeeper path, or empty."""
    return "" if text(v) == "" else zk_path(v)


def create(settings: dict[str, Any], host: Settings | None = None) -> Service:
    """Entry point ``mock`` in the ``aviary.services`` group."""
    mode = settings["mode"]
    if mode == "replace" and (host is None or host.production or "production" not in host.sources):
        why = "the host settings are unknown" if host is None else "the host setting production is true" if host.production else "the environment is not marked production = false"
        raise ConfigError(
            "services.mock.mode",
            f"'replace' takes the real service's place in discovery and is refused because {why}; "
            "use mode = 'shadow' (beside the real members), or mark the environment production = false",
        )
    try:
        path = Path(settings["idl"]) if settings["idl"] else locate("mock.thrift")
        if not path.is_file() and len(path.parts) == 1:
            path = locate(str(path))  # a file the project ships: idl=echo.thrift
        idl = load_idl(path)
        definition = idl.service(settings["service"] or None)
    except IdlError as e:
        raise ConfigError("services.mock.idl" if "no service" not in str(e) else "services.mock.service", str(e)) from None
    mappings = Path(settings["mappings"]) if settings["mappings"] else None
    mock = Mock(
        definition if definition.methods else None,
        seed=settings["seed"],
        journal_size=settings["journal_size"],
        mappings=mappings,
        proxy=settings["proxy"],
    )
    if mappings is not None:
        mock.store.load(load_folder(mock.store, mappings))
    if settings["record"]:
        mock.recorder.start()
    handler = mock.handler() if mock.service is not None else object()
    app = mock_app(mock, host.max_body_bytes if host is not None else 4 << 20)
    service = Service(idl, handler, idl_service=definition.name, name="mock", fallback=app, on_stop=[mock.recorder.stop])
    service.mock = mock  # type: ignore[attr-defined]  # tests and tools reach the store and journal here
    service.announce_mode = mode
    # Stubs, journal, scenarios and recordings live in this process's memory, and the admin API
    # changes them: in several workers a stub deleted through one would still answer from
    # another. One process serves the mock, whatever --workers says.
    service.one_process = True
    return service


create.settings = (  # type: ignore[attr-defined]
    Setting("idl", "", text, "the .thrift file to mock (empty: REST stubs only)"),
    Setting("service", "", text, "which service of the IDL to mock (default: the file's last)"),
    Setting("mappings", "", text, "a folder of WireMock stub mappings (*.json); __files beside it holds bodyFileName files"),
    Setting("seed", 0, non_negative, "seed of generated answers (the same request gets the same answer)"),
    Setting("proxy", "", text, "the real service to record from: host:port, inet!host:port or zk2!…"),
    Setting("record", False, boolean, "start recording from proxy at start-up"),
    Setting("journal_size", 1000, positive, "requests kept in the journal (the oldest make way)"),
    Setting("mode", "shadow", choice("shadow", "replace"), "shadow: announced beside the real members; replace: in their place (refused when production)"),
    Setting("announce_path", "", _optional_zk_path, "serverset path to announce under (e.g. the real service's)"),
)
