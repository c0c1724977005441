"""Inputs the fuzzers found crashing a decoder, by target name: each is replayed by the suite
(test_decoders.test_regressions) so a fixed crash stays fixed. Add every new one here."""

from __future__ import annotations

REGRESSIONS: dict[str, list[bytes]] = {
    # 100,000-deep JSON was a RecursionError (plain-text 500) before max_json_depth
    "json-body": [b'{"message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", b'{"message": {"text": "\\ud800"}}'],
}
