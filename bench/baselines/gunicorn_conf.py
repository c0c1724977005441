"""gunicorn settings for flask_app: one sync worker on a free port, no access log."""

from __future__ import annotations

from typing import Any

bind = "127.0.0.1:0"
workers = 1
worker_class = "sync"
accesslog = None
loglevel = "warning"


def post_worker_init(worker: Any) -> None:
    """Announce the port once the worker has loaded the app (the ready line, see _common)."""
    host, port = worker.sockets[0].getsockname()[:2]
    print(f"ready flask http={host}:{port}", flush=True)
