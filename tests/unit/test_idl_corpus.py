"""The IDL loader against Apache Thrift's compiler, over every .thrift of apache/thrift and Scrooge.

For each file of tests/corpus/idl (see its PROVENANCE.md) Debian's `thrift` compiler decides:
what it accepts must load, and what Aviary makes of it must be what the compiler made of it
(its JSON generator writes its whole view: every enum, struct, field, service and method, with
ids, types, requiredness, annotations and docs); what it refuses must be refused with an
`IdlSyntaxError` naming the file, line and column. Scrooge accepts a little more than Apache
(`SCROOGE_ONLY`); those files load.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from framework import IdlSyntaxError, load_idl
from framework.idl import Idl, StructDef, T, Type

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "idl"
FILES = sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*.thrift"))

# Files that Apache's compiler refuses and Scrooge accepts, with what Scrooge allows there.
SCROOGE_ONLY = {
    "scrooge/scrooge-generator-tests/src/test/thrift/standalone/const.thrift": "a bare enum value as a constant",
}

_RECURSIVE = "apache/lib/rs/test_recursive/src"


def include_dirs(rel: str) -> tuple[str, ...]:
    """The -I folders each project's own build passes (lib/rs/test_recursive's Makefiles;
    lib/go/test's, which includes test/ThriftTest.thrift)."""
    if rel.startswith(_RECURSIVE):
        return tuple(str(CORPUS / _RECURSIVE / d) for d in ("", "transit", "transit/services", "transit/light"))
    if rel.startswith("apache/lib/go/test/"):
        return (str(CORPUS / "apache" / "test"),)
    return ()


def apache_compiler(path: Path, includes: tuple[str, ...], out: Path) -> tuple[dict[str, Any] | None, str]:
    """Apache's view of the file (its JSON generator's output), or None and its complaint."""
    thrift = shutil.which("thrift")
    assert thrift, "Debian's thrift compiler (package thrift-compiler) is not installed: make deps"
    args = [thrift, *[a for d in includes for a in ("-I", d)], "-o", str(out), "--gen", "json", str(path)]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        return None, (r.stderr + r.stdout).strip()
    (generated,) = (out / "gen-json").glob("*.json")
    text = generated.read_text(encoding="utf-8")
    try:
        return json.loads(text), ""
    except ValueError:
        return json.loads(_without_container_values(text)), ""


def _without_container_values(text: str) -> str:
    """Apache's JSON generator writes a constant map keyed by lists or structs as is (`{[1]: 0}`),
    which is not JSON: then container values of constants and defaults become null (and
    are not compared)."""
    out: list[str] = []
    i = 0
    for m in re.finditer(r'"(?:value|default)": *(?=[\[{])', text):
        if m.start() < i:
            continue
        out.append(text[i : m.end()] + "null")
        i = _matching_bracket(text, m.end()) + 1
    out.append(text[i:])
    return "".join(out)


def _matching_bracket(text: str, start: int) -> int:
    depth = 0
    in_string = False
    i = start
    while True:
        c = text[i]
        if in_string:
            if c == "\\":
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                return i
        i += 1


def test_the_corpus_is_there() -> None:
    assert len(FILES) == 277  # 186 from apache/thrift v0.17.0, 91 from twitter/scrooge
    assert "apache/test/ThriftTest.thrift" in FILES and "apache/tutorial/tutorial.thrift" in FILES


@pytest.mark.parametrize("rel", FILES)
def test_loads_what_apaches_compiler_accepts_and_refuses_the_rest(rel: str, tmp_path: Path) -> None:
    path = CORPUS / rel
    includes = include_dirs(rel)
    apache, complaint = apache_compiler(path, includes, tmp_path)
    if apache is not None:
        same_as_apache(load_idl(path, includes), apache)
    elif rel in SCROOGE_ONLY:
        load_idl(path, includes)
    else:
        with pytest.raises(IdlSyntaxError) as caught:
            load_idl(path, includes)
        e = caught.value
        assert e.line >= 1 and e.column >= 1
        assert str(e).startswith(f"{e.path}:{e.line}:{e.column}: ")
        assert Path(e.path).name.endswith(".thrift")
        if "syntax error" in complaint:  # a grammar error: Apache's line is the same
            assert f":{e.line}]" in complaint, (str(e), complaint)
            assert e.expected, str(e)


# -- Aviary's model against Apache's JSON ---------------------------------------------------

_TYPE_IDS = {T.BOOL: "bool", T.BYTE: "i8", T.I16: "i16", T.I32: "i32", T.I64: "i64", T.DOUBLE: "double", T.LIST: "list", T.SET: "set", T.MAP: "map"}


def type_id(t: Type) -> str:
    if t.ttype == T.STRING:
        return "binary" if t.binary else "string"
    if t.ttype == T.STRUCT:
        assert t.struct is not None
        return {"struct": "struct", "union": "union", "exception": "exception"}[t.struct.kind]
    return _TYPE_IDS[t.ttype]


def same_type(t: Type, type_id_: str, detail: dict[str, Any] | None) -> None:
    assert type_id(t) == type_id_, (t, type_id_)
    if t.ttype in (T.LIST, T.SET):
        assert detail is not None and t.item is not None
        same_type(t.item, detail["elemTypeId"], detail.get("elemType"))
    elif t.ttype == T.MAP:
        assert detail is not None and t.key is not None and t.value is not None
        same_type(t.key, detail["keyTypeId"], detail.get("keyType"))
        same_type(t.value, detail["valueTypeId"], detail.get("valueType"))
    elif t.ttype == T.STRUCT:
        assert detail is not None and t.struct is not None
        assert detail["class"] == t.struct.name or detail["class"].endswith("." + t.struct.name), (detail, t)


