"""deploy/adminctl.py, what the image's HEALTHCHECK and the Kubernetes preStop hook run,
against real ports: it reads the port (and TLS files) from Aviary's settings, succeeds against
a live admin port, drains a process until it has exited, and fails with the reason otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from certs import CA
from support import free_port

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


def test_health_ping_and_drain_against_a_live_admin_port(aviary_process) -> None:
    p = aviary_process("run", "echo", "--zk", "none", "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0")
    env = {"AVIARY_ADMIN_PORT": str(p.addr("admin", "http")[1])}
    assert adminctl("health", env=env).returncode == 0
    assert adminctl("ping", env=env).returncode == 0
    r = adminctl("drain", "--wait", "30", env=env)
    assert r.returncode == 0, r.stderr  # it returns once the process has drained and gone
    assert p.proc is not None and p.proc.wait(10) == 0


def test_a_mutual_tls_admin_port(aviary_process, tmp_path: Path) -> None:
    """With TLS on, the admin port wants a client certificate: adminctl presents the process's
    own, from the same settings; without them it fails and says so."""
    ca = CA(tmp_path, "ops")
    leaf = ca.issue("node")
    tls = {"AVIARY_TLS_CERT": str(leaf.cert), "AVIARY_TLS_KEY": str(leaf.key), "AVIARY_TLS_CA": str(ca.pem)}
    p = aviary_process("run", "echo", "--zk", "none", "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0", env=tls)
    port = {"AVIARY_ADMIN_PORT": str(p.addr("admin", "http")[1])}
    assert adminctl("health", env={**port, **tls}).returncode == 0
    r = adminctl("health", env=port)  # plaintext to a TLS port
    assert r.returncode == 1 and f"admin port {port['AVIARY_ADMIN_PORT']}" in r.stderr
