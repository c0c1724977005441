"""JSON text in and out: the one place Aviary turns values into JSON bytes and back.

`framework.rest.codec` maps IDL values onto what these carry; the admin port and the plugins
use them directly.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["dumps", "loads"]

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
loads = json.loads


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON."""
    return _dumps(value).encode()
