"""Binding logical names: a path rewritten through a dtab until the namers under ``/$/`` answer.

The namers: ``/$/inet/host/port`` (or ``/$/inet/port`` for this host), ``/$/zk2/<zk hosts>/<serverset
path>[:endpoint]`` (``/$/com.twitter.serverset/…``, Finagle's class name for the same namer;
a comma between ZooKeeper hosts is written ``\\x2c``, since it is no label character), ``/$/nil``
(exists, no members) and ``/$/fail``. The rules are Finagle's `Namer.bind`: an alternation keeps
its first branch that is not negative and stops at a failure; a union keeps every branch that is
neither. A serverset is bound as soon as it is named (Finagle waits for ZooKeeper to say whether
the path exists, and treats an absent one as negative); an empty one is a destination without
members, so an alternation does not fall past it.
"""

from __future__ import annotations

from ..dtab import EMPTY, FAIL, NEG, Alt, BadDtab, Dtab, Leaf, NameTree, Path, Union_, Weighted, parse_path
from . import names
from .resolver import Address, Resolution, resolve

__all__ = ["bind", "evaluate", "resolve_names", "BoundResolution", "MAX_DEPTH"]

MAX_DEPTH = 100  # rewrites before a lookup is given up as a loop (Finagle's namerMaxDepth)

_INET = ("inet", "fixedinet")
_SERVERSET = ("zk2", "com.twitter.serverset")


def _namer(path: Path) -> NameTree:
    """What the namers under ``/$/`` make of `path` (`NEG` for any other path)."""
    labels = path.labels
    if len(labels) < 2 or labels[0] != "$":
        return NEG
    kind, rest = labels[1], labels[2:]
    if kind in _INET:
        # /$/inet/host/port[/residual…] or /$/inet/port (this host)
        if len(rest) >= 2 and rest[1].isdigit():
            host, port = rest[0], rest[1]
        elif rest and rest[0].isdigit():
            host, port = "127.0.0.1", rest[0]
        else:
            raise BadDtab(f"{path.show()}: expected /$/{kind}/host/port")
        return Leaf(names.Name("inet", addresses=((host, int(port)),)))
    if kind == "nil":
        return EMPTY
    if kind == "fail":
        return FAIL
    if kind in _SERVERSET:
        # /$/zk2/<hosts>/<path…>[:endpoint], as Finagle's ServersetNamer reads it
        if len(rest) < 2:
            raise BadDtab(f"{path.show()}: expected /$/{kind}/<zk host:port[,…]>/<serverset path>[:endpoint]")
        hosts, zk_labels = rest[0], list(rest[1:])
        last, _, endpoint = zk_labels[-1].partition(":")
        zk_labels[-1] = last
        try:
            for h in hosts.split(","):
                names.parse_address(h, path.show())
        except names.BadName as e:
            raise BadDtab(str(e)) from None
        return Leaf(names.Name("zk2", clusters=(hosts,), path="/" + "/".join(zk_labels), endpoint=endpoint or None))
    raise BadDtab(f"{path.show()}: no namer {kind!r} (known: inet, zk2, com.twitter.serverset, nil, fail)")


def bind(dtab: Dtab, path: Path | str) -> NameTree:
    """Rewrite `path` through `dtab` (entries first, then the namers under ``/$/``) until every
    leaf is a `names.Name`. Alternations keep their first non-negative branch; unions drop
    negative and failed branches; the result has no `Alt` left (Finagle's `Namer.bind`)."""
    if isinstance(path, str):
        path = parse_path(path)
    return _bind(dtab, Leaf(path), 0)


def _bind(dtab: Dtab, tree: NameTree, depth: int) -> NameTree:
    if depth > MAX_DEPTH:
        raise BadDtab(f"more than {MAX_DEPTH} rewrites: the dtab loops")
    if isinstance(tree, Leaf):
        if isinstance(tree.value, names.Name):
            return tree
        assert isinstance(tree.value, Path)
        looked = dtab.lookup(tree.value)
        if looked is NEG:
            looked = _namer(tree.value)
            if isinstance(looked, Leaf):
                return looked
        return _bind(dtab, looked, depth + 1)
    if isinstance(tree, Alt):
        for t in tree.trees:
            bound = _bind(dtab, t, depth)
            if bound is not NEG:
                return bound
        return NEG
    if isinstance(tree, Union_):
        kept = [Weighted(w.weight, b) for w in tree.trees if (b := _bind(dtab, w.tree, depth)) not in (NEG, FAIL)]
        if not kept:
            return NEG
        return kept[0].tree if len(kept) == 1 else Union_(tuple(kept))
    return tree


def evaluate(tree: NameTree) -> frozenset[names.Name] | None:
    """The names a bound tree reaches (weights dropped), or None when it is negative or fails."""
    if tree is NEG or tree is FAIL:
        return None
    if tree is EMPTY:
        return frozenset()
    if isinstance(tree, Leaf):
        return frozenset([tree.value])  # type: ignore[list-item]
    if isinstance(tree, Alt):
        for t in tree.trees:
            r = evaluate(t)
            if t is FAIL:
                return None
            if r is not None:
                return r
        return None
    assert isinstance(tree, Union_)
    found = [r for w in tree.trees if (r := evaluate(w.tree)) is not None]
    return frozenset().union(*found) if found else None


def resolve_names(dtab: Dtab, path: Path | str) -> frozenset[names.Name]:
    """The names `path` reaches through `dtab`; `BadDtab` when it is negative or fails."""
    shown = path if isinstance(path, str) else path.show()
    found = evaluate(bind(dtab, path))
    if found is None:
        raise BadDtab(f"{shown}: no dtab entry or namer resolves it (dtab: {dtab.show() or 'empty'})")
    return found




class BoundResolution:
    """The live members of every name a binding reached, as one `Resolution`-like set (what
    `framework.client.Balancer` reads: `addresses`, `name`)."""

    def __init__(self, label: str, found: frozenset[names.Name], session_timeout_s: float = 10.0) -> None:
        self.name = f"{label} ({', '.join(sorted(map(str, found)))})" if found else label
        self._parts: list[Resolution] = [resolve(n, session_timeout_s) for n in sorted(found, key=str)]
        self._seen: tuple[tuple[Address, ...], ...] = ()
        self._addresses: tuple[Address, ...] = ()

    @property
    def addresses(self) -> tuple[Address, ...]:
        if len(self._parts) == 1:
            return self._parts[0].addresses
        current = tuple(p.addresses for p in self._parts)
        if current != self._seen:  # the same tuple until a part changes (the balancer checks identity)
            self._seen = current
            self._addresses = tuple(dict.fromkeys(a for part in current for a in part))
        return self._addresses

    @property
    def dynamic(self) -> bool:
        return any(p.dynamic for p in self._parts)

    def wait_ready(self, timeout: float = 10.0) -> bool:
        return all(p.wait_ready(timeout) for p in self._parts)

    def close(self) -> None:
        for p in self._parts:
            p.close()
