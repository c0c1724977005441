"""The Thrift IDL's grammar: text in, a plain syntax tree out, or an error naming line and column.

The grammar is Apache Thrift's (`thrifty.yy` and `thriftl.ll` of its compiler, 0.17): what that
compiler accepts parses here, and what it refuses for its syntax is refused here with the
position and the tokens that would have been accepted. Where Scrooge (Finagle's compiler)
accepts more, so does this: annotations after any type (also a named one, as in
``typedef Foo (a = "b") Bar (c = "d")``), ``senum``, ``\\uXXXX`` escapes in strings, an
``extends`` naming a service of an included file.

The grammar is LALR(1) and run by lark: one pass, linear in the file, and lark's errors carry
the position and the expected terminals that this module turns into `IdlSyntaxError`.
Names are resolved and types built from the tree by `framework.idl_module`.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any, Union

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .errors import IdlSyntaxError

__all__ = [
    "TypeRef",
    "ConstValue",
    "FieldDecl",
    "Include",
    "Namespace",
    "Const",
    "Typedef",
    "EnumItem",
    "Enum",
    "Senum",
    "Struct",
    "Function",
    "Service",
    "Document",
    "parse",
    "BASE_TYPES",
]

BASE_TYPES = frozenset({"bool", "byte", "i8", "i16", "i32", "i64", "double", "string", "binary"})

# Apache's lexer (thriftl.ll) and grammar (thrifty.yy), written for lark. Keywords are reserved
# words, as there; the basic lexer (not lark's contextual one) keeps them reserved everywhere.
_GRAMMAR = r"""
start: header* definition*

?header: include | cpp_include | namespace
include: "include" LITERAL
cpp_include: "cpp_include" LITERAL
namespace: "namespace" (IDENT | STAR) IDENT _annotations

?definition: const | typedef | enum | senum | struct | union | exception | service

const: "const" field_type IDENT "=" const_value _sep_opt
typedef: "typedef" field_type IDENT _annotations _sep_opt
enum: "enum" IDENT "{" enum_item* "}" _annotations
enum_item: IDENT _enum_value _annotations _sep_opt
_enum_value: ("=" INT)?
senum: "senum" IDENT "{" (LITERAL _sep_opt)* "}" _annotations
struct: "struct" IDENT _xsd_all "{" field* "}" _annotations
union: "union" IDENT _xsd_all "{" field* "}" _annotations
exception: "exception" IDENT "{" field* "}" _annotations
service: "service" IDENT _extends "{" function* "}" _annotations
_extends: ("extends" IDENT)?
_xsd_all: XSD_ALL?

function: _oneway return_type IDENT "(" field* ")" _throws _annotations _sep_opt
_oneway: (ONEWAY | ASYNC)?
?return_type: field_type | VOID
_throws: throws?
throws: "throws" "(" field* ")"

// Apache's Field: id, requiredness, type, '&', name, default, the xsd_ words, annotations
field: _field_id _requiredness field_type _reference IDENT _field_default _xsd _annotations _sep_opt
_field_id: field_id?
field_id: INT ":"
_requiredness: (REQUIRED | OPTIONAL)?
_reference: REFERENCE?
_field_default: field_default?
field_default: "=" const_value
_xsd: XSD_OPTIONAL? XSD_NILLABLE? xsd_attrs?
xsd_attrs: "xsd_attrs" "{" field* "}"

field_type: (IDENT | base_type | map_type | set_type | list_type) _annotations
map_type: "map" _cpp_type "<" field_type "," field_type ">"
set_type: "set" _cpp_type "<" field_type ">"
list_type: "list" "<" field_type ">" _cpp_type
_cpp_type: ("cpp_type" LITERAL)?
base_type: BOOL_T | BYTE_T | I8_T | I16_T | I32_T | I64_T | DOUBLE_T | STRING_T | BINARY_T

_annotations: annotations?
annotations: "(" annotation* ")"
annotation: IDENT ("=" LITERAL)? _sep_opt

?const_value: INT -> const_int
            | DOUBLE -> const_double
            | (TRUE | FALSE) -> const_bool
            | LITERAL -> const_string
            | IDENT -> const_ident
            | "[" (const_value _sep_opt)* "]" -> const_list
            | "{" (const_pair _sep_opt)* "}" -> const_map
const_pair: const_value ":" const_value

