"""`aviary new`: what it writes installs into a fresh virtualenv and passes its own tests there,
as a user gets it (their test run starts its own ZooKeeper through framework.testing's plugin)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from framework.scaffold import ScaffoldError, create, names

AVIARY = Path(sys.executable).parent / "aviary"


def run(*args: object, cwd: Path | None = None, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AVIARY_", "PYTHON", "PYTEST"))}
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


def fresh_venv(where: Path) -> Path:
    """A new virtualenv that sees this one's packages (Aviary, pytest), as a user's project
    environment with Aviary installed does, without downloading anything."""
    run(sys.executable, "-m", "venv", "--without-pip", where)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(where), "platbase": str(where)}))
    ours = sysconfig.get_path("purelib")
    (site / "with-aviary.pth").write_text(f"import site; site.addsitedir({ours!r})\n")  # processes our .pth files too (the editable install)
    return where / "bin" / "python"


def test_new_service_installs_and_passes_its_own_tests(tmp_path: Path) -> None:
    out = run(AVIARY, "new", "user-greeter", "--dir", tmp_path).stdout
    project = tmp_path / "user-greeter"
    assert f"created {project}" in out and "aviary run user_greeter --zk none --reload" in out
    idl = (project / "user_greeter" / "user_greeter.thrift").read_text()
    assert "service UserGreeter" in idl and '(http.status = "404")' in idl and 'http.method = "GET"' in idl
    handler = (project / "user_greeter" / "__init__.py").read_text()
    assert "async def greet" in handler and "    def count" in handler

    python = fresh_venv(tmp_path / "venv")
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-build-isolation", project)
    listed = run(python, "-c", "from framework import plugins; print(sorted(plugins.available()))").stdout
    assert "user_greeter" in listed  # the entry point in its pyproject.toml
    result = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)
    assert "3 passed" in result.stdout, result.stdout


def test_names_and_refusals(tmp_path: Path) -> None:
    assert names("user-profiles") == {"name": "user-profiles", "package": "user_profiles", "service": "UserProfiles", "title": "User profiles"}
    for bad in ("Greeter", "1st", "a--b", "my service", "class", "tests"):
        with pytest.raises(ScaffoldError, match="cannot name a service"):
            names(bad)
    create("greeter", tmp_path)
    with pytest.raises(ScaffoldError, match="already exists: choose another name, or remove it first"):
        create("greeter", tmp_path)
    done = subprocess.run([str(AVIARY), "new", "Bad Name", "--dir", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 2 and "aviary: 'Bad Name' cannot name a service: use lower-case letters" in done.stderr
