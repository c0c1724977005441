"""Load a .thrift file at runtime and describe it: services, methods, types, annotations, docs.

`framework.idl_syntax` parses the file (Apache Thrift's grammar) and `framework.idl_module`
makes of it a thriftpy2 module, whose struct classes handlers use; this module adds what the
codecs, the REST gateway and the docs page need on top: a small, uniform type model (`Type`, `Field`, `StructDef`, `Method`, `ServiceDef`) and the doc comments
(``/** ... */``).
"""

from __future__ import annotations

import copy
import os
import re
import itertools
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterator

from thriftpy2.thrift import TException

from . import idl_module
from .errors import IdlError, InvalidArgument

__all__ = [
    "Type",
    "Field",
    "StructDef",
    "EnumDef",
    "Method",
    "ServiceDef",
    "Idl",
    "load",
    "locate",
    "T",
]


class T:
    """Thrift type ids as they appear on the wire (`BINARY` is thriftpy2's marker for
    ``binary``; it travels as `STRING`)."""

    STOP = 0
    VOID = 1
    BOOL = 2
    BYTE = 3
    DOUBLE = 4
    I16 = 6
    I32 = 8
    I64 = 10
    STRING = 11
    STRUCT = 12
    MAP = 13
    SET = 14
    LIST = 15
    BINARY = 18


_BASE_NAMES = {
    T.BOOL: "bool",
    T.BYTE: "byte",
    T.DOUBLE: "double",
    T.I16: "i16",
    T.I32: "i32",
    T.I64: "i64",
    T.STRING: "string",
    T.BINARY: "binary",
}

WIRE_NAMES = {**_BASE_NAMES, T.STRUCT: "struct", T.MAP: "map", T.SET: "set", T.LIST: "list"}


@dataclass(eq=False)
class Type:
    """One Thrift type, as the codecs need it.

    `ttype` is the wire type (``binary`` has ttype STRING and `binary` True); `name` is how the
    IDL spells it (``list<string>``, ``Message``). Containers carry `item` (list, set) or
    `key`/`value` (map); structs `struct`; enums `enum` (their values are plain ints, as in
    thriftpy2).
    """

    ttype: int
    name: str
    binary: bool = False
    item: Type | None = None
    key: Type | None = None
    value: Type | None = None
    struct: StructDef | None = None
    enum: EnumDef | None = None

    def __repr__(self) -> str:
        return f"Type({self.name})"


@dataclass(eq=False)
class Field:
    """A struct field or a method argument."""

    id: int
    name: str
    type: Type
    required: bool
    default: Any
    doc: str = ""
    annotations: dict[str, str] = field(default_factory=dict)
    argument: bool = False  # a method's argument, not a struct's field

    @property
    def needed(self) -> bool:
        """Must be given: a required field, or an argument without a default. Thrift ignores
        `optional` in argument lists and the handler is called with every argument, so a
        missing one is the caller's error (400 / PROTOCOL_ERROR), not a None for the handler
        to trip over. (`required` stays what the IDL says.)"""
        return self.required or (self.argument and self.default is None)


@dataclass(eq=False)
class StructDef:
    """A struct, union or exception; `cls` is the thriftpy2 class handlers construct."""

    name: str
    cls: type
    kind: str  # "struct" | "union" | "exception"
    fields: list[Field] = field(default_factory=list)
    doc: str = ""
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def is_exception(self) -> bool:
        return self.kind == "exception"


@dataclass(eq=False)
class EnumDef:
    name: str
    cls: type
    names: dict[int, str]
    values: dict[str, int]
    doc: str = ""
    item_docs: dict[str, str] = field(default_factory=dict)


