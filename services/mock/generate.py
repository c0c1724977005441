"""Generated answers: a value of any IDL type, the same for the same request.

The generator is seeded with the mock's `seed`, the method and the call's arguments as
canonical JSON, so a test sees stable data across calls and runs (Prism's dynamic mode gives
new data on every call). Values are produced as JSON and decoded by the JSON codec, so a
generated answer is exactly what a stub could have said, and always fits the IDL.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from typing import Any

from framework.idl import Method, T, Type
from framework.rest.codec import JsonCodec, map_as_object

__all__ = ["Generator"]

_WORDS = (
    "amber", "birch", "cedar", "delta", "ember", "fjord", "grove", "heron", "iris", "juniper",
    "kestrel", "lark", "maple", "nectar", "osprey", "plover", "quill", "raven", "sparrow", "thrush",
)  # fmt: skip
_MAX_DEPTH = 4  # recursive structs stop growing here (optional fields left out)


class Generator:
    def __init__(self, codec: JsonCodec, seed: int = 0) -> None:
        self.codec = codec
        self.seed = seed

    def rng(self, method: Method, args_json: dict[str, Any]) -> random.Random:
        key = json.dumps([self.seed, method.service, method.name, args_json], sort_keys=True, separators=(",", ":"))
        return random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))

    def result(self, method: Method, args_json: dict[str, Any]) -> Any:
        """The generated result of `method` for these arguments (None for void)."""
        if method.result is None:
            return None
        value = self.json_value(method.result, self.rng(method, args_json), 0)
        return self.codec.decoder(method.result)(value, "generated")

    def json_value(self, t: Type, rng: random.Random, depth: int) -> Any:
        tt = t.ttype
        if t.enum is not None:
            return rng.choice(sorted(t.enum.values))
        if tt == T.BOOL:
            return rng.random() < 0.5
        if tt == T.BYTE:
            return rng.randint(0, 100)
        if tt in (T.I16, T.I32):
            return rng.randint(1, 10_000)
        if tt == T.I64:
            return rng.randint(1, 10**12)
        if tt == T.DOUBLE:
            return round(rng.uniform(0, 1000), 3)
        if tt == T.STRING and t.binary:
            return base64.b64encode(bytes(rng.getrandbits(8) for _ in range(rng.randint(4, 16)))).decode()
        if tt == T.STRING:
            return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 3)))
        if tt in (T.LIST, T.SET):
            assert t.item is not None
            n = 0 if depth >= _MAX_DEPTH else rng.randint(1, 3)
            items = [self.json_value(t.item, rng, depth + 1) for _ in range(n)]
            if tt == T.SET:
                unique = []
                for x in items:
                    if x not in unique:
                        unique.append(x)
                items = unique
            return items
        if tt == T.MAP:
            assert t.key is not None and t.value is not None
            n = 0 if depth >= _MAX_DEPTH else rng.randint(1, 3)
            pairs = [(self.json_value(t.key, rng, depth + 1), self.json_value(t.value, rng, depth + 1)) for _ in range(n)]
            if map_as_object(t.key) or t.key.enum is not None:
                return {str(k): v for k, v in pairs}
            return [{"key": k, "value": v} for k, v in pairs]
        if tt == T.STRUCT:
            assert t.struct is not None
            out: dict[str, Any] = {}
            fields = t.struct.fields
            if t.struct.kind == "union":  # exactly one member
                fields = [rng.choice(fields)] if fields else []
            for f in fields:
                if f.required or t.struct.kind == "union" or (depth < _MAX_DEPTH and rng.random() < 0.8):
                    out[f.name] = self.json_value(f.type, rng, depth + 1)
            return out
        raise AssertionError(tt)  # pragma: no cover