def same_fields(mine: list[Any], theirs: list[dict[str, Any]], where: str) -> None:
    assert [(f.id, f.name) for f in mine] == [(f["key"], f["name"]) for f in theirs], where
    for f, g in zip(mine, theirs):
        same_type(f.type, g["typeId"], g.get("type"))
        assert f.required == (g["required"] == "required"), (where, f.name)
        assert f.annotations == g.get("annotations", {}), (where, f.name)
        same_doc(f.doc, g.get("doc"), f"{where}.{f.name}")


def same_doc(mine: str, theirs: str | None, where: str) -> None:
    """The same words; Apache's text may keep a stray '*' of a ``**/`` or ``/***`` at an end."""
    assert " ".join(mine.split()) == " ".join((theirs or "").strip(" *\n").split()), where


def same_as_apache(idl: Idl, apache: dict[str, Any]) -> None:
    module = idl.module
    local = {c.__name__ for k in ("structs", "unions", "exceptions") for c in module.__thrift_meta__.get(k, [])}
    structs: dict[str, StructDef] = {s.name: s for s in idl.structs.values() if s.name in local}
    assert sorted(structs) == sorted(s["name"] for s in apache["structs"])
    for s in apache["structs"]:
        mine = structs[s["name"]]
        assert mine.is_exception == s["isException"] and (mine.kind == "union") == s["isUnion"], s["name"]
        assert mine.annotations == s.get("annotations", {}), s["name"]
        same_fields(mine.fields, s["fields"], s["name"])
        same_doc(mine.doc, s.get("doc"), s["name"])
    local_enums = {c.__name__ for c in module.__thrift_meta__.get("enums", [])}
    assert sorted(local_enums) == sorted(e["name"] for e in apache["enums"])
    for e in apache["enums"]:
        mine_enum = idl.enums[e["name"]]
        assert mine_enum.values == {m["name"]: m["value"] for m in e["members"]}, e["name"]
        for member in e["members"]:
            same_doc(mine_enum.item_docs.get(member["name"], ""), member.get("doc"), f"{e['name']}.{member['name']}")
        same_doc(mine_enum.doc, e.get("doc"), e["name"])
    assert sorted(idl.services) == sorted(s["name"] for s in apache["services"])
    for s in apache["services"]:
        svc = idl.services[s["name"]]
        assert svc.annotations == s.get("annotations", {}), s["name"]
        same_doc(svc.doc, s.get("doc"), s["name"])
        assert (svc.extends or None) == (s.get("extends", "").rpartition(".")[2] or None), s["name"]
        own = [f["name"] for f in s["functions"]]
        assert list(svc.methods)[: len(own)] == own, s["name"]
        for f in s["functions"]:
            m = svc.methods[f["name"]]
            where = f"{s['name']}.{f['name']}"
            assert m.oneway == f["oneway"], where
            if f["returnTypeId"] == "void":
                assert m.result is None, where
            else:
                assert m.result is not None, where
                same_type(m.result, f["returnTypeId"], f.get("returnType"))
            same_fields(m.args, f["arguments"], where)
            same_fields(m.throws, f["exceptions"], where)
            assert m.annotations == f.get("annotations", {}), where
            same_doc(m.doc, f.get("doc"), where)
    consts = {c["name"] for c in apache["constants"]}
    assert all(hasattr(module, name) for name in consts), sorted(n for n in consts if not hasattr(module, n))
    for c in apache["constants"]:
        if c["value"] is not None:
            same_value(getattr(module, c["name"]), c["value"], c["typeId"], c.get("type"), c["name"])


def same_value(mine: Any, theirs: Any, type_id_: str, detail: dict[str, Any] | None, where: str) -> None:
    """A constant's value against Apache's JSON of it (a struct as an object of the fields
    given, a set as a list, map keys as strings)."""
    if type_id_ == "double":  # Apache's JSON prints 15 significant digits
        assert type(mine) is float and math.isclose(mine, float(theirs), rel_tol=1e-14), (where, mine, theirs)
    elif type_id_ == "bool":
        assert mine is bool(theirs), (where, mine, theirs)
    elif type_id_ in ("i8", "i16", "i32", "i64", "string", "binary"):
        assert mine == theirs and type(mine) is type(theirs), (where, mine, theirs)
    elif type_id_ in ("list", "set"):
        assert detail is not None
        items = list(mine)
        if type_id_ == "set":  # no order to compare; Apache's JSON keeps a repeated member
            items = sorted(items, key=repr)
            theirs = sorted({json.dumps(x, sort_keys=True): x for x in theirs}.values(), key=repr)
        assert len(items) == len(theirs), (where, mine, theirs)
        for i, (a, b) in enumerate(zip(items, theirs)):
            same_value(a, b, detail["elemTypeId"], detail.get("elemType"), f"{where}[{i}]")
    elif type_id_ == "map":
        assert detail is not None and isinstance(mine, dict), where
        assert len(mine) == len(theirs), (where, mine, theirs)
        by_key = {json.dumps(k) if not isinstance(k, str) else k: v for k, v in mine.items()}
        for k, v in theirs.items():
            assert k in by_key, (where, k, sorted(by_key))
            same_value(by_key[k], v, detail["valueTypeId"], detail.get("valueType"), f"{where}[{k}]")
    elif type_id_ in ("struct", "union", "exception"):
        assert detail is not None and type(mine).__name__ == detail["class"].rpartition(".")[2], (where, mine)
        spec = {s[1]: s for s in type(mine).thrift_spec.values()}
        for name, v in theirs.items():
            assert name in spec, (where, name)
            assert getattr(mine, name) is not None, (where, name)
    else:
        raise AssertionError(f"{where}: no comparison for {type_id_}")