@dataclass(eq=False)
class Method:
    """One service method: its arguments in declaration order, result, declared exceptions."""

    name: str
    service: str
    args: list[Field]
    result: Type | None  # None for void
    throws: list[Field]
    oneway: bool
    doc: str = ""
    annotations: dict[str, str] = field(default_factory=dict)
    args_cls: type | None = None
    result_cls: type | None = None

    def exception_field(self, exc: BaseException) -> Field | None:
        """The `throws` field a raised exception travels in, or None if it is undeclared."""
        for f in self.throws:
            if type(exc) is f.type.struct.cls:  # type: ignore[union-attr]
                return f
        for f in self.throws:  # a subclass of a declared exception (a handler's own refinement)
            if isinstance(exc, f.type.struct.cls):  # type: ignore[union-attr]
                return f
        return None

    def bind(self, args: tuple[Any, ...] | list[Any], kwargs: dict[str, Any]) -> list[Any]:
        """Arguments by position and/or name as the call's list in IDL order; a missing
        argument takes its IDL default (else None). Unknown or doubled names are refused."""
        if len(args) > len(self.args):
            raise InvalidArgument(f"{self.name} takes {len(self.args)} arguments, got {len(args)}")
        out = list(args) + [None] * (len(self.args) - len(args))
        names = [f.name for f in self.args]
        for k, v in kwargs.items():
            if k not in names:
                raise InvalidArgument(f"{self.name} takes no argument {k!r} (arguments: {', '.join(names) or 'none'})")
            i = names.index(k)
            if i < len(args):
                raise InvalidArgument(f"{self.name}: argument {k!r} given twice")
            out[i] = v
        for i, f in enumerate(self.args):
            if out[i] is None and f.default is not None:
                out[i] = copy_default(f.default)
        return out


@dataclass(eq=False)
class ServiceDef:
    name: str
    methods: dict[str, Method]
    doc: str = ""
    annotations: dict[str, str] = field(default_factory=dict)
    extends: str | None = None


@dataclass(eq=False)
class Idl:
    """A loaded .thrift file: its thriftpy2 module and Aviary's description of it."""

    path: Path
    module: Any
    source: str
    doc: str
    services: dict[str, ServiceDef]
    structs: dict[str, StructDef]
    enums: dict[str, EnumDef]

    def service(self, name: str | None = None) -> ServiceDef:
        """The service called `name`; with no name, the file's only (or last) service."""
        if name is None:
            if not self.services:
                raise IdlError(f"{self.path}: declares no service")
            return list(self.services.values())[-1]
        try:
            return self.services[name]
        except KeyError:
            known = ", ".join(self.services) or "none"
            raise IdlError(f"{self.path}: no service {name!r} (it declares: {known})") from None

    def sources(self) -> dict[str, str]:
        """The text of this file and of every file it includes, by file name."""
        out: dict[str, str] = {}
        for path in _files_of(self.module):
            try:
                out[os.path.basename(path)] = Path(path).read_text(encoding="utf-8")
            except OSError:
                continue
        return out


def locate(name: str) -> Path:
    """Find a .thrift the project ships: in ./idl, beside this checkout, or installed data."""
    here = Path(__file__).resolve().parent.parent
    for base in (Path.cwd() / "idl", here / "idl", Path(sys.prefix) / "share" / "aviary" / "idl"):
        candidate = base / name
        try:
            if candidate.is_file():
                return candidate
        except OSError:  # a directory this user may not read (say ./idl of a checkout owned by another): not here
            continue
    raise IdlError(f"cannot find {name}: looked in ./idl, {here / 'idl'} and {sys.prefix}/share/aviary/idl")


def _nearby(p: Path) -> str:
    """What a mistyped IDL path probably meant: the .thrift files beside where it points."""
    import difflib

    try:
        here = sorted(f.name for f in p.parent.glob("*.thrift"))
    except OSError:
        here = []
    if not p.parent.is_dir():
        return f" (and no directory {p.parent}; a path is relative to the current directory, so give one from the module, e.g. Path(__file__).with_name({p.name!r}))"
    close = difflib.get_close_matches(Path(p.name).stem, [Path(h).stem for h in here], n=1)  # stems: ".thrift" makes every name look close
    if close:
        return f": did you mean {p.parent / (close[0] + '.thrift')}?"
    return f" (.thrift files in {p.parent}: {', '.join(here)})" if here else f" (no .thrift file in {p.parent})"


_counter = itertools.count(1)


def load(path: str | os.PathLike[str], include_dirs: tuple[str, ...] = ()) -> Idl:
    """Parse a .thrift file (and its includes) and describe it.

    A file the Thrift IDL does not allow raises `IdlSyntaxError` (an `IdlError`) naming the
    file, line and column and what was expected there."""
    p = Path(path)
    if not p.is_file():
        raise IdlError(f"{p}: no such file{_nearby(p)}")
    module_name = f"{re.sub(r'[^0-9A-Za-z_]', '_', p.stem)}_{next(_counter)}_thrift"
    module = idl_module.build(p, module_name, tuple(include_dirs))
    source = p.read_text(encoding="utf-8")
    return _Describer(module, p, source).describe()


def _modules_of(module: Any) -> Iterator[Any]:
    """The module and every module it includes, each once."""
    seen: set[int] = set()
    stack = [module]
    while stack:
        m = stack.pop()
        if id(m) in seen:
            continue
        seen.add(id(m))
        yield m
        stack.extend(getattr(m, "__thrift_meta__", {}).get("includes", []))


