"""deploy/adminctl.py, what the image's HEALTHCHECK and the Kubernetes preStop hook run,
against real ports: it reads the port from Aviary's settings and fails with the reason.

(The admin port's /health, /admin/ping and /quitquitquit are merged from another branch; the
success paths are to be added with them: health 200 -> 0, drain -> the process exits 0.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
ADMINCTL = ROOT / "deploy" / "adminctl.py"


def adminctl(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AVIARY_")}
    return subprocess.run([sys.executable, str(ADMINCTL), *args], capture_output=True, text=True, timeout=30, env={**clean, **env})


def test_nothing_listening_fails_with_the_port() -> None:
    port = free_port()
    r = adminctl("health", env={"AVIARY_ADMIN_PORT": str(port)})
    assert r.returncode == 1 and f"admin port {port}" in r.stderr
    r = adminctl("drain", "--wait", "1", env={"AVIARY_ADMIN_PORT": str(port)})
    assert r.returncode == 1 and f"admin port {port}" in r.stderr


def test_a_port_without_the_endpoint_fails_with_its_status(aviary_process) -> None:
    # A real Aviary HTTP port (echo's REST port) that has no /health: 404 is a failure.
    p = aviary_process("run", "echo", "--zk", "none", "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0")
    port = p.addr("echo", "http")[1]
    r = adminctl("health", env={"AVIARY_ADMIN_PORT": str(port)})
    assert r.returncode == 1 and "/health answered 404" in r.stderr
    r = adminctl("ping", env={"AVIARY_ADMIN_PORT": str(port)})
    assert r.returncode == 1 and "/admin/ping answered 404" in r.stderr
    r = adminctl("drain", env={"AVIARY_ADMIN_PORT": str(port)})
    assert r.returncode == 1 and "/quitquitquit answered" in r.stderr


def test_settings_come_from_the_same_toml_file(tmp_path: Path) -> None:
    port = free_port()
    cfg = tmp_path / "aviary.toml"
    cfg.write_text(f"admin_port = {port}\n")
    r = adminctl("--config", str(cfg), "health", env={})
    assert r.returncode == 1 and f"admin port {port}" in r.stderr
    cfg.write_text("admin_port = 'nine'\n")
    r = adminctl("--config", str(cfg), "health", env={})
    assert r.returncode == 1 and r.stderr.startswith("adminctl: ") and "admin_port" in r.stderr and "Traceback" not in r.stderr
