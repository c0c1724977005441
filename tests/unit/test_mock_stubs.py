"""The mock plugin's stub loading and matching rules, without sockets: bad stubs are refused at
load naming the file and the field; matchers follow WireMock's documented semantics; generated
answers are stable; `replace` mode is refused in production."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from framework import config, plugins
from framework.errors import ConfigError
from framework.idl import load, locate
from services.mock.generate import Generator
from services.mock.matching import Incoming, StubError, json_equal
from services.mock.stubs import StubStore, load_folder

ECHO = load(locate("echo.thrift")).service("Echo")


def folder(tmp_path: Path, files: dict[str, str]) -> Path:
    d = tmp_path / "mappings"
    d.mkdir(parents=True)
    for name, text in files.items():
        (d / name).write_text(text)
    return d


def load_error(tmp_path: Path, files: dict[str, str]) -> StubError:
    with pytest.raises(StubError) as e:
        load_folder(StubStore(ECHO), folder(tmp_path, files))
    return e.value


GOOD = json.dumps({"request": {"url": "/ok"}, "response": {"body": "fine"}})


def test_invalid_json_is_refused_with_the_file(tmp_path: Path) -> None:
    e = load_error(tmp_path, {"a-good.json": GOOD, "b-broken.json": '{"request": {"url": "/x"},'})
    assert e.source.endswith("b-broken.json") and "not valid JSON" in str(e)


def test_unknown_matcher_is_refused_with_the_field(tmp_path: Path) -> None:
    stub = {"request": {"url": "/x", "headers": {"Accept": {"startsWith": "text"}}}, "response": {}}
    e = load_error(tmp_path, {"m.json": json.dumps(stub)})
    assert e.source.endswith("m.json") and e.field == "request.headers.Accept.startsWith"
    assert "unknown matcher" in str(e) and "equalToJson" in str(e)  # the message lists the known ones


def test_unknown_fields_are_refused(tmp_path: Path) -> None:
    e = load_error(tmp_path, {"m.json": json.dumps({"request": {"url": "/x", "verb": "GET"}})})
    assert e.field == "request.verb"
    e = load_error(tmp_path / "2", {"m.json": json.dumps({"request": {"url": "/x"}, "response": {"bodyy": "x"}})})
    assert e.field == "response.bodyy"


def test_a_result_that_does_not_fit_the_idl_is_refused(tmp_path: Path) -> None:
    stub = {"request": {"service": "Echo", "method": "put"}, "response": {"result": {"id": 1, "message": {"text": 5}, "storedAtMs": 0}}}
    e = load_error(tmp_path, {"put.json": json.dumps(stub)})
    assert e.source.endswith("put.json") and e.field == "response.result.message.text"
    assert "expected string, got integer" in str(e) and "Stored" in str(e)


def test_thrift_stub_errors_name_the_field(tmp_path: Path) -> None:
    cases = {
        "request.method": {"request": {"service": "Echo", "method": "nosuch"}, "response": {}},
        "request.service": {"request": {"service": "Other", "method": "echo"}, "response": {}},
        "response.exception.type": {"request": {"service": "Echo", "method": "echo"}, "response": {"exception": {"type": "NotFound"}}},
        "response.exception.fields.id": {"request": {"service": "Echo", "method": "get"}, "response": {"exception": {"type": "NotFound", "fields": {"id": "x"}}}},
        "response.applicationException.type": {"request": {"service": "Echo", "method": "get"}, "response": {"applicationException": {"type": "OOPS"}}},
        "response.fault": {"request": {"service": "Echo", "method": "get"}, "response": {"fault": "EXPLODE"}},
        "request.bodyPatterns[0].matchesJsonPath": {"request": {"service": "Echo", "method": "get", "bodyPatterns": [{"matchesJsonPath": "$[?("}]}},
        "mappings[1].request.urlPattern": {"mappings": [{"request": {"url": "/a"}}, {"request": {"urlPattern": "(["}}]},
    }
    for i, (field, stub) in enumerate(cases.items()):
        e = load_error(tmp_path / str(i), {"s.json": json.dumps(stub)})
        assert e.field == field, (field, str(e))


def test_bad_stubs_stop_start_up_with_the_file_and_field(tmp_path: Path) -> None:
    d = folder(tmp_path, {"m.json": json.dumps({"request": {"url": "/x", "bodyPatterns": [{"equalToXml": "<a/>"}]}})})
    settings = config.load(env={}, flags={"services.mock.mappings": str(d)})
    with pytest.raises(StubError) as e:
        plugins.create("mock", settings)
    assert "m.json" in str(e.value) and "request.bodyPatterns[0].equalToXml" in str(e.value)


def test_replace_mode_is_refused_in_production() -> None:
    with pytest.raises(ConfigError) as e:
        plugins.create("mock", config.load(env={}, flags={"production": "true", "services.mock.mode": "replace"}))
    assert e.value.setting == "services.mock.mode" and "production" in str(e.value)
    with pytest.raises(ConfigError, match="not marked production = false"):  # unmarked is not enough
        plugins.create("mock", config.load(env={}, flags={"services.mock.mode": "replace"}))
    service = plugins.create("mock", config.load(env={}, flags={"production": "false", "services.mock.mode": "replace"}))
    assert service.announce_mode == "replace"
    with pytest.raises(ConfigError):
        config.load(env={}, flags={"services.mock.mode": "swap"}).service("mock", plugins.declared_settings(plugins.factory("mock")))


def test_json_equal_follows_wiremock() -> None:
    assert json_equal({"a": [1, 2]}, {"a": [1.0, 2]})
    assert not json_equal({"a": 1}, {"a": True})
    assert not json_equal({"a": [1, 2]}, {"a": [2, 1]})
    assert json_equal({"a": [1, 2]}, {"a": [2, 1]}, ignore_order=True)
    assert json_equal({"a": 1}, {"a": 1, "b": 2}, ignore_extra=True)
    assert not json_equal({"a": 1}, {"a": 1, "b": 2})
    assert json_equal({"id": "${json-unit.any-number}", "n": "${json-unit.ignore}"}, {"id": 5, "n": [1]})
    assert not json_equal({"id": "${json-unit.any-number}"}, {"id": "5"})
    assert json_equal({"s": "${json-unit.regex}[a-z]+"}, {"s": "abc"})


def stub(store: StubStore, spec: dict[str, Any]) -> Any:
    return store.add(store.parse(spec, "test"))


def test_thrift_args_are_matched_as_json() -> None:
    store = StubStore(ECHO)
    s = stub(store, {"request": {"service": "Echo", "method": "repeat", "bodyPatterns": [{"equalToJson": {"text": "a"}, "ignoreExtraElements": True}]}, "response": {"result": "x"}})
    call = Incoming("repeat", "/Echo/repeat", body=b'{"text":"a","times":2}', service="Echo")
    assert store.match(call) is s
    assert store.match(Incoming("repeat", "/Echo/repeat", body=b'{"text":"b","times":2}', service="Echo")) is None
    # an HTTP request on the same path is not a Thrift call
    assert store.match(Incoming("repeat", "/Echo/repeat", body=b'{"text":"a","times":2}')) is None


def test_generated_answers_are_stable_and_fit_the_idl() -> None:
    store = StubStore(ECHO)
    gen = Generator(store.codec, seed=1)
    m = ECHO.methods["find"]
    a = gen.result(m, {"tag": "x", "limit": 3})
    assert a == gen.result(m, {"limit": 3, "tag": "x"})  # argument order does not matter
    assert a != gen.result(m, {"tag": "y", "limit": 3})
    assert Generator(store.codec, seed=2).result(m, {"tag": "x", "limit": 3}) != a
    from framework.thrift.codec import BinaryCodec

    out = bytearray()
    BinaryCodec(list(ECHO.methods.values())).write_result(m, a, out)  # encodes: it fits the IDL
    assert out


def test_thrift_scenarios_and_delays() -> None:
    import random

    store = StubStore(ECHO)
    base = {"scenarioName": "counter", "request": {"service": "Echo", "method": "notes"}}
    stub(store, {**base, "requiredScenarioState": "Started", "newScenarioState": "one", "response": {"result": 0}})
    stub(store, {**base, "requiredScenarioState": "one", "response": {"result": 1, "delayDistribution": {"type": "uniform", "lower": 5, "upper": 10}}})
    call = Incoming("notes", "/Echo/notes", body=b"{}", service="Echo")
    first, second, third = store.match(call), store.match(call), store.match(call)
    assert (first.response.value, second.response.value, third.response.value) == (0, 1, 1)
    assert 0.005 <= second.response.delay.seconds(random.Random(1)) <= 0.010
    store.scenarios.states.pop("counter")  # reset one scenario
    assert store.match(call).response.value == 0
    e = pytest.raises(StubError, store.parse, {**base, "response": {"delayDistribution": {"type": "uniform", "lower": 9, "upper": 1}}}, "x.json")
    assert e.value.field == "response.delayDistribution.lower"


def test_idl_settings_errors_name_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        plugins.create("mock", config.load(env={}, flags={"services.mock.idl": str(tmp_path / "nope.thrift")}))
    assert e.value.setting == "services.mock.idl"
    with pytest.raises(ConfigError) as e:
        plugins.create("mock", config.load(env={}, flags={"services.mock.idl": "echo.thrift", "services.mock.service": "Nope"}))
    assert e.value.setting == "services.mock.service" and "Echo" in str(e.value)
