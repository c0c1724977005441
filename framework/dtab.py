"""Logical names and delegation tables, as Finagle has them.

A caller names a dependency by a logical path (``/s/users``) and a delegation table (dtab)
rewrites it, prefix by prefix, until the path reaches a namer: ``/$/inet/host/port``,
``/$/zk2/<zk hosts>/<serverset path>[:endpoint]`` (``/$/com.twitter.serverset/…`` is the same
namer under Finagle's class name), ``/$/nil`` (exists, no members) and ``/$/fail``. The concrete
syntax and the evaluation rules are Finagle's:

    dtab   ::= dentry (';' dentry)*
    dentry ::= prefix '=>' tree            prefix elements may be '*' (any one label)
    tree   ::= tree1 ('|' tree1)*          alternation: the first branch that is not negative
    tree1  ::= weighted ('&' weighted)*    union: every branch that is not negative
    weighted ::= [number '*'] simple
    simple ::= path | '!' (fail) | '~' (negative) | '$' (empty) | '(' tree ')'

Later dentries take precedence: a path is looked up against the table from its last entry to
its first, and every entry whose prefix matches contributes a branch of an alternation, so a
per-request override (``Dtab-Local``) appended to the base table wins where it applies and
falls back to the base where it says ``~``. This module is the syntax and the table;
`framework.discovery.namer` binds a path through a table to the names a client balances over.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Union

from .errors import AviaryError

__all__ = [
    "BadDtab",
    "Path",
    "Leaf",
    "Alt",
    "Union_",
    "Weighted",
    "NEG",
    "FAIL",
    "EMPTY",
    "NameTree",
    "Dentry",
    "Dtab",
    "ANY",
    "parse_path",
    "parse_tree",
    "parse_dentry",
    "parse_dtab",
    "dtab_of",
    "show",
    "local",
    "local_dtab",
    "base_dtab",
    "set_base_dtab",
]

class BadDtab(AviaryError):
    """A path, name tree or dtab that does not parse, or that cannot be bound."""


# --- paths -----------------------------------------------------------------------------------

_SHOWABLE = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_:.#$%-")


@dataclass(frozen=True, slots=True)
class Path:
    """A sequence of labels. Labels are byte strings in Finagle; here each is a `str` whose
    characters are the bytes (U+0000–U+00FF), so ``\\xHH`` escapes round-trip exactly."""

    labels: tuple[str, ...] = ()

    @classmethod
    def of(cls, *labels: str) -> Path:
        return cls(tuple(labels))

    def startswith(self, prefix: Path) -> bool:
        return self.labels[: len(prefix.labels)] == prefix.labels

    def __add__(self, other: Path) -> Path:
        return Path(self.labels + other.labels)

    def __len__(self) -> int:
        return len(self.labels)

    def show(self) -> str:
        if not self.labels:
            return "/"
        return "".join("/" + _show_label(label) for label in self.labels)

    def __str__(self) -> str:
        return self.show()


def _show_label(label: str) -> str:
    return "".join(c if c in _SHOWABLE else f"\\x{ord(c):02x}" for c in label)


# --- name trees ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Leaf:
    value: object  # a Path while unbound, a destination (`framework.discovery.names.Name`) once bound


@dataclass(frozen=True, slots=True)
class Weighted:
    weight: float
    tree: NameTree


@dataclass(frozen=True, slots=True)
class Alt:
    trees: tuple[NameTree, ...]


@dataclass(frozen=True, slots=True)
class Union_:
    trees: tuple[Weighted, ...]


@dataclass(frozen=True, slots=True)
class _Special:
    symbol: str
    name: str

    def __repr__(self) -> str:
        return self.name


NEG = _Special("~", "Neg")  # no destination here: try the next alternative
FAIL = _Special("!", "Fail")  # stop: the name fails
EMPTY = _Special("$", "Empty")  # a destination that exists with no members

NameTree = Union[Leaf, Alt, Union_, _Special]
DEFAULT_WEIGHT = 1.0


def show(tree: NameTree) -> str:
    """The concrete syntax of `tree` (parses back to an equal tree)."""
    if isinstance(tree, Alt):
        return " | ".join(_show_union(t) for t in tree.trees) if len(tree.trees) != 1 else show(tree.trees[0])
    return _show_union(tree)


def _show_union(tree: NameTree) -> str:
    if isinstance(tree, Union_) and len(tree.trees) != 1:
        return " & ".join(
            _show_simple(w.tree) if w.weight == DEFAULT_WEIGHT else f"{w.weight:g}*{_show_simple(w.tree)}" for w in tree.trees
        )
    if isinstance(tree, Union_):
        return _show_union(tree.trees[0].tree)
    return _show_simple(tree)


def _show_simple(tree: NameTree) -> str:
    if isinstance(tree, Leaf):
        return tree.value.show() if isinstance(tree.value, Path) else str(tree.value)
    if isinstance(tree, _Special):
        return tree.symbol
    if isinstance(tree, Alt) and len(tree.trees) == 1:
        return _show_simple(tree.trees[0])
    if isinstance(tree, Union_) and len(tree.trees) == 1:
        return _show_simple(tree.trees[0].tree)
    return f"({show(tree)})"


def _map(tree: NameTree, fn: Callable[[object], object]) -> NameTree:
    if isinstance(tree, Leaf):
        return Leaf(fn(tree.value))
    if isinstance(tree, Alt):
        return Alt(tuple(_map(t, fn) for t in tree.trees))
    if isinstance(tree, Union_):
        return Union_(tuple(Weighted(w.weight, _map(w.tree, fn)) for w in tree.trees))
    return tree


# --- dentries and dtabs ----------------------------------------------------------------------


class _Any:
    def __repr__(self) -> str:
        return "*"


ANY = _Any()  # a prefix element matching any one label


@dataclass(frozen=True, slots=True)
class Dentry:
    prefix: tuple[str | _Any, ...]
    dst: NameTree

    def matches(self, path: Path) -> bool:
        if len(self.prefix) > len(path.labels):
            return False
        return all(p is ANY or p == label for p, label in zip(self.prefix, path.labels))

    def show_prefix(self) -> str:
        return "".join("/" + ("*" if p is ANY else _show_label(p)) for p in self.prefix) or "/"  # type: ignore[arg-type]

    def show(self) -> str:
        return f"{self.show_prefix()}=>{show(self.dst)}"


@dataclass(frozen=True, slots=True)
class Dtab:
    dentries: tuple[Dentry, ...] = field(default=())

    def __add__(self, other: Dtab) -> Dtab:
        return self if not other.dentries else Dtab(self.dentries + other.dentries)

    def __bool__(self) -> bool:
        return bool(self.dentries)

    def __len__(self) -> int:
        return len(self.dentries)

    def lookup(self, path: Path) -> NameTree:
        """The tree `path` is rewritten to: one branch per matching entry, the last entry
        first; `NEG` when none matches."""
        found: list[NameTree] = []
        for d in reversed(self.dentries):
            if d.matches(path):
                rest = Path(path.labels[len(d.prefix) :])
                found.append(_map(d.dst, lambda p, rest=rest: p + rest))  # type: ignore[operator]
        if not found:
            return NEG
        return found[0] if len(found) == 1 else Alt(tuple(found))

    def pairs(self) -> list[tuple[str, str]]:
        """(prefix, destination) pairs, the form Mux and TTwitter carry delegations in."""
        return [(d.show_prefix(), show(d.dst)) for d in self.dentries]

    def show(self) -> str:
        return ";".join(d.show() for d in self.dentries)

    def __str__(self) -> str:
        return self.show()


# --- the parser (Finagle's concrete syntax and its error messages) ---------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    @property
    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def fail(self, expected: str) -> BadDtab:
        found = f"'{self.peek}'" if self.peek else "end of input"
        at = f"{self.s[: self.i]}[{self.peek}]{self.s[self.i + 1 :]}"
        return BadDtab(f"{expected} expected but {found} found at '{at}'")

    def eat(self, ch: str) -> None:
        if self.peek != ch:
            raise self.fail(f"'{ch}'")
        self.i += 1

    def maybe(self, ch: str) -> bool:
        if self.peek == ch:
            self.i += 1
            return True
        return False

    def ws(self) -> None:
        while self.i < len(self.s) and (self.s[self.i].isspace() or self.s[self.i] == "#"):
            if self.s[self.i] == "#":  # a comment to the end of the line
                while self.i < len(self.s) and self.s[self.i] != "\n":
                    self.i += 1
            self.i += 1

    def end(self) -> None:
        self.ws()
        if self.i < len(self.s):
            raise self.fail("end of input")

    def _label_char(self) -> bool:
        return self.peek in _SHOWABLE or self.peek == "\\"

    def label(self) -> str:
        out: list[str] = []
        while True:
            c = self.peek
            if c and c in _SHOWABLE:
                out.append(c)
                self.i += 1
            elif c == "\\":
                self.i += 1
                self.eat("x")
                hi, lo = self._hex(), self._hex()
                out.append(chr(int(hi + lo, 16)))
            else:
                raise self.fail("label char")
            if not self._label_char():
                return "".join(out)

    def _hex(self) -> str:
        c = self.peek
        if not c or c not in "0123456789abcdefABCDEF":
            raise self.fail("hex char")
        self.i += 1
        return c

    def path(self) -> Path:
        self.ws()
        self.eat("/")
        if not self._label_char():
            return Path()
        labels = [self.label()]
        while self.maybe("/"):
            labels.append(self.label())
        return Path(tuple(labels))

    def prefix(self) -> tuple[str | _Any, ...]:
        self.ws()
        self.eat("/")
        if not (self._label_char() or self.peek == "*"):
            return ()
        elems: list[str | _Any] = []
        while True:
            if self.maybe("*"):
                elems.append(ANY)
            else:
                elems.append(self.label())
            if not self.maybe("/"):
                return tuple(elems)

    def tree(self) -> NameTree:
        trees = [self.tree1()]
        self.ws()
        while self.maybe("|"):
            trees.append(self.tree1())
            self.ws()
        return trees[0] if len(trees) == 1 else Alt(tuple(trees))

    def tree1(self) -> NameTree:
        trees = [self.weighted()]
        self.ws()
        while self.maybe("&"):
            trees.append(self.weighted())
            self.ws()
        return trees[0].tree if len(trees) == 1 else Union_(tuple(trees))

    def weighted(self) -> Weighted:
        self.ws()
        weight = DEFAULT_WEIGHT
        if self.peek and self.peek in "0123456789.":
            start = self.i
            while self.peek and self.peek in "0123456789.":
                if self.peek == "." and "." in self.s[start : self.i]:
                    raise self.fail("number char")
                self.i += 1
            text = self.s[start : self.i]
            if text == ".":
                self.i -= 1
                raise self.fail("weight")
            weight = float(text)
            self.ws()
            self.eat("*")
            self.ws()
        return Weighted(weight, self.simple())

    def simple(self) -> NameTree:
        self.ws()
        c = self.peek
        if c == "(":
            self.i += 1
            t = self.tree()
            self.ws()
            self.eat(")")
            return t
        if c == "/":
            return Leaf(self.path())
        for special in (FAIL, NEG, EMPTY):
            if c == special.symbol:
                self.i += 1
                return special
        raise self.fail("simple")

    def dentry(self) -> Dentry:
        pfx = self.prefix()
        self.ws()
        self.eat("=")
        self.eat(">")
        return Dentry(pfx, self.tree())

    def dtab(self) -> Dtab:
        out: list[Dentry] = []
        while True:
            self.ws()
            if self.i < len(self.s):
                out.append(self.dentry())
                self.ws()
            if not self.maybe(";"):
                return Dtab(tuple(out))


def parse_path(text: str) -> Path:
    p = _Parser(text)
    path = p.path()
    p.end()
    return path


def parse_tree(text: str) -> NameTree:
    p = _Parser(text)
    tree = p.tree()
    p.end()
    return tree


def parse_dentry(text: str) -> Dentry:
    p = _Parser(text)
    d = p.dentry()
    p.end()
    return d


def parse_dtab(text: str) -> Dtab:
    """Parse a dtab (``/s=>/$/inet/127.0.0.1/9090;/s/users=>/s/users-staging``)."""
    p = _Parser(text)
    d = p.dtab()
    p.end()
    return d


def dtab_of(entries: Iterable[tuple[str, str]]) -> Dtab:
    """A dtab from (prefix, destination) pairs, as the Mux and TTwitter wire forms carry it."""
    return Dtab(tuple(Dentry(_parse_prefix(src), parse_tree(dst)) for src, dst in entries))


def _parse_prefix(text: str) -> tuple[str | _Any, ...]:
    p = _Parser(text)
    pfx = p.prefix()
    p.end()
    return pfx


# --- the per-request override a caller sets for the calls it makes ---------------------------

_local: contextvars.ContextVar[Dtab] = contextvars.ContextVar("aviary_dtab_local", default=Dtab())


@contextlib.contextmanager
def local(dtab: Dtab | str) -> Iterator[Dtab]:
    """Send every client call made inside the block with `dtab` appended to the delegations
    it carries (Finagle's ``Dtab.unwind { Dtab.local ++= … }``)::

        with framework.dtab.local("/s/echo => /s/echo-staging"):
            await echo.call("echo", "hi")   # this call, and every call its server makes
    """
    extra = parse_dtab(dtab) if isinstance(dtab, str) else dtab
    token = _local.set(_local.get() + extra)
    try:
        yield extra
    finally:
        _local.reset(token)


def local_dtab() -> Dtab:
    """The delegations `local` added in this task or thread (empty outside any block)."""
    return _local.get()


# --- the process's base table ------------------------------------------------------------------

_base = Dtab()


def base_dtab() -> Dtab:
    """The table every logical destination is bound through (the host sets it from the
    ``dtab`` setting; Finagle's ``Dtab.base``)."""
    return _base


def set_base_dtab(dtab: Dtab | str) -> Dtab:
    global _base
    _base = parse_dtab(dtab) if isinstance(dtab, str) else dtab
    return _base
