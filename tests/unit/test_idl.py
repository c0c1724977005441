"""framework.idl: the runtime IDL model that codecs, routes and docs are built from."""

from pathlib import Path

import pytest

from framework import IdlError, IdlSyntaxError, load_idl, locate_idl
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


# -- what Apache's grammar allows, kept (each was refused before Aviary had its own grammar) ----


def write(tmp_path: Path, text: str, name: str = "t.thrift") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_annotations_everywhere_the_grammar_allows_them_are_kept(tmp_path: Path) -> None:
    idl = load_idl(
        write(
            tmp_path,
            'namespace py t (py.note = "ns")\n'
            'typedef i64 (cpp.type = "int64_t") Id (doc.kind = "alias")\n'
            'enum E { A (deprecated), B = 5 (label = "bee") } (enum.level = "x")\n'
            'struct S { 1: list<string> (immutable) names (field.note = "n"), 2: Id id } (struct.note = "s")\n'
            'service X { S get(1: Id id (arg.note = "a")) (http.method = "GET", http.path = "/s/{id}") } (svc.note = "v")\n',
        )
    )
    m = idl.module
    assert m.__thrift_namespace_annotations__ == {"py": {"py.note": "ns"}}
    assert m.__thrift_typedef_annotations__ == {"Id": {"doc.kind": "alias"}}
    assert m.__thrift_typedef_type_annotations__ == {"Id": {"cpp.type": "int64_t"}}
    assert m.E.__thrift_annotations__ == {"enum.level": "x"}
    assert m.E.__thrift_item_annotations__ == {"A": {"deprecated": "1"}, "B": {"label": "bee"}}  # no value: "1", as Apache
    s = idl.structs["S"]
    assert s.annotations == {"struct.note": "s"}
    assert s.fields[0].annotations == {"field.note": "n"}
    assert m.S.__thrift_field_type_annotations__ == {"names": {"immutable": "1"}}
    svc = idl.service()
    assert svc.annotations == {"svc.note": "v"}
    assert svc.methods["get"].annotations == {"http.method": "GET", "http.path": "/s/{id}"}
    assert svc.methods["get"].args[0].annotations == {"arg.note": "a"}


def test_constants_apache_allows(tmp_path: Path) -> None:
    idl = load_idl(
        write(
            tmp_path,
            "enum Color { RED = 1, GREEN = 0x10, BLUE }\n"
            'const string ESCAPED = "tab\\t quote\\" \\u00e9 \\uD83D\\uDC26 nl\\n"\n'
            "const Color FAVOURITE = Color.GREEN\n"
            "const i32 AS_INT = Color.BLUE\n"
            "const map<list<i32>, string> BY_LIST = {[1, 2]: 'a', [3]: 'b'}\n"
            "const set<map<string, i32>> OF_MAPS = [{'x': 1}]\n"
            "struct P { 1: i32 x, 2: Color c = Color.RED }\n"
            "const map<P, i32> BY_STRUCT = {{'x': 1}: 1}\n"
            "const list<P> POINTS = [{'x': 2, 'c': Color.BLUE}]\n"
            "const double D = 1e3\n"
            "const bool B = 1\n",
        )
    )
    m = idl.module
    assert m.ESCAPED == 'tab\t quote" \u00e9 \U0001f426 nl\n'
    assert (m.FAVOURITE, m.AS_INT) == (16, 17)
    assert m.BY_LIST == {(1, 2): "a", (3,): "b"}
    assert list(m.OF_MAPS) == [{"x": 1}]
    assert m.BY_STRUCT == {m.P(x=1): 1}
    assert m.POINTS == [m.P(x=2, c=17)] and m.D == 1000.0 and m.B is True
    assert [f.default for f in idl.structs["P"].fields] == [None, 1]


def test_reference_fields_doc_comments_with_slashes_and_services_across_includes(tmp_path: Path) -> None:
    write(tmp_path, "namespace java base.ns\nservice Base { i32 ping() }\nstruct Node { 1: i32 v, 2: optional Node & tail }\n", "base.thrift")
    idl = load_idl(
        write(
            tmp_path,
            'namespace java other.ns\ninclude "base.thrift"\n'
            "/** Calls http://example.com/a/b and a/b//c. */\n"
            "service Child extends base.Base { base.Node walk(1: base.Node & from_) }\n",
        )
    )
    svc = idl.service("Child")
    assert svc.doc == "Calls http://example.com/a/b and a/b//c."
    assert svc.extends == "Base" and list(svc.methods) == ["walk", "ping"]
    assert svc.methods["walk"].result.struct.fields[1].type.struct is svc.methods["walk"].result.struct


# -- errors: file, line, column, what was expected -----------------------------------------------


def refused(tmp_path: Path, text: str, name: str = "bad.thrift") -> IdlSyntaxError:
    with pytest.raises(IdlSyntaxError) as caught:
        load_idl(write(tmp_path, text, name))
    return caught.value


