"""``aviary new NAME``: a service package a user can install, run and test at once.

    NAME/
      pyproject.toml          the ``aviary.services`` entry point, so ``aviary run PACKAGE`` finds it
      README.md               the commands to run, call and test it
      PACKAGE/__init__.py     the handler: one ``async def``, one plain ``def``
      PACKAGE/PACKAGE.thrift  the IDL: a struct, an exception with ``http.status``, a GET route
      tests/test_PACKAGE.py   tests with `framework.testing` that pass as written

NAME is a distribution name (``greeter``, ``user-profiles``); PACKAGE is it with ``_`` for
``-``, and the IDL service is it in CamelCase (``UserProfiles``).

May import: `framework.errors` only (it writes files; it does not run them).
"""

from __future__ import annotations

import keyword
import re
import string
from importlib.resources import files
from pathlib import Path

from ..errors import AviaryError

__all__ = ["create", "ScaffoldError", "names"]

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")

# target path (with {package}) -> template file in ./template
FILES = {
    "pyproject.toml": "pyproject.toml.tmpl",
    "README.md": "README.md.tmpl",
    "{package}/__init__.py": "__init__.py.tmpl",
    "{package}/{package}.thrift": "service.thrift.tmpl",
    "tests/test_{package}.py": "test_service.py.tmpl",
}


class ScaffoldError(AviaryError):
    pass


def names(name: str) -> dict[str, str]:
    """The names a service called `name` goes by: name, package, service (IDL), title."""
    if not _NAME.match(name):
        raise ScaffoldError(f"{name!r} cannot name a service: use lower-case letters, digits and single - or _ between them, starting with a letter (e.g. greeter, user-profiles)")
    package = name.replace("-", "_")
    if keyword.iskeyword(package) or package in ("framework", "services", "test", "tests"):
        raise ScaffoldError(f"{name!r} cannot name a service: {package!r} would shadow a Python or Aviary package; choose another name")
    words = package.split("_")
    return {"name": name, "package": package, "service": "".join(w.capitalize() for w in words), "title": " ".join(words).capitalize()}


def create(name: str, into: Path) -> Path:
    """Write the package for `name` under `into` (as ``into/NAME``); returns that directory.
    An existing directory is never overwritten."""
    values = names(name)
    root = Path(into) / name
    if root.exists():
        raise ScaffoldError(f"{root} already exists: choose another name, or remove it first")
    templates = files(__package__) / "template"
    for target, source in FILES.items():
        path = root / target.format(package=values["package"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(string.Template(templates.joinpath(source).read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
    return root
