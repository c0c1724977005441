"""A parsed .thrift file (and what it includes) as a thriftpy2 module.

Handlers construct the IDL's structs and the codecs read their `thrift_spec`, so the module
is what thriftpy2's own loader makes: struct classes from `thriftpy2.thrift.TPayload` (and
`TException`) with `thrift_spec`/`default_spec` and a generated ``__init__``, enum classes with
`_VALUES_TO_NAMES`, service classes with ``<method>_args``/``<method>_result``, constants and
typedefs as attributes, ``__thrift_meta__`` listing it all. Line numbers and annotations are
kept where thriftpy2 keeps them (``__thrift_lineno__``, ``__thrift_field_annotations__``, ...),
and also where it does not: a namespace's (``__thrift_namespace_annotations__``), a typedef's
(``__thrift_typedef_annotations__``), a type's (``__thrift_field_type_annotations__``,
``__thrift_typedef_type_annotations__``), an enum item's (``__thrift_item_annotations__``).
An annotation without a value has the value "1", as in Apache's compiler.

Names are resolved as Apache's compiler does: a definition of this file, or ``inc.Name`` for
one of an included file ``inc.thrift``, in any order within a file (a struct may name one
declared after it). A name that resolves to nothing, a constant that does not fit its type,
a duplicate field id or name: `IdlSyntaxError` at the offending line and column.
"""

from __future__ import annotations

import collections
import copy
import keyword
import os
import types
from pathlib import Path
from typing import Any

from thriftpy2.thrift import TException, TPayload, TType, gen_init

from . import idl_syntax as syn
from .errors import IdlError, IdlSyntaxError

__all__ = ["build"]

_BASE_TTYPES = {
    "bool": TType.BOOL,
    "byte": TType.BYTE,
    "i8": TType.BYTE,
    "i16": TType.I16,
    "i32": TType.I32,
    "i64": TType.I64,
    "double": TType.DOUBLE,
    "string": TType.STRING,
    "binary": TType.BINARY,
}
_INTEGER_TTYPES = {TType.BYTE: 8, TType.I16: 16, TType.I32: 32, TType.I64: 64}


def build(path: Path, module_name: str, include_dirs: tuple[str, ...] = ()) -> types.ModuleType:
    """Parse `path` and every file it includes; the module of `path`, named `module_name`."""
    return _Loader(tuple(include_dirs)).module(path, module_name, ())


class _Loader:
    """One load: each file becomes one module however often it is included."""

    def __init__(self, include_dirs: tuple[str, ...]) -> None:
        self.include_dirs = include_dirs
        self.modules: dict[str, types.ModuleType] = {}
        self.filled: dict[int, _Module] = {}  # id(module) -> its names, for inc.Name look-ups

    def module(self, path: Path, name: str, stack: tuple[str, ...]) -> types.ModuleType:
        key = os.path.realpath(path)
        if key in self.modules:
            return self.modules[key]
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise IdlError(f"{path}: cannot read: {e}") from None
        doc = syn.parse(text, str(path))
        module = types.ModuleType(name)
        module.__thrift_file__ = str(path)  # type: ignore[attr-defined]
        module.__thrift_namespaces__ = {}  # type: ignore[attr-defined]
        module.__thrift_meta__ = collections.defaultdict(list)  # type: ignore[attr-defined]
        for inc in doc.includes:
            child_path = self.find_include(path, inc)
            child_name = child_path.name[: -len(".thrift")] if child_path.name.endswith(".thrift") else child_path.name
            if os.path.realpath(child_path) in (*stack, key):
                chain = " -> ".join(os.path.basename(s) for s in (*stack, key, os.path.realpath(child_path)))
                raise IdlSyntaxError(str(path), inc.line, inc.column, f"the includes go round in a circle: {chain}")
            child = self.module(child_path, child_name, (*stack, key))
            setattr(module, child_name, child)
            module.__thrift_meta__["includes"].append(child)  # type: ignore[attr-defined]
        filled = _Module(self, module, doc, str(path))
        filled.fill()
        self.filled[id(module)] = filled
        self.modules[key] = module
        return module

    def find_include(self, path: Path, inc: syn.Include) -> Path:
        """Apache's order: the including file's folder, then each include dir."""
        for base in (str(path.parent), *self.include_dirs):
            candidate = Path(base) / inc.path
            if candidate.is_file():
                return candidate
        looked = ", ".join([str(path.parent), *self.include_dirs])
        raise IdlSyntaxError(str(path), inc.line, inc.column, f"cannot find include {inc.path!r} (looked in {looked})")