def test_a_syntax_error_names_file_line_column_and_the_expected_tokens(tmp_path: Path) -> None:
    e = refused(tmp_path, "struct S {\n  1: i32 x\n}\nservice X { void f( }")
    assert (Path(e.path).name, e.line, e.column) == ("bad.thrift", 4, 21)
    assert str(e) == f"{e.path}:4:21: expected ')', 'optional', 'required', a type or an integer; found '}}'"
    assert e.expected == ("')'", "'optional'", "'required'", "a type", "an integer")


def test_end_of_file_and_stray_characters(tmp_path: Path) -> None:
    e = refused(tmp_path, "enum E {\n  A,\n")
    assert (e.line, e.column) == (3, 1) and "found the end of the file" in str(e) and "'}'" in e.expected
    e = refused(tmp_path, "struct S { 1: i32 x }\n@annotation\n")
    assert (e.line, e.column) == (2, 1) and "found '@'" in str(e)
    assert "'struct'" in e.expected and "the end of the file" in e.expected
    e = refused(tmp_path, 'const string S = "no end\n')
    assert (e.line, e.column) == (1, 18) and "does not end on its line" in str(e)
    e = refused(tmp_path, 'const string S = "\\q"\n')
    assert (e.line, e.column) == (1, 19) and "bad escape \\q" in str(e)


def test_what_apache_refuses_after_parsing_is_refused_at_its_place(tmp_path: Path) -> None:
    cases = {
        "struct S {\n  1: Missing m\n}": (2, 6, "unknown type 'Missing'"),
        "struct S { 1: i32 a, 1: i32 b }": (1, 29, "field id 1 is used twice ('a' and 'b')"),
        "enum E { A }\nconst E e = E.B": (2, 13, "enum E has no value 'B'"),
        "struct S { 1: i32 x = \"one\" }": (1, 23, "x: expected an integer, found 'one'"),
        "const i8 SMALL = 300": (1, 18, "300 does not fit in an i8"),
        "struct return { 1: i32 x }": (1, 8, "'return' is a reserved word"),
        "service X { void f() }\nservice X { void g() }": (2, 9, "'X' is already defined"),
        'include "nowhere.thrift"': (1, 9, "cannot find include 'nowhere.thrift'"),
        "struct S { 1: i32 x }\nservice X { void f() throws (1: S s) }": (2, 33, "X.f throws S, which is not an exception"),
    }
    for text, (line, column, words) in cases.items():
        e = refused(tmp_path, text)
        assert (e.line, e.column) == (line, column), (text, str(e))
        assert str(e).startswith(f"{e.path}:{line}:{column}: ") and words in str(e), (text, str(e))


def test_an_error_in_an_included_file_names_that_file(tmp_path: Path) -> None:
    write(tmp_path, "struct Inner {\n  1: Nope n\n}\n", "inner.thrift")
    e = refused(tmp_path, 'include "inner.thrift"\nstruct Outer { 1: inner.Inner i }\n', "outer.thrift")
    assert (Path(e.path).name, e.line, e.column) == ("inner.thrift", 2, 6)
    write(tmp_path, 'include "a.thrift"\n', "b.thrift")
    e = refused(tmp_path, '\ninclude "b.thrift"\n', "a.thrift")
    assert (Path(e.path).name, e.line, e.column) == ("b.thrift", 1, 9)
    assert "a.thrift -> b.thrift -> a.thrift" in str(e)


def test_fields_named_as_python_keywords_thrift_allows(tmp_path: Path) -> None:
    idl = load_idl(write(tmp_path, "struct S { 1: i32 None = 3, 2: string await, 3: bool nonlocal }\nservice X { S f(1: i32 True) }\n"))
    S = idl.module.S
    s = S(**{"await": "w"})
    assert (getattr(s, "None"), getattr(s, "await"), getattr(s, "nonlocal")) == (3, "w", None)
    assert getattr(S(1, "a", True), "nonlocal") is True
    with pytest.raises(TypeError):
        S(**{"unknown": 1})
    assert [a.name for a in idl.service().methods["f"].args] == ["True"]


def test_what_scrooge_accepts_beyond_apache(tmp_path: Path) -> None:
    idl = load_idl(
        write(
            tmp_path,
            'senum Weekday { "MON", "TUE" }\n'
            "enum Kind { SMALL, LARGE }\n"
            'struct Box { 1: Kind (scrooge.note = "on a named type") kind = LARGE, 2: Weekday day = "MON" }\n'
            "const bool ON = True\n",
        )
    )
    box = idl.structs["Box"]
    assert [(f.name, f.type.name, f.default) for f in box.fields] == [("kind", "Kind", 1), ("day", "string", "MON")]
    assert idl.module.Box.__thrift_field_type_annotations__ == {"kind": {"scrooge.note": "on a named type"}}
    assert idl.module.ON is True