_sep_opt: ("," | ";")?

STAR: "*"
ONEWAY: "oneway"
ASYNC: "async"
VOID: "void"
REQUIRED: "required"
OPTIONAL: "optional"
REFERENCE: "&"
XSD_ALL: "xsd_all"
XSD_OPTIONAL: "xsd_optional"
XSD_NILLABLE: "xsd_nillable"
TRUE: "true"
FALSE: "false"
BOOL_T: "bool"
BYTE_T: "byte"
I8_T: "i8"
I16_T: "i16"
I32_T: "i32"
I64_T: "i64"
DOUBLE_T: "double"
STRING_T: "string"
BINARY_T: "binary"

IDENT: /[a-zA-Z_](\.[a-zA-Z_0-9]|[a-zA-Z_0-9])*/
INT.2: /[+-]?(0x[0-9A-Fa-f]+|[0-9]+)(?![.eE0-9a-zA-Z_])/
DOUBLE.3: /[+-]?([0-9]*\.[0-9]+([eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)/
LITERAL: /"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/

COMMENT: /\/\/[^\n]*/ | /#[^\n]*/ | /\/\*(.|\n)*?\*\//
%ignore COMMENT
%ignore /[ \t\r\n\f]+/
"""


@dataclass
class TypeRef:
    """A type as written: a base type, a name (``Foo``, ``shared.Foo``) or a container."""

    kind: str  # "base" | "named" | "list" | "set" | "map"
    name: str  # the base type or the name; "list"/"set"/"map" for containers
    args: tuple[TypeRef, ...] = ()
    annotations: dict[str, str] = field(default_factory=dict)
    line: int = 0
    column: int = 0


@dataclass
class ConstValue:
    """A constant as written. `value`: int, float, bool or str for scalars; the name for
    ``ident``; a list of ConstValue for ``list``; a list of (key, value) pairs for ``map``."""

    kind: str  # "int" | "double" | "bool" | "string" | "ident" | "list" | "map"
    value: Any
    line: int
    column: int


@dataclass
class FieldDecl:
    id: int | None
    requiredness: str | None  # "required" | "optional" | None (default)
    type: TypeRef
    name: str
    default: ConstValue | None
    annotations: dict[str, str]
    line: int
    column: int
    reference: bool = False


@dataclass
class Include:
    path: str
    line: int
    column: int


@dataclass
class Namespace:
    scope: str
    name: str
    annotations: dict[str, str]
    line: int
    column: int


@dataclass
class Const:
    type: TypeRef
    name: str
    value: ConstValue
    line: int
    column: int


@dataclass
class Typedef:
    type: TypeRef
    name: str
    annotations: dict[str, str]
    line: int
    column: int


@dataclass
class EnumItem:
    name: str
    value: int | None
    annotations: dict[str, str]
    line: int
    column: int


@dataclass
class Enum:
    name: str
    items: list[EnumItem]
    annotations: dict[str, str]
    line: int
    column: int


@dataclass
class Senum:
    """Scrooge's string enum: a set of allowed strings; on the wire a `string`."""

    name: str
    values: list[str]
    annotations: dict[str, str]
    line: int
    column: int


@dataclass
class Struct:
    kind: str  # "struct" | "union" | "exception"
    name: str
    fields: list[FieldDecl]
    annotations: dict[str, str]
    line: int
    column: int


@dataclass
class Function:
    name: str
    oneway: bool
    returns: TypeRef | None  # None: void
    args: list[FieldDecl]
    throws: list[FieldDecl]
    annotations: dict[str, str]
    line: int
    column: int


@dataclass
class Service:
    name: str
    extends: str | None
    functions: list[Function]
    annotations: dict[str, str]
    line: int
    column: int
    extends_line: int = 0
    extends_column: int = 0


Definition = Union[Const, Typedef, Enum, Senum, Struct, Service]


@dataclass
class Document:
    includes: list[Include]
    namespaces: list[Namespace]
    definitions: list[Definition]


def _at(tok: Token) -> tuple[int, int]:
    return tok.line or 0, tok.column or 0


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "'": "'", "\\": "\\", "b": "\b", "f": "\f", "/": "/"}
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2}|.)")


