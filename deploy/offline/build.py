"""Build the offline bundle: Aviary and every runtime dependency as wheels, installable with no
network and no root (`make bundle`).

    python deploy/offline/build.py [--dist DIR]

writes ``DIR/aviary-offline-<version>-<platform>.tar.gz`` (DIR defaults to ``dist``), for the
platform and Python that run this script (wheels with C extensions — uvloop, httptools — are
built for one of each, so build with the Python the servers have: on Debian, /usr/bin/python3).
The archive holds one directory:

* ``wheels/``: Aviary's wheel, its dependencies' (``pip wheel`` of this checkout), and pip's
  own, so a Python without pip or ``python3-venv`` can still install;
* ``install.sh DEST``: makes a virtualenv at DEST and installs from ``wheels/`` only;
* ``eventlog_client.py``: the event log's standard-library client, to copy beside a program
  that has nothing but python3;
* ``SHA256SUMS`` (checked by ``install.sh``) and ``BUNDLE`` (what it was built from).

pip runs as this machine sets it up (its indexes, caches and constraints); only the install
step must do without a network.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def platform_tag() -> str:
    """``linux-x86_64-cp311``: the platform and the Python the wheels are for."""
    return f"{sysconfig.get_platform()}-cp{sys.version_info[0]}{sys.version_info[1]}"


def archive_name() -> str:
    return f"aviary-offline-{version()}-{platform_tag()}.tar.gz"


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args], check=True)


def build(dist: Path) -> Path:
    """Build the archive into `dist`; returns its path."""
    name = archive_name().removesuffix(".tar.gz")
    with tempfile.TemporaryDirectory(prefix="aviary-bundle-") as tmp:
        top = Path(tmp) / name
        wheels = top / "wheels"
        wheels.mkdir(parents=True)
        # A copy of the checkout, so building the wheel leaves nothing (build/, egg-info) behind.
        src = Path(tmp) / "src"
        shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "tests", "bench"))
        _pip("wheel", "--quiet", "--wheel-dir", str(wheels), str(src))
        _pip("download", "--quiet", "--only-binary", ":all:", "--dest", str(wheels), "pip")
        shutil.copy2(HERE / "install.sh", top / "install.sh")
        (top / "install.sh").chmod(0o755)
        shutil.copy2(ROOT / "services" / "eventlog" / "client.py", top / "eventlog_client.py")
        (top / "BUNDLE").write_text(
            f"aviary {version()}\nplatform {sysconfig.get_platform()}\npython {sys.version_info[0]}.{sys.version_info[1]}\n"
            + "".join(f"wheel {w.name}\n" for w in sorted(wheels.iterdir()))
        )
        sums = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(top)}\n" for p in sorted(top.rglob("*")) if p.is_file()]
        (top / "SHA256SUMS").write_text("".join(sums))
        dist.mkdir(parents=True, exist_ok=True)
        out = dist / f"{name}.tar.gz"
        partial = out.with_suffix(".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(top, arcname=name)
        partial.replace(out)  # whole or not at all: a reader never sees half an archive
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where the archive goes (default: dist/)")
    out = build(parser.parse_args().dist)
    print(f"bundle: {out}")


if __name__ == "__main__":
    main()
