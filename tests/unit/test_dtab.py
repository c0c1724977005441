"""Dtabs and name trees: Finagle's concrete syntax, its documented examples and its binding rules.

The cases follow Finagle's own documentation and test expectations (NameTree.read, Dentry.read,
Dtab.read, Namer.bind), restated here so Aviary's reading of a dtab is Finagle's.
"""

from __future__ import annotations

import pytest

from framework.discovery import names
from framework.discovery.namer import bind, evaluate, resolve_names
from framework.dtab import (
    ANY,
    EMPTY,
    FAIL,
    NEG,
    Alt,
    BadDtab,
    Dentry,
    Dtab,
    Leaf,
    Path,
    Union_,
    Weighted,
    dtab_of,
    parse_dentry,
    parse_dtab,
    parse_path,
    parse_tree,
    show,
)


def leaf(*labels: str) -> Leaf:
    return Leaf(Path.of(*labels))


def union(*trees: object, weights: tuple[float, ...] | None = None) -> Union_:
    ws = weights or (1.0,) * len(trees)
    return Union_(tuple(Weighted(w, t) for w, t in zip(ws, trees)))  # type: ignore[arg-type]


def inet(host: str, port: int) -> names.Name:
    return names.Name("inet", addresses=((host, port),))


def test_paths_parse_as_finagle_reads_them() -> None:
    assert parse_path("/") == Path()
    assert parse_path("  /foo/bar  ") == Path.of("foo", "bar")
    assert parse_path("/\\x66\\x6f\\x6F") == Path.of("foo")
    for bad in ("", "/foo/bar/", "/{}", "/\\?", "/\\x?", "/\\x0?"):
        with pytest.raises(BadDtab):
            parse_path(bad)


def test_errors_point_at_the_character() -> None:
    with pytest.raises(BadDtab, match=r"'/foo\[\^\]bar'"):
        parse_path("/foo^bar")
    with pytest.raises(BadDtab, match=r"'/foo/bar/\[\]'"):
        parse_path("/foo/bar/")
    with pytest.raises(BadDtab, match="label char expected"):
        parse_path("/foo/bar/")


def test_name_trees() -> None:
    assert parse_tree("! | ~ | $") == Alt((FAIL, NEG, EMPTY))
    assert parse_tree("/foo/bar") == leaf("foo", "bar")
    assert parse_tree("  /foo & /bar  ") == union(leaf("foo"), leaf("bar"))
    assert parse_tree("  /foo | /bar  ") == Alt((leaf("foo"), leaf("bar")))
    assert parse_tree("/foo & /bar | /bar & /baz") == Alt((union(leaf("foo"), leaf("bar")), union(leaf("bar"), leaf("baz"))))
    assert parse_tree("1 * /foo & 2 * /bar | .5 * /bar & .5 * /baz") == Alt(
        (union(leaf("foo"), leaf("bar"), weights=(1.0, 2.0)), union(leaf("bar"), leaf("baz"), weights=(0.5, 0.5)))
    )
    for bad in ("", "#", "/foo &", "/foo & 0.1.2 * /bar", "/foo & . * /bar"):
        with pytest.raises(BadDtab):
            parse_tree(bad)


def test_shown_trees_parse_back() -> None:
    for text in ("/foo & /bar | /baz | $", "0.5*/a & 2*/b", "(/a | /b) & /c", "! | ~", "/a/\\x00b"):
        tree = parse_tree(text)
        assert parse_tree(show(tree)) == tree


def test_dentries() -> None:
    assert parse_dentry("/=>!") == Dentry((), FAIL)
    assert parse_dentry("/ => !") == Dentry((), FAIL)
    assert parse_dentry("/foo/*/bar => !") == Dentry(("foo", ANY, "bar"), FAIL)
    assert parse_dentry("/foo/bar/baz => !") == Dentry(("foo", "bar", "baz"), FAIL)
    for bad in ("/foo/*bar/baz => !", "/&!"):
        with pytest.raises(BadDtab):
            parse_dentry(bad)


def test_dtabs() -> None:
    assert parse_dtab("") == Dtab()
    assert parse_dtab("  /=>!  ") == Dtab((Dentry((), FAIL),))
    assert parse_dtab("/=>!;") == Dtab((Dentry((), FAIL),))
    assert parse_dtab("/=>!;/foo=>/bar") == Dtab((Dentry((), FAIL), Dentry(("foo",), leaf("bar"))))
    assert len(parse_dtab("\n  /b => /c;\n  /a => /b;\n  ")) == 2  # a trailing semicolon


