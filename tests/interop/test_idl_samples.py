"""IDLs nobody on the project wrote, served by a plain handler and called over Thrift and REST.

Three files of the corpus (tests/corpus/idl, see its PROVENANCE.md), each loaded unmodified:
Apache's tutorial (Calculator extends shared.SharedService), Apache's test/ThriftTest.thrift
(its annotations on namespaces, typedefs, every container), and Scrooge's
ExtendedAirportService (extends a service of an included file under another namespace). The
Thrift caller is Apache's own Python library with code that Debian's `thrift --gen py`
generates from the same file at test time; the REST caller is httpx.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterator

import httpx
import pytest
from support import InProcessHost

from framework import Service, load_idl

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "idl"
TUTORIAL = CORPUS / "apache" / "tutorial" / "tutorial.thrift"
THRIFT_TEST = CORPUS / "apache" / "test" / "ThriftTest.thrift"
AIRPORT = CORPUS / "scrooge" / "scrooge-generator-tests" / "src" / "test" / "thrift" / "airport" / "extended_airport_service.thrift"


# -- Apache's generated Python code ----------------------------------------------------------


class Generated:
    """`thrift --gen py` output for one IDL (with -r, its includes too), importable while the
    fixture lasts; the modules leave sys.modules afterwards, so nothing else sees them."""

    def __init__(self, compiler: str, idl: Path, out: Path) -> None:
        out.mkdir()
        r = subprocess.run([compiler, "-r", "--gen", "py", "-out", str(out), str(idl)], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        self.out = out
        self.packages = {p.name for p in out.iterdir() if (p / "__init__.py").is_file()}
        sys.path.insert(0, str(out))

    def module(self, name: str) -> ModuleType:
        return importlib.import_module(name)

    def close(self) -> None:
        sys.path.remove(str(self.out))
        for name in [n for n in sys.modules if n.partition(".")[0] in self.packages]:
            del sys.modules[name]


@pytest.fixture
def generated(thrift_compiler: str, tmp_path: Path) -> Iterator[Callable[[Path], Generated]]:
    made: list[Generated] = []

    def make(idl: Path) -> Generated:
        g = Generated(thrift_compiler, idl, tmp_path / f"gen-{len(made)}")
        made.append(g)
        return g

    yield make
    for g in made:
        g.close()


def apache_client(client_cls: type, addr: tuple[str, int], framed: bool = True, compact: bool = False) -> tuple[Any, Any]:
    from thrift.protocol import TBinaryProtocol, TCompactProtocol
    from thrift.transport import TSocket, TTransport

    sock = TSocket.TSocket(*addr)
    sock.setTimeout(10_000)
    transport = TTransport.TFramedTransport(sock) if framed else TTransport.TBufferedTransport(sock)
    protocol = TCompactProtocol.TCompactProtocol(transport) if compact else TBinaryProtocol.TBinaryProtocol(transport)
    transport.open()
    return client_cls(protocol), transport


def serve(service: Service) -> InProcessHost:
    return InProcessHost(lambda: [service])


# -- Apache's tutorial -------------------------------------------------------------------------


class Calculator:
    """What tutorial/py/PythonServer.py does, as a plain Aviary handler."""

    def __init__(self, idl: Any) -> None:
        self.t = idl.module
        self.log: dict[int, Any] = {}

    def ping(self) -> None:
        return None

    def add(self, num1: int, num2: int) -> int:
        return num1 + num2

    def calculate(self, logid: int, w: Any) -> int:
        op = self.t.Operation
        if w.op == op.ADD:
            value = w.num1 + w.num2
        elif w.op == op.SUBTRACT:
            value = w.num1 - w.num2
        elif w.op == op.MULTIPLY:
            value = w.num1 * w.num2
        elif w.op == op.DIVIDE:
            if w.num2 == 0:
                raise self.t.InvalidOperation(whatOp=w.op, why="Cannot divide by 0")
            value = w.num1 // w.num2
        else:
            raise self.t.InvalidOperation(whatOp=w.op, why="Invalid operation")
        self.log[logid] = self.t.shared.SharedStruct(key=logid, value=str(value))
        return value

    def getStruct(self, key: int) -> Any:
        return self.log[key]

    def zip(self) -> None:
        return None


def test_tutorial_calculator_over_thrift_and_rest(generated: Callable[[Path], Generated]) -> None:
    idl = load_idl(TUTORIAL)
    assert idl.service().extends == "SharedService" and "getStruct" in idl.service().methods
    assert idl.module.INT32CONSTANT == 9853 and idl.module.MAPCONSTANT == {"hello": "world", "goodnight": "moon"}
    gen = generated(TUTORIAL)
    calc_client, ttypes = gen.module("tutorial.Calculator"), gen.module("tutorial.ttypes")
    with serve(Service(idl, Calculator(idl), name="calculator")) as host:
        for framed, compact in ((True, False), (False, True)):
            client, transport = apache_client(calc_client.Client, host.addr("calculator"), framed, compact)
            try:
                client.ping()
                assert client.add(1, 1) == 2
                assert client.calculate(1, ttypes.Work(num1=15, num2=10, op=ttypes.Operation.SUBTRACT)) == 5
                with pytest.raises(ttypes.InvalidOperation) as e:
                    client.calculate(1, ttypes.Work(num1=1, num2=0, op=ttypes.Operation.DIVIDE))
                assert (e.value.whatOp, e.value.why) == (ttypes.Operation.DIVIDE, "Cannot divide by 0")
                log = client.getStruct(1)  # inherited from shared.SharedService
                assert (log.key, log.value) == (1, "5")
                client.zip()  # oneway: no reply to wait for
                assert client.add(2, 3) == 5  # the connection carries on after the oneway
            finally:
                transport.close()
        with httpx.Client(base_url=host.url("calculator"), timeout=10) as rest:
            assert rest.post("/Calculator/add", json={"num1": 40, "num2": 2}).json() == 42
            r = rest.post("/Calculator/calculate", json={"logid": 7, "w": {"num1": 6, "num2": 7, "op": "MULTIPLY"}})
            assert r.status_code == 200 and r.json() == 42
            assert rest.post("/Calculator/getStruct", json={"key": 7}).json() == {"key": 7, "value": "42"}
            r = rest.post("/Calculator/calculate", json={"logid": 8, "w": {"num1": 1, "num2": 0, "op": "DIVIDE"}})
            assert r.status_code == 400
            assert r.json()["error"] == {"type": "InvalidOperation", "fields": {"whatOp": 4, "why": "Cannot divide by 0"}}


# -- Apache's ThriftTest -----------------------------------------------------------------------


class ThriftTest:
    """The behaviour test/py/TestServer.py gives ThriftTest, as a plain Aviary handler."""

    def __init__(self, idl: Any) -> None:
        self.t = idl.module

    def testVoid(self) -> None:
        return None

    def testString(self, thing: str) -> str:
        return thing

    def testBool(self, thing: bool) -> bool:
        return thing

    def testByte(self, thing: int) -> int:
        return thing

    def testI32(self, thing: int) -> int:
        return thing

    def testI64(self, thing: int) -> int:
        return thing

    def testDouble(self, thing: float) -> float:
        return thing

    def testBinary(self, thing: bytes) -> bytes:
        return thing

    def testStruct(self, thing: Any) -> Any:
        return thing

    def testNest(self, thing: Any) -> Any:
        return thing

    def testMap(self, thing: dict[int, int]) -> dict[int, int]:
        return thing

    def testStringMap(self, thing: dict[str, str]) -> dict[str, str]:
        return thing

    def testSet(self, thing: set[int]) -> set[int]:
        return thing

    def testList(self, thing: list[int]) -> list[int]:
        return thing

    def testEnum(self, thing: int) -> int:
        return thing

    def testTypedef(self, thing: int) -> int:
        return thing

    def testMapMap(self, hello: int) -> dict[int, dict[int, int]]:
        return {-4: {-4: -4, -3: -3, -2: -2, -1: -1}, 4: {4: 4, 3: 3, 2: 2, 1: 1}}

    def testInsanity(self, argument: Any) -> dict[int, dict[int, Any]]:
        n = self.t.Numberz
        return {1: {n.TWO: argument, n.THREE: argument}, 2: {n.SIX: self.t.Insanity()}}

    def testMulti(self, arg0: int, arg1: int, arg2: int, arg3: dict[int, str], arg4: int, arg5: int) -> Any:
        return self.t.Xtruct(string_thing="Hello2", byte_thing=arg0, i32_thing=arg1, i64_thing=arg2)

    def testException(self, arg: str) -> None:
        if arg == "Xception":
            raise self.t.Xception(errorCode=1001, message=arg)

    def testMultiException(self, arg0: str, arg1: str) -> Any:
        if arg0 == "Xception":
            raise self.t.Xception(errorCode=1001, message="This is an Xception")
        if arg0 == "Xception2":
            raise self.t.Xception2(errorCode=2002, struct_thing=self.t.Xtruct(string_thing="This is an Xception2"))
        return self.t.Xtruct(string_thing=arg1)

    def testOneway(self, secondsToSleep: int) -> None:
        time.sleep(secondsToSleep)


def test_thrift_test_over_thrift_and_rest(generated: Callable[[Path], Generated]) -> None:
    idl = load_idl(THRIFT_TEST)
    assert idl.module.__thrift_namespace_annotations__ == {"xsd": {"uri": "http://thrift.apache.org/ns/ThriftTest"}}
    gen = generated(THRIFT_TEST)
    client_mod, tt = gen.module("ThriftTest.ThriftTest"), gen.module("ThriftTest.ttypes")
    with serve(Service(idl, ThriftTest(idl), name="thrifttest", idl_service="ThriftTest")) as host:
        client, transport = apache_client(client_mod.Client, host.addr("thrifttest"))
        try:
            assert client.testVoid() is None
            assert client.testString("Python \u2713 \U0001f426") == "Python \u2713 \U0001f426"
            assert client.testBool(True) is True and client.testByte(-128) == -128
            assert client.testI32(-(2**31)) == -(2**31) and client.testI64(2**63 - 1) == 2**63 - 1
            assert client.testDouble(-5.25) == -5.25
            assert client.testBinary(bytes(range(256))) == bytes(range(256))
            x = tt.Xtruct(string_thing="Zero", byte_thing=1, i32_thing=-3, i64_thing=-5)
            assert client.testStruct(x) == x
            nest = tt.Xtruct2(byte_thing=1, struct_thing=x, i32_thing=5)
            assert client.testNest(nest) == nest
            assert client.testMap({1: 2, -3: 4}) == {1: 2, -3: 4}
            assert client.testStringMap({"a": "\u00e9"}) == {"a": "\u00e9"}
            assert client.testSet({1, 2, -3}) == {1, 2, -3}
            assert client.testList([3, 1, 2]) == [3, 1, 2]
            assert client.testEnum(tt.Numberz.EIGHT) == tt.Numberz.EIGHT
            assert client.testTypedef(2**40) == 2**40
            assert client.testMapMap(1)[4] == {4: 4, 3: 3, 2: 2, 1: 1}
            crazy = tt.Insanity(userMap={tt.Numberz.FIVE: 5}, xtructs=[x])
            insane = client.testInsanity(crazy)
            assert insane[1][tt.Numberz.TWO] == crazy and insane[2][tt.Numberz.SIX] == tt.Insanity()
            assert client.testMulti(1, 2, 3, {4: "x"}, tt.Numberz.ONE, 6) == tt.Xtruct("Hello2", 1, 2, 3)
            with pytest.raises(tt.Xception) as xc:
                client.testException("Xception")
            assert (xc.value.errorCode, xc.value.message) == (1001, "Xception")
            with pytest.raises(tt.Xception2) as xc2:
                client.testMultiException("Xception2", "x")
            assert xc2.value.errorCode == 2002 and xc2.value.struct_thing.string_thing == "This is an Xception2"
            assert client.testMultiException("no", "fine").string_thing == "fine"
            client.testOneway(0)
            assert client.testI32(7) == 7
        finally:
            transport.close()
        with httpx.Client(base_url=host.url("thrifttest"), timeout=10) as rest:
            assert rest.post("/ThriftTest/testString", json={"thing": "rest"}).json() == "rest"
            thing = {"string_thing": "s", "byte_thing": 1, "i32_thing": 2, "i64_thing": 2**62}
            assert rest.post("/ThriftTest/testStruct", json={"thing": thing}).json() == thing
            assert rest.post("/ThriftTest/testEnum", json={"thing": "FIVE"}).json() == "FIVE"
            assert rest.post("/ThriftTest/testTypedef", json={"thing": 2**62}).json() == 2**62
            r = rest.post("/ThriftTest/testMultiException", json={"arg0": "Xception", "arg1": "x"})
            assert r.status_code == 400
            assert r.json()["error"] == {"type": "Xception", "fields": {"errorCode": 1001, "message": "This is an Xception"}}


# -- Scrooge's ExtendedAirportService ----------------------------------------------------------


class Airports:
    def __init__(self, idl: Any) -> None:
        m = idl.module
        self.airport, self.location = m.airport, m.airport.location
        self.error = m.AirportException
        self.known = [
            self.airport.Airport(code="SFO", name="San Francisco", loc=self.location.Location(latitude=37.62, longitude=-122.38)),
            self.airport.Airport(code="JFK", name="New York JFK", loc=self.location.Location(latitude=40.64, longitude=-73.78)),
        ]

    def fetchAirportsInBounds(self, northWest: Any, southEast: Any) -> list[Any]:
        return [
            a
            for a in self.known
            if southEast.latitude <= a.loc.latitude <= northWest.latitude and northWest.longitude <= a.loc.longitude <= southEast.longitude
        ]

    def hasWifi(self, a: Any) -> bool:
        if a.code not in {k.code for k in self.known}:
            raise self.error(errorCode=404)
        return a.code == "SFO"


def test_scrooge_airport_service_extending_an_included_service(generated: Callable[[Path], Generated]) -> None:
    idl = load_idl(AIRPORT)
    svc = idl.service()
    assert (svc.name, svc.extends) == ("ExtendedAirportService", "AirportService")
    assert list(svc.methods) == ["hasWifi", "fetchAirportsInBounds"]
    gen = generated(AIRPORT)
    client_mod = gen.module("extended_airport_service.ExtendedAirportService")
    airport, location = gen.module("airport.ttypes"), gen.module("location.ttypes")
    ext = gen.module("extended_airport_service.ttypes")
    with serve(Service(idl, Airports(idl), name="airports")) as host:
        client, transport = apache_client(client_mod.Client, host.addr("airports"))
        try:
            west_coast = client.fetchAirportsInBounds(location.Location(50.0, -130.0), location.Location(30.0, -110.0))
            assert [a.code for a in west_coast] == ["SFO"] and west_coast[0].loc.latitude == 37.62
            assert client.hasWifi(airport.Airport(code="SFO")) is True
            with pytest.raises(ext.AirportException) as e:
                client.hasWifi(airport.Airport(code="XXX"))
            assert e.value.errorCode == 404
        finally:
            transport.close()
        with httpx.Client(base_url=host.url("airports"), timeout=10) as rest:
            r = rest.post(
                "/ExtendedAirportService/fetchAirportsInBounds",
                json={"northWest": {"latitude": 45.0, "longitude": -80.0}, "southEast": {"latitude": 35.0, "longitude": -70.0}},
            )
            assert [a["code"] for a in r.json()] == ["JFK"]
            assert rest.post("/ExtendedAirportService/hasWifi", json={"a": {"code": "JFK"}}).json() is False
            r = rest.post("/ExtendedAirportService/hasWifi", json={"a": {"code": "nope"}})
            assert r.status_code == 400 and r.json()["error"] == {"type": "AirportException", "fields": {"errorCode": 404}}