def _files_of(module: Any) -> Iterator[str]:
    for m in _modules_of(module):
        f = getattr(m, "__thrift_file__", None)
        if f:
            yield f


class _Describer:
    """Turns a thriftpy2 module into Aviary's model, one pass, memoised by class."""

    def __init__(self, module: Any, path: Path, source: str) -> None:
        self.module = module
        self.path = path
        self.source = source
        self.structs: dict[type, StructDef] = {}
        self.enums: dict[type, EnumDef] = {}
        self.docs: dict[str, dict[int, str]] = {}
        self.unions = {c for m in _modules_of(module) for c in getattr(m, "__thrift_meta__", {}).get("unions", [])}

    # -- docs ---------------------------------------------------------------------------------
    def doc_at(self, cls_or_module: Any, line: int | None) -> str:
        fname = getattr(cls_or_module, "__thrift_file__", None) or str(self.path)
        if line is None:
            return ""
        if fname not in self.docs:
            try:
                text = Path(fname).read_text(encoding="utf-8")
            except OSError:
                text = ""
            self.docs[fname] = doc_comments(text)
        return self.docs[fname].get(line, "")

    # -- types --------------------------------------------------------------------------------
    def type_of(self, spec: Any, ttype: int) -> Type:
        """`spec` is the type part of a thriftpy2 field spec (None for base types)."""
        if ttype in _BASE_NAMES and not (ttype == T.I32 and isinstance(spec, type)):
            if ttype == T.BINARY:
                return Type(T.STRING, "binary", binary=True)
            return Type(ttype, _BASE_NAMES[ttype])
        if ttype == T.I32:  # an enum
            e = self.enum(spec)
            return Type(T.I32, e.name, enum=e)
        if ttype == T.STRUCT:
            s = self.struct(spec)
            return Type(T.STRUCT, s.name, struct=s)
        if ttype in (T.LIST, T.SET):
            item = self.type_of(*_split(spec))
            word = "list" if ttype == T.LIST else "set"
            return Type(ttype, f"{word}<{item.name}>", item=item)
        if ttype == T.MAP:
            k = self.type_of(*_split(spec[0]))
            v = self.type_of(*_split(spec[1]))
            return Type(T.MAP, f"map<{k.name},{v.name}>", key=k, value=v)
        raise IdlError(f"{self.path}: unsupported type id {ttype}")

    def fields_of(self, cls: type, owner_line: int | None = None) -> list[Field]:
        """`owner_line`: the struct's or method's line; a field on that line has no doc of its
        own (the comment above belongs to the struct or method)."""
        defaults = dict(getattr(cls, "default_spec", []))
        linenos = getattr(cls, "__thrift_field_linenos__", {})
        annotations = getattr(cls, "__thrift_field_annotations__", {})
        out = []
        for fid, spec in cls.thrift_spec.items():  # type: ignore[attr-defined]
            ttype, name = spec[0], spec[1]
            required = bool(spec[-1])
            tspec = spec[2] if len(spec) == 4 else None
            out.append(
                Field(
                    id=fid,
                    name=name,
                    type=self.type_of(tspec, ttype),
                    required=required,
                    default=defaults.get(name),
                    doc="" if linenos.get(name) == owner_line else self.doc_at(cls, linenos.get(name)),
                    annotations=dict(annotations.get(name, {})),
                )
            )
        return out

    def struct(self, cls: type) -> StructDef:
        if cls in self.structs:
            return self.structs[cls]
        if issubclass(cls, TException):
            kind = "exception"
        elif cls in self.unions:
            kind = "union"
        else:
            kind = "struct"
        s = StructDef(
            name=cls.__name__,
            cls=cls,
            kind=kind,
            doc=self.doc_at(cls, getattr(cls, "__thrift_lineno__", None)),
            annotations=dict(getattr(cls, "__thrift_annotations__", {})),
        )
        self.structs[cls] = s  # before the fields: structs may refer to themselves
        s.fields = self.fields_of(cls, getattr(cls, "__thrift_lineno__", None))
        return s

    def enum(self, cls: type) -> EnumDef:
        if cls not in self.enums:
            item_lines = getattr(cls, "__thrift_item_linenos__", {})
            self.enums[cls] = EnumDef(
                name=cls.__name__,
                cls=cls,
                names=dict(cls._VALUES_TO_NAMES),  # type: ignore[attr-defined]
                values=dict(cls._NAMES_TO_VALUES),  # type: ignore[attr-defined]
                doc=self.doc_at(cls, getattr(cls, "__thrift_lineno__", None)),
                item_docs={n: self.doc_at(cls, ln) for n, ln in item_lines.items()},
            )
        return self.enums[cls]

    def method(self, service_cls: type, owner: str, name: str) -> Method:
        args_cls = getattr(service_cls, f"{name}_args")
        result_cls = getattr(service_cls, f"{name}_result")
        linenos = getattr(service_cls, "__thrift_function_linenos__", {})
        line = linenos.get(name)
        result: Type | None = None
        throws: list[Field] = []
        for f in self.fields_of(result_cls, line):
            if f.id == 0:
                result = f.type
            else:
                throws.append(f)
        args = [replace(f, argument=True) for f in self.fields_of(args_cls, line)]  # see Field.needed
        return Method(
            name=name,
            service=owner,
            args=args,
            result=result,
            throws=throws,
            oneway=bool(getattr(result_cls, "oneway", False)),
            doc=self.doc_at(_defining_class(service_cls, name), line),
            annotations=dict(
                getattr(_defining_class(service_cls, name), "__thrift_function_annotations__", {}).get(name, {})
            ),
            args_cls=args_cls,
            result_cls=result_cls,
        )

    def describe(self) -> Idl:
        meta = getattr(self.module, "__thrift_meta__", {})
        services: dict[str, ServiceDef] = {}
        for cls in meta.get("services", []):
            methods = {n: self.method(cls, cls.__name__, n) for n in cls.thrift_services}
            base = cls.__mro__[1]
            services[cls.__name__] = ServiceDef(
                name=cls.__name__,
                methods=methods,
                doc=self.doc_at(cls, getattr(cls, "__thrift_lineno__", None)),
                annotations=dict(getattr(cls, "__thrift_annotations__", {})),
                extends=None if base is object else base.__name__,
            )
        for kind in ("structs", "exceptions", "unions"):
            for cls in meta.get(kind, []):
                self.struct(cls)
        for cls in meta.get("enums", []):
            self.enum(cls)
        return Idl(
            path=self.path,
            module=self.module,
            source=self.source,
            doc=doc_comments(self.source).get(0, ""),
            services=services,
            structs={s.name: s for s in self.structs.values()},
            enums={e.name: e for e in self.enums.values()},
        )


