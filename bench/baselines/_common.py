"""What every baseline server shares: a listening socket on a free port, and the ready line.

Each baseline prints ``ready NAME KIND=HOST:PORT`` on stdout once it listens, the same line
Aviary prints, so the harness starts them all the same way.
"""

from __future__ import annotations

import socket
from pathlib import Path

HOST = "127.0.0.1"
ECHO_THRIFT = Path(__file__).resolve().parents[2] / "idl" / "echo.thrift"


def listen(host: str = HOST) -> socket.socket:
    """A listening TCP socket on any free port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(2048)
    return sock


def ready(name: str, kind: str, sock: socket.socket) -> None:
    host, port = sock.getsockname()[:2]
    print(f"ready {name} {kind}={host}:{port}", flush=True)