class _Escapes:
    """Decodes a literal's escapes: Apache's (\\n \\r \\t \\" \\' \\\\) and, as Scrooge passes
    them on to Java, \\uXXXX (surrogate pairs joined), \\xHH, \\b, \\f, \\/."""

    def __init__(self, path: str, tok: Token) -> None:
        self.path = path
        self.tok = tok

    def __call__(self, m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc in _ESCAPES:
            return _ESCAPES[esc]
        if esc[0] in "ux" and len(esc) > 1:
            return chr(int(esc[1:], 16))
        line, column = _at(self.tok)
        raise IdlSyntaxError(
            self.path, line, column + 1 + m.start(), f"bad escape \\{esc} in a string", ("\\n", "\\r", "\\t", '\\"', "\\'", "\\\\", "\\uXXXX")
        )


def _unquote(path: str, tok: Token) -> str:
    body = str(tok)[1:-1]
    if "\\" not in body:
        return body
    text = _ESCAPE.sub(_Escapes(path, tok), body)
    # \uD83D\uDE00 written as two escapes (Java's way) is one character
    return text.encode("utf-16", "surrogatepass").decode("utf-16") if re.search("[\ud800-\udfff]", text) else text


class _Tree(Transformer):  # type: ignore[type-arg]
    """lark's tree into the dataclasses above; one method per grammar rule."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    # -- headers and definitions ------------------------------------------------------------
    def start(self, items: list[Any]) -> Document:
        doc = Document([], [], [])
        for it in items:
            if isinstance(it, Include):
                doc.includes.append(it)
            elif isinstance(it, Namespace):
                doc.namespaces.append(it)
            elif it is not None:
                doc.definitions.append(it)
        return doc

    def include(self, items: list[Any]) -> Include:
        (lit,) = items
        return Include(_unquote(self.path, lit), *_at(lit))

    def cpp_include(self, items: list[Any]) -> None:
        return None

    def namespace(self, items: list[Any]) -> Namespace:
        scope, name = items[0], items[1]
        ann = items[2] if len(items) > 2 else {}
        return Namespace(str(scope), str(name), ann, *_at(name))

    def const(self, items: list[Any]) -> Const:
        ftype, name, value = items
        return Const(ftype, str(name), value, *_at(name))

    def typedef(self, items: list[Any]) -> Typedef:
        ftype, name = items[0], items[1]
        ann = items[2] if len(items) > 2 else {}
        return Typedef(ftype, str(name), ann, *_at(name))

    def enum(self, items: list[Any]) -> Enum:
        name = items[0]
        ann = items[-1] if isinstance(items[-1], dict) else {}
        entries = [i for i in items[1:] if isinstance(i, EnumItem)]
        return Enum(str(name), entries, ann, *_at(name))

    def enum_item(self, items: list[Any]) -> EnumItem:
        name = items[0]
        value = next((_int(t) for t in items[1:] if isinstance(t, Token) and t.type == "INT"), None)
        ann = next((a for a in items[1:] if isinstance(a, dict)), {})
        return EnumItem(str(name), value, ann, *_at(name))

    def senum(self, items: list[Any]) -> Senum:
        name = items[0]
        ann = items[-1] if isinstance(items[-1], dict) else {}
        values = [_unquote(self.path, t) for t in items[1:] if isinstance(t, Token)]
        return Senum(str(name), values, ann, *_at(name))

    def _struct_like(self, kind: str, items: list[Any]) -> Struct:
        name = items[0]
        ann = items[-1] if isinstance(items[-1], dict) else {}
        fields = [f for f in items[1:] if isinstance(f, FieldDecl)]
        return Struct(kind, str(name), fields, ann, *_at(name))

    def struct(self, items: list[Any]) -> Struct:
        return self._struct_like("struct", items)

    def union(self, items: list[Any]) -> Struct:
        return self._struct_like("union", items)

    def exception(self, items: list[Any]) -> Struct:
        return self._struct_like("exception", items)

    def service(self, items: list[Any]) -> Service:
        name = items[0]
        ann = items[-1] if isinstance(items[-1], dict) else {}
        extends = next((e for e in items[1:] if isinstance(e, Token) and e.type == "IDENT"), None)
        functions = [f for f in items[1:] if isinstance(f, Function)]
        svc = Service(str(name), str(extends) if extends else None, functions, ann, *_at(name))
        if extends is not None:
            svc.extends_line, svc.extends_column = _at(extends)
        return svc

    def function(self, items: list[Any]) -> Function:
        oneway = isinstance(items[0], Token) and items[0].type in ("ONEWAY", "ASYNC")
        rest = items[1:] if oneway else items
        ret, name = rest[0], rest[1]
        args = [f for f in rest[2:] if isinstance(f, FieldDecl)]
        throws = next((t for t in rest[2:] if isinstance(t, tuple)), ())
        ann = next((a for a in rest[2:] if isinstance(a, dict)), {})
        returns = None if isinstance(ret, Token) and ret.type == "VOID" else ret
        return Function(str(name), oneway, returns, args, list(throws), ann, *_at(name))

    def throws(self, items: list[Any]) -> tuple[FieldDecl, ...]:
        return tuple(items)

    def field(self, items: list[Any]) -> FieldDecl:
        fid: int | None = None
        req: str | None = None
        ftype: TypeRef | None = None
        name: Token | None = None
        default: ConstValue | None = None
        ann: dict[str, str] = {}
        reference = False
        for it in items:
            if isinstance(it, _FieldId):
                fid = it.value
            elif isinstance(it, TypeRef):
                ftype = it
            elif isinstance(it, ConstValue):
                default = it
            elif isinstance(it, dict):
                ann = it
            elif isinstance(it, Token):
                if it.type in ("REQUIRED", "OPTIONAL"):
                    req = str(it)
                elif it.type == "REFERENCE":
                    reference = True
                elif it.type == "IDENT":
                    name = it
        assert ftype is not None and name is not None
        return FieldDecl(fid, req, ftype, str(name), default, ann, *_at(name), reference=reference)

    def field_id(self, items: list[Any]) -> _FieldId:
        return _FieldId(_int(items[0]))

    def field_default(self, items: list[Any]) -> ConstValue:
        return items[0]  # type: ignore[no-any-return]

    def xsd_attrs(self, items: list[Any]) -> None:
        return None

    # -- types ------------------------------------------------------------------------------
    def field_type(self, items: list[Any]) -> TypeRef:
        t = items[0]
        ann = items[1] if len(items) > 1 else {}
        if isinstance(t, TypeRef):
            t.annotations = ann
            return t
        line, column = _at(t)
        return TypeRef("named", str(t), (), ann, line, column)

    def map_type(self, items: list[Any]) -> TypeRef:
        k, v = [i for i in items if isinstance(i, TypeRef)]
        return TypeRef("map", "map", (k, v), {}, k.line, k.column)

    def set_type(self, items: list[Any]) -> TypeRef:
        (t,) = [i for i in items if isinstance(i, TypeRef)]
        return TypeRef("set", "set", (t,), {}, t.line, t.column)

    def list_type(self, items: list[Any]) -> TypeRef:
        (t,) = [i for i in items if isinstance(i, TypeRef)]
        return TypeRef("list", "list", (t,), {}, t.line, t.column)

    def base_type(self, items: list[Any]) -> TypeRef:
        (t,) = items
        return TypeRef("base", str(t), (), {}, *_at(t))

    def annotations(self, items: list[Any]) -> dict[str, str]:
        return dict(items)

    def annotation(self, items: list[Any]) -> tuple[str, str]:
        key = str(items[0])
        return key, (_unquote(self.path, items[1]) if len(items) > 1 else "1")  # "1": Apache's value for none

    # -- constants --------------------------------------------------------------------------
    def const_int(self, items: list[Any]) -> ConstValue:
        return ConstValue("int", _int(items[0]), *_at(items[0]))

    def const_double(self, items: list[Any]) -> ConstValue:
        return ConstValue("double", float(items[0]), *_at(items[0]))

    def const_bool(self, items: list[Any]) -> ConstValue:
        return ConstValue("bool", str(items[0]) == "true", *_at(items[0]))

    def const_string(self, items: list[Any]) -> ConstValue:
        return ConstValue("string", _unquote(self.path, items[0]), *_at(items[0]))

    def const_ident(self, items: list[Any]) -> ConstValue:
        return ConstValue("ident", str(items[0]), *_at(items[0]))

    def const_list(self, items: list[Any]) -> ConstValue:
        line, column = (items[0].line, items[0].column) if items else (0, 0)
        return ConstValue("list", list(items), line, column)

    def const_map(self, items: list[Any]) -> ConstValue:
        line, column = (items[0][0].line, items[0][0].column) if items else (0, 0)
        return ConstValue("map", list(items), line, column)

    def const_pair(self, items: list[Any]) -> tuple[ConstValue, ConstValue]:
        return items[0], items[1]


@dataclass
class _FieldId:
    value: int


def _int(tok: Token) -> int:
    text = str(tok)
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    return sign * (int(digits, 16) if digits[:2] in ("0x", "0X") else int(digits))


_parser: Lark | None = None
_parser_lock = threading.Lock()


def _lark() -> Lark:
    """The parser, built once (building the LALR tables costs more than parsing most files)."""
    global _parser
    with _parser_lock:
        if _parser is None:
            _parser = Lark(_GRAMMAR, parser="lalr", lexer="basic", maybe_placeholders=False)
        return _parser


def parse(text: str, path: str) -> Document:
    """Parse one file's text; `path` names it in errors."""
    parser = _lark()
    try:
        tree = parser.parse(text)
    except UnexpectedInput as e:
        raise _syntax_error(parser, e, text, path) from None
    try:
        return _Tree(path).transform(tree)  # type: ignore[no-any-return]
    except Exception as e:  # lark wraps what a rule raised in VisitError
        inner = getattr(e, "orig_exc", e)
        if isinstance(inner, IdlSyntaxError):
            raise inner from None
        raise


# How the terminals read in an error message.
_TERMINAL_WORDS = {
    "IDENT": "an identifier",
    "INT": "an integer",
    "DOUBLE": "a number",
    "LITERAL": "a string",
    "$END": "the end of the file",
}


def _word(parser: Lark, name: str) -> str:
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    try:
        pattern = parser.get_terminal(name).pattern
    except KeyError:
        return name
    if pattern.type == "str":
        return f"'{pattern.value}'"
    return name.lower()


def _found(text: str, e: UnexpectedInput) -> str:
    if isinstance(e, UnexpectedToken):
        if e.token.type == "$END":
            return "the end of the file"
        return f"'{e.token}'"
    if isinstance(e, UnexpectedCharacters):
        return repr(text[e.pos_in_stream]) if e.pos_in_stream < len(text) else "the end of the file"
    return "the end of the file"


def _syntax_error(parser: Lark, e: UnexpectedInput, text: str, path: str) -> IdlSyntaxError:
    if isinstance(e, UnexpectedCharacters):
        # the lexer stopped; what the parser would have taken there is its state's to say
        names = _accepted_before(parser, text, e.pos_in_stream)
    elif isinstance(e, (UnexpectedToken, UnexpectedEOF)):
        names = set(e.expected)
    else:
        names = set()
    expected = _words(parser, names)
    line, column = e.line, e.column
    at_end = isinstance(e, UnexpectedEOF) or (isinstance(e, UnexpectedToken) and e.token.type == "$END")
    if at_end or line is None or line < 1:
        line = text.count("\n") + 1
        column = len(text) - (text.rfind("\n") + 1) + 1
    found = _found(text, e)
    if isinstance(e, UnexpectedCharacters) and text[e.pos_in_stream : e.pos_in_stream + 1] in "\"'":
        msg = "a string that does not end on its line"
        expected = (f"{text[e.pos_in_stream]} before the end of the line",)
    elif expected:
        msg = f"expected {_join(expected)}; found {found}"
    else:
        msg = f"unexpected {found}"
    return IdlSyntaxError(path, line, column, msg, expected)


def _accepted_before(parser: Lark, text: str, pos: int) -> set[str]:
    try:
        ip = parser.parse_interactive(text[:pos])
        ip.exhaust_lexer()
        return set(ip.accepts())
    except UnexpectedInput:
        return set()


# A type can be any of these; an error lists "a type" rather than each.
_TYPE_WORDS = frozenset({"'binary'", "'bool'", "'byte'", "'double'", "'i16'", "'i32'", "'i64'", "'i8'", "'list'", "'map'", "'set'", "'string'"})


def _words(parser: Lark, names: set[str]) -> tuple[str, ...]:
    words = {_word(parser, n) for n in names if not n.startswith("__")}
    if _TYPE_WORDS <= words and "an identifier" in words:  # a type is also a name
        words -= _TYPE_WORDS | {"an identifier"}
        words.add("a type")
    return tuple(sorted(words))


def _join(words: tuple[str, ...]) -> str:
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]
