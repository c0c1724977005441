"""framework.rest.codec: the one JSON mapping of Thrift values, with exact error paths."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import pytest

from framework import InvalidArgument, load_idl, locate_idl
from framework.rest.codec import EncodeError, JsonCodec, dumps, loads

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from probe import IDL as PROBE  # noqa: E402

ECHO = load_idl(locate_idl("echo.thrift"))
E = ECHO.module
P = PROBE.module
codec = JsonCodec()


def arg_type(idl: Any, method: str, arg: str) -> Any:
    return next(f.type for f in idl.service().methods[method].args if f.name == arg)


MESSAGE = arg_type(ECHO, "echo", "message")


def test_every_json_rule_of_the_mapping() -> None:
    msg = E.Message(text="hi", volume=E.Volume.LOUD, tags=["a"], lucky={3, 1, 2}, counters={"x": 2**63 - 1}, payload=b"\x00\xff", id=-(2**63))
    as_json = codec.encoder(MESSAGE)(msg)
    assert as_json == {
        "text": "hi",
        "volume": "LOUD",  # enums by name
        "tags": ["a"],
        "lucky": [1, 2, 3],  # sets as (sorted) arrays
        "counters": {"x": 9223372036854775807},  # i64 exact
        "payload": "AP8=",  # binary as base64
        "id": -9223372036854775808,
    }
    assert loads(dumps(as_json)) == as_json  # survives the text round trip exactly
    back = codec.decoder(MESSAGE)(as_json, "m")
    assert back == msg


def test_inputs_accept_enum_numbers_urlsafe_base64_and_integral_floats() -> None:
    dec = codec.decoder(MESSAGE)
    m = dec({"text": "x", "volume": 2, "payload": "AP_-", "id": 5.0}, "m")
    assert m.volume == 2 and m.payload == b"\x00\xff\xfe" and m.id == 5 and isinstance(m.id, int)


def test_defaults_fill_missing_fields_and_nulls() -> None:
    m = codec.decoder(MESSAGE)({"text": "x", "tags": None}, "m")
    assert m.volume == E.Volume.NORMAL and m.tags is None


@pytest.mark.parametrize(
    "value,path,message",
    [
        ({"text": 5}, "m.text", "expected string, got integer"),
        ({}, "m.text", "required"),
            ({"text": None}, "m.text", "required, got null"),
        ({"text": "x", "lucky": [1, "2"]}, "m.lucky[1]", "expected i32, got string"),
        ({"text": "x", "lucky": [2**31]}, "m.lucky[0]", "2147483648 is out of range for i32"),
        ({"text": "x", "counters": {"a": 1.5}}, "m.counters['a']", "expected i64, got number"),
        ({"text": "x", "counters": []}, "m.counters", "expected map<string,i64>, got array"),
        ({"text": "x", "volume": "SHOUT"}, "m.volume", "'SHOUT' is not a Volume (one of QUIET, NORMAL, LOUD)"),
        ({"text": "x", "volume": 7}, "m.volume", "expected a Volume name"),
        ({"text": "x", "payload": "!!"}, "m.payload", "expected base64 text for binary"),
        ({"text": "x", "id": True}, "m.id", "expected i64, got boolean"),
        ({"text": "x", "txt": 1}, "m.txt", "Message has no field 'txt'"),
        ("x", "m", "expected Message (an object), got string"),
    ],
)
def test_wrong_values_name_the_exact_path(value: Any, path: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        codec.decoder(MESSAGE)(value, "m")
    assert info.value.path == path
    assert message in info.value.message


def test_maps_with_struct_keys_travel_as_key_value_pairs() -> None:
    t = arg_type(PROBE, "label", "points")
    value = {P.Point(x=1, y=2): "a"}
    as_json = codec.encoder(t)(value)
    assert as_json == [{"key": {"x": 1, "y": 2}, "value": "a"}]
    assert codec.decoder(t)(as_json, "p") == value
    with pytest.raises(InvalidArgument, match='expected an object with "key" and "value"') as info:
        codec.decoder(t)([{"k": 1}], "p")
    assert info.value.path == "p[0]"


def test_doubles_carry_non_finite_values_as_strings() -> None:
    t = arg_type(PROBE, "numbers", "d")
    assert codec.encoder(t)(math.inf) == "Infinity"
    assert codec.encoder(t)(math.nan) == "NaN"
    assert codec.decoder(t)("-Infinity", "d") == -math.inf
    assert codec.decoder(t)(3, "d") == 3.0


def test_recursive_structs_and_unions() -> None:
    t = arg_type(PROBE, "count", "tree")
    tree = {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}
    node = codec.decoder(t)(tree, "t")
    assert node.children[0].children[0].name == "c"
    assert codec.encoder(t)(node) == tree
    shape = arg_type(PROBE, "shape", "s")
    assert codec.encoder(shape)(codec.decoder(shape)({"radius": 2.5}, "s")) == {"radius": 2.5}


def test_arguments_by_name_with_defaults_and_unknown_names() -> None:
    dec = codec.args_decoder(ECHO.service().methods["repeat"])
    assert dec({"text": "x"}) == ["x", 2]
    with pytest.raises(InvalidArgument, match="repeat takes no argument 'count'") as info:
        dec({"text": "x", "count": 3})
    assert info.value.path == "args.count"


def test_text_parameters_become_json_values_first() -> None:
    t = codec.text_to_json
    assert t(arg_type(ECHO, "get", "id"))("123", "p") == 123
    assert t(arg_type(PROBE, "numbers", "flag"))("false", "p") is False
    with pytest.raises(InvalidArgument, match="expected i64, got 'abc'"):
        t(arg_type(ECHO, "get", "id"))("abc", "p")


def test_results_that_do_not_fit_are_encode_errors_with_a_path() -> None:
    enc = codec.encoder(arg_type(ECHO, "echo", "message"))
    with pytest.raises(EncodeError) as info:
        enc(E.Message(text="x", tags=["a", 3]))
    assert str(info.value) == "tags[1]: expected string, got int"
    with pytest.raises(EncodeError, match="expected Message, got dict"):
        enc({"text": "x"})
