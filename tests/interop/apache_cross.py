"""Apache Thrift's own cross-language test material (v0.17.0), fetched at test time.

`apache_thrift_tree` downloads Debian's orig tarball of Apache Thrift 0.17.0 into
tests/artifacts/ (once; git-ignored), checks its sha256 and unpacks it into a temporary
directory: ``test/py/TestClient.py``, ``test/ThriftTest.thrift`` and
``lib/java/src/crossTest/.../TestClient.java`` are used from there unmodified, and never
committed. ThriftTest.thrift, test data, is also in the IDL corpus (tests/corpus/idl/apache/).

`ThriftTestHandler` and `SecondHandler` are plain Aviary handler classes doing what Apache's
own test servers do (``test/py/TestServer.py``), so Apache's clients can check every answer.
"""

from __future__ import annotations

import hashlib
import tarfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from support import ARTIFACTS

TARBALL_URL = "http://deb.debian.org/debian/pool/main/t/thrift/thrift_0.17.0.orig.tar.gz"
THRIFT_TEST_IDL = Path(__file__).resolve().parents[1] / "corpus" / "idl" / "apache" / "test" / "ThriftTest.thrift"
TARBALL_SHA256 = "f5888bcd3b8de40c2c2ab86896867ad9b18510deb412cba3e5da76fb4c604c29"


def fetch_tarball() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / TARBALL_URL.rsplit("/", 1)[1]
    if not path.is_file() or _sha256(path) != TARBALL_SHA256:
        part = path.with_suffix(".part")
        try:
            with urllib.request.urlopen(TARBALL_URL, timeout=120) as r, part.open("wb") as f:
                while chunk := r.read(1 << 20):
                    f.write(chunk)
        except OSError as e:
            pytest.fail(f"cannot download {TARBALL_URL}: {e}", pytrace=False)
        got = _sha256(part)
        if got != TARBALL_SHA256:
            part.unlink()
            pytest.fail(f"{TARBALL_URL} has sha256 {got}, expected {TARBALL_SHA256}", pytrace=False)
        part.replace(path)
    return path


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def unpack(tarball: Path, into: Path) -> Path:
    wanted = ("thrift-0.17.0/test/", "thrift-0.17.0/lib/java/")  # the test material, no more
    with tarfile.open(tarball) as t:
        members = [m for m in t.getmembers() if m.name.startswith(wanted) and (m.isfile() or m.isdir()) and ".." not in m.name]
        t.extractall(into, members=members)
    root = into / "thrift-0.17.0"
    assert (root / "test" / "ThriftTest.thrift").is_file(), f"{tarball} holds no thrift-0.17.0/test/ThriftTest.thrift"
    return root


def load_thrift_test(idl: Path) -> Any:
    """ThriftTest.thrift, loaded by Aviary's IDL loader (the copy in the IDL corpus; the same
    file Apache's clients are generated from)."""
    from framework import load_idl

    return load_idl(idl)


class ThriftTestHandler:
    """Apache's ThriftTest service, answering as its test servers do."""

    def __init__(self, module: Any) -> None:
        self.t = module

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

    def testInsanity(self, argument: Any) -> Any:
        return {1: {2: argument, 3: argument}, 2: {6: self.t.Insanity()}}

    def testMulti(self, arg0: int, arg1: int, arg2: int, arg3: Any, arg4: int, arg5: int) -> Any:
        return self.t.Xtruct(string_thing="Hello2", byte_thing=arg0, i32_thing=arg1, i64_thing=arg2)

    def testException(self, arg: str) -> None:
        if arg == "Xception":
            raise self.t.Xception(errorCode=1001, message=arg)
        if arg == "TException":
            raise RuntimeError("This is a TException")  # undeclared: the caller gets a TApplicationException

    def testMultiException(self, arg0: str, arg1: str) -> Any:
        if arg0 == "Xception":
            raise self.t.Xception(errorCode=1001, message="This is an Xception")
        if arg0 == "Xception2":
            raise self.t.Xception2(errorCode=2002, struct_thing=self.t.Xtruct(string_thing="This is an Xception2"))
        return self.t.Xtruct(string_thing=arg1)

    def testOneway(self, secondsToSleep: int) -> None:
        time.sleep(secondsToSleep / 3)  # as Apache's server: "be quick"


class SecondHandler:
    def secondtestString(self, thing: str) -> str:
        return f'testString("{thing}")'