def _split(spec: Any) -> tuple[Any, int]:
    """A container's element spec is either a bare type id or (type id, inner spec)."""
    if isinstance(spec, int):
        return None, spec
    return spec[1], spec[0]


def _defining_class(service_cls: type, method: str) -> type:
    for c in service_cls.__mro__:
        if method in getattr(c, "__thrift_function_linenos__", {}) and hasattr(c, f"{method}_args") and (
            f"{method}_args" in vars(c)
        ):
            return c
    return service_cls


_TOKEN = re.compile(
    r"""(?P<doc>/\*\*(?!/).*?\*/)      # a doc comment
      | (?P<comment>/\*.*?\*/|//[^\n]*|\#[^\n]*)
      | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
      | (?P<code>[^\s])""",
    re.S | re.X,
)


def doc_comments(text: str) -> dict[int, str]:
    """Map each declaration line (1-based) to the doc comment right above it.

    A doc comment belongs to the first code that follows it; the file's leading doc comment,
    if it is followed by another doc comment or a `namespace`/`include` line, is also returned
    under line 0 as the file's own doc.
    """
    docs: dict[int, str] = {}
    pending: str | None = None
    first = True
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "doc":
            if pending is not None and first:
                docs[0] = pending
            pending = _clean_doc(m.group())
        elif kind == "comment":
            continue
        else:
            if pending is not None:
                line = text.count("\n", 0, m.start()) + 1
                if first and text.startswith(("namespace", "include", "cpp_include"), m.start()):
                    docs[0] = pending
                else:
                    docs[line] = pending
                pending = None
            first = False
    return docs


def _clean_doc(raw: str) -> str:
    body = raw[3:-2].strip("*")  # also the extra stars of /*** ... ***/
    lines = [re.sub(r"^\s*\* ?", "", ln) for ln in body.splitlines()]
    return "\n".join(lines).strip()


def copy_default(value: Any) -> Any:
    """A field's default, fresh for each message (container defaults must not be shared)."""
    if value is None or isinstance(value, (int, float, str, bytes, bool)):
        return value
    return copy.deepcopy(value)