class _Module:
    """Fills one module from its syntax tree, definitions built on first use."""

    def __init__(self, loader: _Loader, module: types.ModuleType, doc: syn.Document, path: str) -> None:
        self.loader = loader
        self.m = module
        self.doc = doc
        self.path = path
        self.meta: dict[str, list[Any]] = module.__thrift_meta__  # type: ignore[attr-defined]
        self.decls: dict[str, syn.Definition] = {}
        self.built: dict[str, Any] = {}
        self.building: set[str] = set()
        self.typedef_annotations: dict[str, dict[str, str]] = {}  # typedef Foo Bar (these)
        self.type_annotations: dict[str, dict[str, str]] = {}  # typedef Foo (these) Bar
        self.unfilled: dict[type, syn.Struct] = {}  # struct classes whose fields are not built yet

    def error(self, line: int, column: int, message: str) -> IdlSyntaxError:
        return IdlSyntaxError(self.path, line, column, message)

    # -- the file as a whole ----------------------------------------------------------------
    def fill(self) -> None:
        namespace_annotations: dict[str, dict[str, str]] = {}
        for ns in self.doc.namespaces:
            self.m.__thrift_namespaces__[ns.scope] = ns.name  # type: ignore[attr-defined]
            if ns.annotations:
                namespace_annotations[ns.scope] = ns.annotations
        self.m.__thrift_namespace_annotations__ = namespace_annotations  # type: ignore[attr-defined]
        for d in self.doc.definitions:
            if d.name in self.decls:
                raise self.error(d.line, d.column, f"{d.name!r} is already defined in this file")
            _check_name(self, d.name, d.line, d.column)
            self.decls[d.name] = d
        # Structs first as empty classes: fields may name any struct of the file, also their own;
        # their fields are built on first need (a constant of that struct) or in file order.
        for d in self.doc.definitions:
            if isinstance(d, syn.Struct):
                cls = self.built[d.name] = self.empty_struct(d)
                self.unfilled[cls] = d
        for d in self.doc.definitions:
            if isinstance(d, syn.Struct):
                self.ready(self.built[d.name])
            else:
                self.definition(d.name)
        self.m.__thrift_typedef_annotations__ = self.typedef_annotations  # type: ignore[attr-defined]
        self.m.__thrift_typedef_type_annotations__ = self.type_annotations  # type: ignore[attr-defined]
        for d in self.doc.definitions:
            value = self.built[d.name]
            if isinstance(d, syn.Struct):
                self.meta[{"struct": "structs", "union": "unions", "exception": "exceptions"}[d.kind]].append(value)
            elif isinstance(d, syn.Enum):
                self.meta["enums"].append(value)
            elif isinstance(d, syn.Service):
                self.meta["services"].append(value)
            elif isinstance(d, syn.Const):
                self.meta["consts"].append(value)

    def definition(self, name: str) -> Any:
        """The built value of a definition of this file: class, typedef spec or constant."""
        if name in self.built:
            return self.built[name]
        d = self.decls[name]
        if name in self.building:
            raise self.error(d.line, d.column, f"{name!r} is defined in terms of itself")
        self.building.add(name)
        try:
            if isinstance(d, syn.Enum):
                value: Any = self.enum(d)
            elif isinstance(d, syn.Senum):
                value = TType.STRING
                self.typedef_annotations[d.name] = dict(d.annotations)
            elif isinstance(d, syn.Typedef):
                value = self.ttype(d.type)
                if d.annotations:
                    self.typedef_annotations[d.name] = dict(d.annotations)
                if d.type.annotations:
                    self.type_annotations[d.name] = dict(d.type.annotations)
            elif isinstance(d, syn.Const):
                value = self.const_value(d.value, self.ttype(d.type), d.name)
            elif isinstance(d, syn.Service):
                value = self.service(d)
            else:  # pragma: no cover - structs are built before
                raise AssertionError(d)
        finally:
            self.building.discard(name)
        self.built[name] = value
        setattr(self.m, name, value)
        return value

    # -- names ------------------------------------------------------------------------------
    def lookup(self, name: str, line: int, column: int, what: str) -> tuple[Any, str]:
        """`name` as a definition of this file, ``Enum.VALUE``, or ``inc.Name`` of an included
        file (any of these in it); with what it is: "typedef", "const", "enum value", "struct",
        "enum", "senum" or "service"."""
        found = self.find(name)
        if found is None:
            head, _, rest = name.partition(".")
            if head in self.decls and isinstance(self.decls[head], syn.Enum):
                raise self.error(line, column, f"enum {head} has no value {rest!r}")
            for inc in sorted(self.includes(), key=len, reverse=True):
                if name.startswith(inc + "."):
                    raise self.error(line, column, f"{inc}.thrift defines no {what} {name[len(inc) + 1 :]!r}")
            raise self.error(line, column, f"unknown {what} {name!r}")
        return found

    def includes(self) -> dict[str, types.ModuleType]:
        """The included modules by the name this file calls them (the file name less .thrift)."""
        return {m.__name__: m for m in self.meta["includes"]}

    def find(self, name: str) -> tuple[Any, str] | None:
        if name in self.decls:
            d = self.decls[name]
            kind = d.kind if isinstance(d, syn.Struct) else type(d).__name__.lower()
            return self.definition(name), kind
        head, _, rest = name.partition(".")
        if not rest:
            return None
        if head in self.decls and isinstance(self.decls[head], (syn.Enum, syn.Typedef)):
            enum = self.definition(head)  # an enum, or a typedef of one: (TType.I32, enum)
            if isinstance(enum, tuple) and enum[0] == TType.I32:
                enum = enum[1]
            if rest in getattr(enum, "_NAMES_TO_VALUES", {}):
                return enum._NAMES_TO_VALUES[rest], "enum value"
            return None
        # an include's name may itself hold dots (include "a.b.thrift" is a.b): longest first
        for inc, child in sorted(self.includes().items(), key=lambda kv: -len(kv[0])):
            if name.startswith(inc + "."):
                found = self.loader.filled[id(child)].find(name[len(inc) + 1 :])
                if found is not None:
                    return found
        return None

    # -- types ------------------------------------------------------------------------------
    def ttype(self, t: syn.TypeRef) -> Any:
        """thriftpy2's type spec: a TType int, or (TType, class) / (TType, element spec)."""
        if t.kind == "base":
            return _BASE_TTYPES[t.name]
        if t.kind in ("list", "set"):
            return (TType.LIST if t.kind == "list" else TType.SET, self.ttype(t.args[0]))
        if t.kind == "map":
            return (TType.MAP, (self.ttype(t.args[0]), self.ttype(t.args[1])))
        value, kind = self.lookup(t.name, t.line, t.column, "type")
        if kind in ("struct", "union", "exception", "enum"):
            return (value._ttype, value)
        if kind in ("typedef", "senum"):
            return value
        raise self.error(t.line, t.column, f"{t.name!r} is a {kind}, not a type")

    # -- enums ------------------------------------------------------------------------------
    def enum(self, d: syn.Enum) -> type:
        cls = type(
            d.name,
            (object,),
            {"__module__": self.m.__name__, "_ttype": TType.I32, "__thrift_lineno__": d.line, "__thrift_file__": self.path},
        )
        names: dict[int, str] = {}
        values: dict[str, int] = {}
        linenos: dict[str, int] = {}
        item_annotations: dict[str, dict[str, str]] = {}
        nxt = 0
        for item in d.items:
            value = nxt if item.value is None else item.value
            _check_name(self, item.name, item.line, item.column)
            if item.name in values:
                raise self.error(item.line, item.column, f"enum {d.name} already has a value {item.name!r}")
            if not -(2**31) <= value < 2**31:
                raise self.error(item.line, item.column, f"{d.name}.{item.name} = {value} does not fit in an i32")
            setattr(cls, item.name, value)
            names.setdefault(value, item.name)
            values[item.name] = value
            linenos[item.name] = item.line
            if item.annotations:
                item_annotations[item.name] = dict(item.annotations)
            nxt = value + 1
        cls._VALUES_TO_NAMES = names  # type: ignore[attr-defined]
        cls._NAMES_TO_VALUES = values  # type: ignore[attr-defined]
        cls.__thrift_item_linenos__ = linenos  # type: ignore[attr-defined]
        cls.__thrift_annotations__ = dict(d.annotations)  # type: ignore[attr-defined]
        cls.__thrift_item_annotations__ = item_annotations  # type: ignore[attr-defined]
        return cls

    # -- structs ----------------------------------------------------------------------------
    def empty_struct(self, d: syn.Struct) -> type:
        base = TException if d.kind == "exception" else TPayload
        cls = type(
            d.name,
            (base,),
            {"__module__": self.m.__name__, "_ttype": TType.STRUCT, "__thrift_lineno__": d.line, "__thrift_file__": self.path},
        )
        cls.__thrift_annotations__ = dict(d.annotations)  # type: ignore[attr-defined]
        setattr(self.m, d.name, cls)
        return cls

    def ready(self, cls: type) -> type:
        """`cls` with its fields built (a struct of an included file always is)."""
        d = self.unfilled.get(cls)
        if d is not None:
            if d.name in self.building:
                raise self.error(d.line, d.column, f"a default of {d.name} is a {d.name} itself")
            self.building.add(d.name)
            try:
                self.fill_fields(cls, d.fields, f"{d.kind} {d.name}", exception_only=False)
                _gen_init(cls)
            finally:
                self.building.discard(d.name)
            del self.unfilled[cls]
        return cls

    def fill_fields(self, cls: type, fields: list[syn.FieldDecl], owner: str, exception_only: bool) -> None:
        """`thrift_spec` and friends of a struct or of a method's args or result (whose
        fields, the `throws`, must be exceptions: `exception_only`)."""
        thrift_spec: dict[int, tuple[Any, ...]] = {}
        default_spec: list[tuple[str, Any]] = []
        tspec: dict[str, tuple[bool, Any]] = {}
        linenos: dict[str, int] = {}
        annotations: dict[str, dict[str, str]] = {}
        type_annotations: dict[str, dict[str, str]] = {}  # 1: i32 (these) x (not these)
        implicit = -1
        for f in fields:
            if f.id is None:  # Apache numbers fields without an id -1, -2, ...
                fid = implicit
                implicit -= 1
            else:
                fid = f.id
                if not -(2**15) <= fid < 2**15:
                    raise self.error(f.line, f.column, f"field id {fid} of {f.name!r} does not fit in an i16")
            if fid in thrift_spec:
                raise self.error(f.line, f.column, f"{owner}: field id {fid} is used twice ({thrift_spec[fid][1]!r} and {f.name!r})")
            if f.name in tspec:
                raise self.error(f.line, f.column, f"{owner}: a field named {f.name!r} is declared twice")
            _check_name(self, f.name, f.line, f.column)
            spec = self.ttype(f.type)
            if exception_only and not (isinstance(spec, tuple) and isinstance(spec[1], type) and issubclass(spec[1], TException)):
                raise self.error(f.type.line, f.type.column, f"{owner} {_type_name(f.type)}, which is not an exception")
            required = f.requiredness == "required"
            thrift_spec[fid] = _field_spec(spec, f.name, required)
            default = self.const_value(f.default, spec, f.name) if f.default is not None else None
            default_spec.append((f.name, default))
            tspec[f.name] = (required, spec)
            linenos[f.name] = f.line
            if f.annotations:
                annotations[f.name] = dict(f.annotations)
            if f.type.annotations:
                type_annotations[f.name] = dict(f.type.annotations)
        cls.thrift_spec = thrift_spec  # type: ignore[attr-defined]
        cls.default_spec = default_spec  # type: ignore[attr-defined]
        cls._tspec = tspec  # type: ignore[attr-defined]
        cls.__thrift_field_linenos__ = linenos  # type: ignore[attr-defined]
        cls.__thrift_field_annotations__ = annotations  # type: ignore[attr-defined]
        cls.__thrift_field_type_annotations__ = type_annotations  # type: ignore[attr-defined]

    # -- services ---------------------------------------------------------------------------
    def service(self, d: syn.Service) -> type:
        base: type = object
        if d.extends:
            value, _ = self.lookup(d.extends, d.extends_line, d.extends_column, "service")
            if not (isinstance(value, type) and hasattr(value, "thrift_services")):
                raise self.error(d.extends_line, d.extends_column, f"{d.name} extends {d.extends}, which is not a service")
            base = value
        cls = type(d.name, (base,), {"__module__": self.m.__name__, "__thrift_lineno__": d.line, "__thrift_file__": self.path})
        own: list[str] = []
        linenos = dict(getattr(base, "__thrift_function_linenos__", {}))
        annotations: dict[str, dict[str, str]] = {}
        inherited = list(getattr(base, "thrift_services", []))
        for fn in d.functions:
            if fn.name in own or fn.name in inherited:
                raise self.error(fn.line, fn.column, f"service {d.name} already has a method {fn.name!r}")
            args_cls = type(f"{fn.name}_args", (TPayload,), {"__module__": self.m.__name__})
            _check_name(self, fn.name, fn.line, fn.column)
            self.fill_fields(args_cls, fn.args, f"{d.name}.{fn.name}", exception_only=False)
            _gen_init(args_cls)
            result_cls = type(f"{fn.name}_result", (TPayload,), {"__module__": self.m.__name__})
            self.fill_fields(result_cls, fn.throws, f"{d.name}.{fn.name} throws", exception_only=True)
            result_cls.oneway = fn.oneway  # type: ignore[attr-defined]
            if fn.returns is not None:
                if fn.oneway:
                    raise self.error(fn.line, fn.column, f"oneway method {fn.name!r} must return void")
                result_cls.thrift_spec[0] = _field_spec(self.ttype(fn.returns), "success", False)  # type: ignore[attr-defined]
                result_cls.default_spec.insert(0, ("success", None))  # type: ignore[attr-defined]
            elif fn.oneway and fn.throws:
                raise self.error(fn.line, fn.column, f"oneway method {fn.name!r} cannot throw")
            _gen_init(result_cls)
            setattr(cls, f"{fn.name}_args", args_cls)
            setattr(cls, f"{fn.name}_result", result_cls)
            own.append(fn.name)
            linenos[fn.name] = fn.line
            if fn.annotations:
                annotations[fn.name] = dict(fn.annotations)
        cls.thrift_services = own + inherited  # type: ignore[attr-defined]
        cls.__thrift_function_linenos__ = linenos  # type: ignore[attr-defined]
        cls.__thrift_annotations__ = dict(d.annotations)  # type: ignore[attr-defined]
        cls.__thrift_function_annotations__ = annotations  # type: ignore[attr-defined]
        return cls

    # -- constants --------------------------------------------------------------------------
    def const_value(self, v: syn.ConstValue, spec: Any, name: str) -> Any:
        """`v` as a Python value of type `spec` (thriftpy2's: ints for enums, instances for
        structs, dict/list/set for containers; map keys and set members made hashable)."""
        if v.kind == "ident":
            return self.named_const(v, spec, name)
        ttype = spec[0] if isinstance(spec, tuple) else spec

        def bad(expected: str) -> IdlSyntaxError:
            return self.error(v.line, v.column, f"{name}: expected {expected}, found {_describe(v)}")

        if ttype == TType.BOOL:
            if v.kind == "bool" or (v.kind == "int" and v.value in (0, 1)):
                return bool(v.value)
            raise bad("a bool (true, false, 0 or 1)")
        if ttype in _INTEGER_TTYPES and not isinstance(spec, tuple):
            if v.kind in ("int", "bool"):
                bits = _INTEGER_TTYPES[ttype]
                if not -(2 ** (bits - 1)) <= int(v.value) < 2 ** (bits - 1):
                    raise self.error(v.line, v.column, f"{name}: {v.value} does not fit in an i{bits}")
                return int(v.value)
            raise bad("an integer")
        if ttype == TType.I32:  # an enum
            enum = spec[1]
            if v.kind == "int":
                if v.value not in enum._VALUES_TO_NAMES:
                    raise self.error(v.line, v.column, f"{name}: {v.value} is not a value of enum {enum.__name__}")
                return v.value
            raise bad(f"a value of enum {enum.__name__}")
        if ttype == TType.DOUBLE:
            if v.kind in ("int", "double"):
                return float(v.value)
            raise bad("a number")
        if ttype in (TType.STRING, TType.BINARY):
            if v.kind == "string":
                return v.value
            raise bad("a string")
        if ttype in (TType.LIST, TType.SET):
            if v.kind == "map" and not v.value and ttype == TType.SET:  # {} for an empty set, as Apache allows
                return set()
            if v.kind != "list":
                raise bad("a list [...]")
            items = [self.const_value(x, spec[1], name) for x in v.value]
            return {_hashable(x) for x in items} if ttype == TType.SET else items
        if ttype == TType.MAP:
            if v.kind == "list" and not v.value:
                return {}
            if v.kind != "map":
                raise bad("a map {...}")
            kspec, vspec = spec[1]
            return {_hashable(self.const_value(k, kspec, name)): self.const_value(x, vspec, name) for k, x in v.value}
        if ttype == TType.STRUCT:
            cls = self.ready(spec[1])
            if v.kind != "map":
                raise bad(f"a {cls.__name__} written as a map {{...}}")
            tspec = cls._tspec
            kwargs: dict[str, Any] = {}
            for k, x in v.value:
                if k.kind != "string" or k.value not in tspec:
                    known = ", ".join(tspec) or "none"
                    raise self.error(k.line, k.column, f"{name}: {cls.__name__} has no field {_describe(k)} (its fields: {known})")
                kwargs[k.value] = self.const_value(x, tspec[k.value][1], f"{name}.{k.value}")
            return cls(**kwargs)
        raise bad("a value of this type")  # pragma: no cover

    def named_const(self, v: syn.ConstValue, spec: Any, name: str) -> Any:
        """An identifier as a value: another constant, an enum value (``Enum.VALUE``, or
        the bare ``VALUE`` where the type is that enum), or Scrooge's ``True``/``False``."""
        ref: str = v.value
        ttype = spec[0] if isinstance(spec, tuple) else spec
        if ttype == TType.BOOL and ref in ("True", "False") and ref not in self.decls:
            return ref == "True"
        enum = spec[1] if ttype == TType.I32 and isinstance(spec, tuple) else None
        found = self.find(ref)
        if found is None and enum is not None and ref.rpartition(".")[2] in enum._NAMES_TO_VALUES:
            # Apache reads Enum.VALUE by the constant's type: the enum may be an included one
            # that this file names through a typedef or not at all (Scrooge also a bare VALUE)
            return enum._NAMES_TO_VALUES[ref.rpartition(".")[2]]
        value, kind = found if found is not None else self.lookup(ref, v.line, v.column, "constant")
        if kind not in ("const", "enum value"):
            raise self.error(v.line, v.column, f"{name}: {ref} is a {kind}, not a value")
        return self.const_value(_as_const(value, v), spec, name) if kind == "enum value" else copy.deepcopy(value)


