"""framework.idl: the runtime IDL model that codecs, routes and docs are built from."""

from pathlib import Path

import pytest

from framework import IdlError, load_idl, locate_idl
from framework.idl import T, doc_comments

TESTS = Path(__file__).resolve().parent.parent


def test_echo_service_methods_types_and_docs() -> None:
    idl = load_idl(locate_idl("echo.thrift"))
    svc = idl.service()
    assert svc.name == "Echo"
    assert list(svc.methods) == ["echo", "repeat", "put", "get", "find", "remove", "note", "notes"]
    assert svc.doc == "Echo messages, and keep the ones worth keeping."
    get = svc.methods["get"]
    assert get.annotations == {"http.method": "GET", "http.path": "/messages/{id}"}
    assert [(a.name, a.type.name, a.type.ttype) for a in get.args] == [("id", "i64", T.I64)]
    assert get.result is not None and get.result.name == "Stored"
    assert [(f.id, f.name, f.type.name) for f in get.throws] == [(1, "notFound", "NotFound")]
    assert get.doc == "Fetches a stored message by id."
    assert svc.methods["note"].oneway and svc.methods["note"].result is None
    assert svc.methods["remove"].result is None and not svc.methods["remove"].oneway
    assert svc.methods["repeat"].args[1].default == 2


def test_struct_fields_requiredness_defaults_and_field_docs() -> None:
    idl = load_idl(locate_idl("echo.thrift"))
    msg = idl.structs["Message"]
    fields = {f.name: f for f in msg.fields}
    assert fields["text"].required and not fields["tags"].required
    assert fields["volume"].default == 1 and fields["volume"].type.enum is not None
    assert fields["payload"].type.binary and fields["payload"].type.ttype == T.STRING
    assert fields["lucky"].type.name == "set<i32>" and fields["lucky"].type.item.ttype == T.I32
    assert fields["counters"].type.name == "map<string,i64>"
    assert fields["text"].doc == "The text itself; the only field a message must have."
    assert idl.structs["NotFound"].is_exception and idl.structs["NotFound"].annotations == {"http.status": "404"}
    assert idl.enums["Volume"].values == {"QUIET": 0, "NORMAL": 1, "LOUD": 2}
    assert idl.doc.startswith("The example service")


def test_includes_unions_and_recursive_structs() -> None:
    idl = load_idl(TESTS / "idl" / "probe.thrift")
    svc = idl.service("Probe")
    assert svc.methods["pair"].result.struct.name == "Pair"
    assert idl.structs["Shape"].kind == "union"
    node = idl.structs["Node"]
    children = next(f for f in node.fields if f.name == "children")
    assert children.type.item.struct is node  # the same definition: recursion is resolved
    assert set(idl.sources()) == {"probe.thrift", "shared.thrift"}


def test_unknown_service_and_bad_files_name_the_file(tmp_path: Path) -> None:
    idl = load_idl(TESTS / "idl" / "probe.thrift")
    with pytest.raises(IdlError, match="no service 'Nope'.*Probe"):
        idl.service("Nope")
    bad = tmp_path / "bad.thrift"
    bad.write_text("service X { void f( }")
    with pytest.raises(IdlError, match="bad.thrift"):
        load_idl(bad)
    with pytest.raises(IdlError, match="no such file"):
        load_idl(tmp_path / "missing.thrift")
    throws_struct = tmp_path / "t.thrift"
    throws_struct.write_text("struct S { 1: i32 x }\nservice X { void f() throws (1: S s) }")
    with pytest.raises(IdlError, match="throws S, which is not an exception"):
        load_idl(throws_struct)


def test_doc_comments_attach_to_the_next_declaration() -> None:
    text = '/** File. */\nnamespace py x\n// plain\n/** A. */\nstruct A {\n  /** the x */\n  1: i32 x, # hash\n  2: string s = "/** not a doc */",\n}\n'
    docs = doc_comments(text)
    assert docs[0] == "File."
    assert docs[5] == "A."
    assert docs[7] == "the x"
    assert len(docs) == 3
