"""Talk to the admin port of the Aviary process on this machine: what container health checks
and Kubernetes hooks run (the image has no curl, and the port may speak TLS).

    python adminctl.py [--config FILE] health          GET /health: exit 0 when it answers 200
    python adminctl.py [--config FILE] ping            GET /admin/ping: exit 0 when it answers 200
    python adminctl.py [--config FILE] drain [--wait S]
        POST /quitquitquit, then wait (at most S seconds) until the admin port stops
        answering, i.e. the process has drained and exited: a preStop hook that returns early
        would let the kubelet's SIGTERM interrupt the drain.

The port and TLS files come from the same settings as the process (``--config`` TOML, then
``AVIARY_*`` environment variables), read by Aviary's own loader. Exit 1 on any failure (a
bad setting included), with the reason on stderr.
"""

from __future__ import annotations

import argparse
import http.client
import ssl
import sys
import time
from typing import Any

from framework import config, tls
from framework.errors import AviaryError


def _connection(settings: Any, timeout: float) -> http.client.HTTPConnection:
    ctx = tls.client_context(settings)  # the admin port shares the process's TLS settings
    if ctx is None:
        return http.client.HTTPConnection("127.0.0.1", settings.admin_port, timeout=timeout)
    # We dial 127.0.0.1, which no certificate names: the CA check stays, the name check goes.
    ctx.check_hostname = False
    return http.client.HTTPSConnection("127.0.0.1", settings.admin_port, timeout=timeout, context=ctx)


def _request(settings: Any, method: str, path: str, timeout: float = 3.0) -> int:
    conn = _connection(settings, timeout)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="adminctl", description=__doc__.split("\n\n")[0])
    p.add_argument("--config", metavar="FILE", help="the TOML settings file the process runs with")
    p.add_argument("command", choices=("health", "ping", "drain"))
    p.add_argument("--wait", type=float, default=60.0, metavar="S", help="drain: longest wait for the process to exit")
    args = p.parse_args(argv)
    try:
        settings = config.load(args.config)
    except AviaryError as e:
        print(f"adminctl: {e}", file=sys.stderr)
        return 1  # not 2: Docker reserves a health check's exit 2
    try:
        if args.command in ("health", "ping"):
            path = "/health" if args.command == "health" else "/admin/ping"
            status = _request(settings, "GET", path)
            if status != 200:
                print(f"adminctl: {path} answered {status}", file=sys.stderr)
                return 1
            return 0
        status = _request(settings, "POST", "/quitquitquit")
        if status >= 300:
            print(f"adminctl: /quitquitquit answered {status}", file=sys.stderr)
            return 1
    except (OSError, http.client.HTTPException) as e:
        print(f"adminctl: admin port {settings.admin_port}: {e}", file=sys.stderr)
        return 1
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        try:
            _request(settings, "GET", "/admin/ping", timeout=1.0)
        except (OSError, http.client.HTTPException):
            return 0  # the port is closed: the process has drained and stopped
        time.sleep(0.5)
    print(f"adminctl: still answering {args.wait:g}s after /quitquitquit", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
