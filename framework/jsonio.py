"""JSON text in and out: the one place Aviary turns values into JSON bytes and back.

`framework.rest.codec` maps IDL values onto what these carry; the admin port and the plugins
use them directly. `loads` refuses nesting deeper than a limit (the setting ``max_json_depth``)
before parsing, so no document can make the decoder recurse out of the stack.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["dumps", "dumps_ascii", "loads", "TooDeep", "MAX_JSON_DEPTH"]

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_dumps_ascii = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode

MAX_JSON_DEPTH = 64  # the setting max_json_depth's default: arrays and objects nested this deep
# A JSON string (skipped whole: brackets inside it do not nest) or one bracket.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_TOKENS_TEXT = re.compile(_TOKENS.pattern.decode())


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (the one place Aviary turns values into JSON bytes). Text that UTF-8
    cannot carry (a lone surrogate) raises UnicodeEncodeError, a ValueError."""
    return _dumps(value).encode()


def dumps_ascii(value: Any) -> bytes:
    """Compact JSON with everything past ASCII escaped: for error bodies, which quote what the
    caller sent, lone surrogates included, and must never fail to encode."""
    return _dumps_ascii(value).encode()


class TooDeep(ValueError):
    """JSON nested deeper than the limit: refused before parsing, as bad input."""

    def __init__(self, max_depth: int) -> None:
        super().__init__(f"JSON nested deeper than {max_depth} levels (the limit is the setting max_json_depth)")


def loads(data: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads`, refusing arrays and objects nested deeper than `max_depth` with `TooDeep`
    (a ValueError, as any other JSON that cannot be read), never a RecursionError.

    Counting brackets is C speed and bounds the depth from above, so the exact scan runs only
    for documents with more brackets than the limit."""
    if isinstance(data, str):
        if data.count("[") + data.count("{") > max_depth:
            _check_depth(_TOKENS_TEXT, data, max_depth)
    elif data.count(b"[") + data.count(b"{") > max_depth:
        _check_depth(_TOKENS, data, max_depth)
    try:
        return json.loads(data)
    except RecursionError:  # pragma: no cover - the scan above refuses such documents first
        raise TooDeep(max_depth) from None


def _check_depth(tokens: re.Pattern[Any], data: Any, max_depth: int) -> None:
    depth = 0
    opening = ("[", "{", b"[", b"{")
    for m in tokens.finditer(data):
        c = m.group()
        if len(c) != 1:
            continue  # a string
        if c in opening:
            depth += 1
            if depth > max_depth:
                raise TooDeep(max_depth)
        else:
            depth -= 1
