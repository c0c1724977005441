"""Thrift wire codecs: binary (strict and non-strict, compiled) and compact (interpreted).

Both speak the same interface (`Codec`), used by the server, the clients, the mock and the
event log. Values are thriftpy2's: struct instances, ints for enums, str, bytes, list, set, dict.
Each protocol has its module (`binary`, `compact`) over the shared `wire`; this one builds a
service's pair and keeps the names the rest of Aviary imports.
"""

from __future__ import annotations

import weakref
from typing import Any

from ..idl import Method
from .binary import BinaryCodec, binary_message_end
from .compact import CompactCodec
from .wire import CALL, COMPACT_ID, EXCEPTION, MAX_DEPTH, ONEWAY, REPLY, VERSION_1, Codec, NeedMore

__all__ = [
    "CALL",
    "REPLY",
    "EXCEPTION",
    "ONEWAY",
    "MAX_DEPTH",
    "VERSION_1",
    "COMPACT_ID",
    "Codec",
    "BinaryCodec",
    "CompactCodec",
    "NeedMore",
    "binary_message_end",
    "codecs_for",
    "service_codecs",
]


def codecs_for(methods: list[Method]) -> tuple[BinaryCodec, CompactCodec]:
    """The codecs for one service's methods (binary compiled once, compact stateless)."""
    return BinaryCodec(methods), CompactCodec()


_by_service: weakref.WeakKeyDictionary[Any, tuple[Any, Any]] = weakref.WeakKeyDictionary()


def service_codecs(service: Any) -> tuple[Any, Any]:
    """The compiled (binary, compact) codecs of a `framework.Service`'s methods, built once per
    service on first use and shared by every port serving it."""
    found = _by_service.get(service)
    if found is None:
        found = _by_service[service] = codecs_for(list(service.methods.values()))
    return found