# Apache's compiler refuses these as names (t_generator::lang_keywords: words of the languages it
# generates), and so does Scrooge (ThriftKeywords).
_RESERVED = frozenset(
    """BEGIN END __CLASS__ __DIR__ __FILE__ __FUNCTION__ __LINE__ __METHOD__ __NAMESPACE__ abstract
    alias and args as assert begin break case catch class clone continue declare def default del
    delete do dynamic elif else elseif elsif end enddeclare endfor endforeach endif endswitch
    endwhile ensure except exec finally float for foreach from function global goto if implements
    import in inline instanceof interface is lambda module native new next nil not or package pass
    public print private protected raise redo rescue retry register return self sizeof static super
    switch synchronized then this throw transient try undef unless unsigned until use var virtual
    volatile when while with xor yield""".split()
)


def _check_name(m: _Module, name: str, line: int, column: int) -> None:
    if name in _RESERVED:
        raise m.error(line, column, f"{name!r} is a reserved word (Thrift reserves the keywords of the languages it generates)")


def _gen_init(cls: type) -> None:
    """thriftpy2's generated ``__init__(self, a=..., b=...)``; where a field has a name that
    Python reserves and Thrift does not (``None``, ``True``, ``nonlocal``, ``await``), one that
    takes the same arguments by position or as ``**{"None": v}``."""
    spec: list[tuple[str, Any]] = cls.default_spec  # type: ignore[attr-defined]
    if not any(keyword.iskeyword(name) for name, _ in spec):
        gen_init(cls, cls.thrift_spec, spec)  # type: ignore[attr-defined]
        return
    names = [name for name, _ in spec]

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(names):
            raise TypeError(f"{cls.__name__}() takes {len(names)} arguments, {len(args)} given")
        values = dict(zip(names, args))
        for k, v in kwargs.items():
            if k not in names or k in values:
                raise TypeError(f"{cls.__name__}() got an unexpected or repeated argument {k!r}")
            values[k] = v
        for name, default in spec:
            setattr(self, name, values[name] if name in values else copy.deepcopy(default))

    cls.__init__ = __init__  # type: ignore[misc]


def _type_name(t: syn.TypeRef) -> str:
    if t.kind in ("base", "named"):
        return t.name
    return f"{t.kind}<{','.join(_type_name(a) for a in t.args)}>"


def _field_spec(spec: Any, name: str, required: bool) -> tuple[Any, ...]:
    if isinstance(spec, int):
        return spec, name, required
    return spec[0], name, spec[1], required


class FrozenDict(dict):  # type: ignore[type-arg]
    """A map used as a map key or set member in a constant (Thrift allows it, Python dicts
    are not hashable)."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(x) for x in value)
    if isinstance(value, set):
        return frozenset(_hashable(x) for x in value)
    if isinstance(value, dict):
        return FrozenDict({_hashable(k): _hashable(x) for k, x in value.items()})
    return value


def _as_const(value: int, at: syn.ConstValue) -> syn.ConstValue:
    return syn.ConstValue("int", value, at.line, at.column)


def _describe(v: syn.ConstValue) -> str:
    if v.kind == "string":
        return repr(v.value)
    if v.kind in ("list", "map"):
        return f"a {v.kind}"
    return str(v.value)
