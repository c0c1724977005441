"""Every decoder of outside bytes, fuzzed with hypothesis: random bytes and mutations of valid
inputs may only fail with the decoder's bad-input errors (see targets.py).

`make test` runs a bounded, derandomized pass (FUZZ_EXAMPLES examples per target,
default 300: a few seconds each); `make fuzz` runs many more, randomized (`make fuzz
FUZZ_EXAMPLES=200000`). A crash it finds goes into regressions.py.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
from regressions import REGRESSIONS  # noqa: E402
from targets import METHODS, TARGETS, Target, _JSON  # noqa: E402

from framework.errors import InvalidArgument  # noqa: E402
from framework.rest.codec import dumps_ascii  # noqa: E402

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize="FUZZ_EXAMPLES" not in os.environ,  # the suite's pass is the same every run
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def mutated(seeds: tuple[bytes, ...]) -> st.SearchStrategy[bytes]:
    """A valid input with a few bytes flipped, inserted, deleted, or cut off."""
    edit = st.tuples(st.sampled_from("flip insert delete cut".split()), st.integers(0, 1 << 16), st.integers(0, 255))

    def apply(seed: bytes, edits: list[tuple[str, int, int]]) -> bytes:
        b = bytearray(seed)
        for kind, at, byte in edits:
            i = at % (len(b) + 1)
            if kind == "flip" and i < len(b):
                b[i] = byte
            elif kind == "insert":
                b[i:i] = bytes((byte,))
            elif kind == "delete" and i < len(b):
                del b[i]
            elif kind == "cut":
                del b[i:]
        return bytes(b)

    return st.builds(apply, st.sampled_from(seeds), st.lists(edit, min_size=1, max_size=6))


def check(target: Target, data: bytes) -> None:
    try:
        target.decode(data)
    except target.bad_input:
        pass


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_seeds_decode(target: Target) -> None:
    for seed in target.seeds:  # the valid inputs really are valid: mutations start from good input
        target.decode(seed)


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_decoder_fails_only_with_bad_input_errors(target: Target) -> None:
    @FUZZ
    @given(st.one_of(mutated(target.seeds), st.binary(max_size=256)))
    def run(data: bytes) -> None:
        check(target, data)

    run()


@pytest.mark.parametrize("name,data", [(n, d) for n, ds in REGRESSIONS.items() for d in ds], ids=lambda x: x if isinstance(x, str) else "")
def test_regressions(name: str, data: bytes) -> None:
    [target] = [t for t in TARGETS if t.name == name]
    check(target, data)


# JSON arguments as values (not bytes): shaped like the IDL's, so the decoders' deep paths run.
_NAMES = sorted({f.name for m in METHODS for f in m.args} | {"text", "volume", "tags", "lucky", "counters", "payload", "id", "key", "value"})
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text() | st.sampled_from(["NaN", "LOUD", "AP8=", "-1", "1e3"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(_NAMES) | st.text(max_size=4), inner, max_size=5),
    max_leaves=20,
)


def test_json_arguments_fail_only_with_invalid_argument() -> None:
    decoders = [_JSON.args_decoder(m) for m in METHODS]

    @FUZZ
    @given(st.dictionaries(st.sampled_from(_NAMES), _JSON_VALUES, max_size=6))
    def run(named: dict[str, Any]) -> None:
        for decode in decoders:
            try:
                decode(named)
            except InvalidArgument as e:
                dumps_ascii({"error": e.to_json()})

    run()