def test_concatenation_and_comments() -> None:
    d1 = parse_dtab("/foo => /bar")
    d2 = parse_dtab("/foo=>/biz;/biz=>/$/inet/8080;/bar=>/$/inet/9090")
    assert d1 + d2 == parse_dtab("/foo=>/bar;\n/foo=>/biz;\n/biz=>/$/inet/8080;\n/bar=>/$/inet/9090")
    assert d1 + Dtab() == d1
    commented = parse_dtab(
        """
# a comment
      /#foo => /biz  # another comment
             | ( /bliz & # yet another comment
                 /bluth ) # duh bluths
             ; #finalmente
      #/ignore=>/me;
    """
    )
    assert commented == Dtab((Dentry(("#foo",), Alt((leaf("biz"), union(leaf("bliz"), leaf("bluth"))))),))


def test_lookup_later_entries_first_and_wildcards() -> None:
    assert parse_dtab("/a/*/c => /d").lookup(parse_path("/a/b/c/e/f")) == leaf("d", "e", "f")
    dtab = parse_dtab("/s => /one; /s/users => /two")
    assert dtab.lookup(parse_path("/s/users/x")) == Alt((leaf("two", "x"), leaf("one", "users", "x")))
    assert dtab.lookup(parse_path("/t")) is NEG
    assert dtab.show() == "/s=>/one;/s/users=>/two"


def test_bind_through_namers() -> None:
    base = parse_dtab("/s => /$/inet/127.0.0.1; /zk => /$/zk2/127.0.0.1:2181\\x2c127.0.0.2:2181")  # a comma is not a label character: escaped
    assert resolve_names(base, "/s/9090") == {inet("127.0.0.1", 9090)}
    assert resolve_names(base, "/zk/aviary/prod/echo:http") == {
        names.Name("zk2", clusters=("127.0.0.1:2181,127.0.0.2:2181",), path="/aviary/prod/echo", endpoint="http")
    }
    assert resolve_names(Dtab(), "/$/com.twitter.serverset/zk:2181/a/b") == {names.Name("zk2", clusters=("zk:2181",), path="/a/b")}
    assert resolve_names(Dtab(), "/$/inet/8080") == {inet("127.0.0.1", 8080)}


def test_alternation_falls_back_past_negative_but_stops_at_fail() -> None:
    empty = Dtab()
    assert bind(empty, "/$/nil") is EMPTY
    # Finagle's Namer tests: (! | /a | /b) fails; (~ | /$/fail | /a) fails; (/$/nil | /$/fail | /a) is empty.
    tests = parse_dtab("/t1 => ! | /$/inet/1; /t2 => ~ | /$/fail | /$/inet/1; /t3 => /$/nil | /$/fail | /$/inet/1")
    assert bind(tests, "/t1") is FAIL
    assert bind(tests, "/t2") is FAIL
    assert bind(tests, "/t3") is EMPTY
    assert evaluate(bind(tests, "/t3")) == frozenset()
    assert evaluate(bind(tests, "/t1")) is None


def test_local_override_wins_and_falls_back_with_neg() -> None:
    base = parse_dtab("/s => /$/inet/127.0.0.1")
    local = parse_dtab("/s/echo => /$/inet/127.0.0.2/7000")
    assert resolve_names(base + local, "/s/echo") == {inet("127.0.0.2", 7000)}
    assert resolve_names(base + local, "/s/9000") == {inet("127.0.0.1", 9000)}  # untouched
    # an override that says "not here" sends the name back to the base table
    assert resolve_names(base + parse_dtab("/s/9000 => ~"), "/s/9000") == {inet("127.0.0.1", 9000)}
    union_ = base + parse_dtab("/s/echo => /$/inet/127.0.0.2/7000 & /$/inet/127.0.0.3/7000")
    assert resolve_names(union_, "/s/echo") == {inet("127.0.0.2", 7000), inet("127.0.0.3", 7000)}


def test_unresolvable_names_and_loops_are_errors() -> None:
    with pytest.raises(BadDtab, match="no dtab entry or namer resolves it"):
        resolve_names(parse_dtab("/s => /t"), "/s/echo")
    with pytest.raises(BadDtab, match="loops"):
        resolve_names(parse_dtab("/a => /b; /b => /a"), "/a")
    with pytest.raises(BadDtab, match="no namer 'nosuch'"):
        resolve_names(Dtab(), "/$/nosuch/x")


def test_wire_pairs() -> None:
    assert dtab_of([("/s/echo", "/$/inet/127.0.0.1/1 | ~")]) == parse_dtab("/s/echo => /$/inet/127.0.0.1/1 | ~")
    with pytest.raises(BadDtab):
        dtab_of([("s/echo", "/x")])


def test_the_namer_paths_are_the_destination_strings_clients_take() -> None:
    # /$/zk2/… and /$/inet/… name exactly what zk2!… and inet!… do.
    assert resolve_names(Dtab(), "/$/zk2/127.0.0.1:2181/aviary/prod/echo:http") == {names.parse("zk2!127.0.0.1:2181!/aviary/prod/echo!http")}
    assert resolve_names(Dtab(), "/$/inet/10.0.0.1/9999") == {names.parse("inet!10.0.0.1:9999")}
