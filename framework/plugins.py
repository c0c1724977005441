"""Finding services by name: the ``aviary.services`` entry-point group.

An entry point names a factory: ``create()`` or ``create(settings)`` returning a `Service`.
The factory may declare its own settings as ``create.settings = (Setting(...), ...)``; they are
read from ``[services.<name>]`` by the one config loader and handed to it as a dict. A factory
with a ``host`` parameter also gets the host's `Settings` (``create(settings, host=...)``).
"""

from __future__ import annotations

import importlib
import inspect
from importlib.metadata import entry_points
from typing import Any, Callable

from .config import Setting, Settings
from .errors import DefinitionError
from .service import Service

__all__ = ["available", "factory", "create"]

GROUP = "aviary.services"


def available() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def factory(name: str) -> Callable[..., Service]:
    """The factory of an installed service, or of ``package.module:function`` (handy for a
    service that is not packaged yet)."""
    if ":" in name:
        module, _, attr = name.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]
        except ModuleNotFoundError as e:
            raise DefinitionError(f"cannot load service {name!r}: {type(e).__name__}: {e} (is its directory on PYTHONPATH, or its package installed?)") from None
        except Exception as e:  # a syntax error or a failing import in the user's module: say which
            raise DefinitionError(f"cannot load service {name!r}: {type(e).__name__}: {e}") from None
    eps = available()
    ep = eps.get(name)
    if ep is None:
        known = ", ".join(sorted(eps)) or "none (is the aviary package installed?)"
        raise DefinitionError(
            f"no service named {name!r} in entry-point group {GROUP}; installed: {known}."
            f" Install its package (`pip install -e .` where its pyproject.toml names it under [project.entry-points.\"{GROUP}\"]),"
            " or run it as package.module:function"
        )
    try:
        return ep.load()  # type: ignore[no-any-return]
    except Exception as e:
        raise DefinitionError(f"service {name!r} ({ep.value}) failed to load: {type(e).__name__}: {e}") from e


def declared_settings(fn: Callable[..., Any]) -> tuple[Setting, ...]:
    return tuple(getattr(fn, "settings", ()))


def create(name: str, settings: Settings) -> Service:
    """Build the service `name` with its settings (the ``[services.<name>]`` table, checked).

    For ``package.module:function`` the service is called after the module (``module``)."""
    fn = factory(name)
    key = name.partition(":")[0].rpartition(".")[2] if ":" in name else name
    params = inspect.signature(fn).parameters
    if "host" in params:  # a factory that must see host settings too (the mock checks `production`)
        service = fn(settings.service(key, declared_settings(fn)), host=settings)
    else:
        service = fn(settings.service(key, declared_settings(fn))) if params else fn()
    if not isinstance(service, Service):
        raise DefinitionError(f"service {name!r}: its factory returned {type(service).__name__}, not a framework.Service")
    service.name = key
    service.plugin = name
    service.declared_settings = declared_settings(fn)  # the host re-reads [services.<name>] with them
    return service
