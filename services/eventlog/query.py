"""LogQL-lite: a label selector and line filters.

    {service="billing", level=~"error|critical", host!="a"} |= "timeout" != "retry" |~ "t.*out"

Selector matchers: ``=`` ``!=`` ``=~`` ``!~`` (regexes match the whole value, as in Loki).
Line filters: ``|=`` contains, ``!=`` does not contain, ``|~`` regex search, ``!~`` no regex
match. An empty query (or ``{}``) matches every event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["Query", "QueryError", "parse"]


class QueryError(ValueError):
    """The query text is malformed; the message says where."""


@dataclass
class Query:
    equal: dict[str, str] = field(default_factory=dict)  # the indexed part of the selector
    matchers: list[Callable[[dict[str, str]], bool]] = field(default_factory=list)
    line: list[Callable[[str], bool]] = field(default_factory=list)

    def matches(self, labels: dict[str, str], message: str) -> bool:
        for k, v in self.equal.items():
            if labels.get(k, "") != v:
                return False
        for m in self.matchers:
            if not m(labels):
                return False
        for f in self.line:
            if not f(message):
                return False
        return True


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<lbrace>\{) | (?P<rbrace>\}) | (?P<comma>,) |
      (?P<op>=~|!~|!=|\|=|\|~|=) |
      (?P<name>[A-Za-z_][A-Za-z0-9_.]*) |
      (?P<string>"(?:[^"\\]|\\.)*"|`[^`]*`)
    )""",
    re.X,
)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise QueryError(f"unexpected {text[pos:pos + 12]!r} at character {pos + 1}")
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "string":
            value = _unquote(value, m.start(kind))
        out.append((kind, value, m.start(kind)))
        pos = m.end()
    return out


def _unquote(s: str, at: int) -> str:
    if s.startswith("`"):
        return s[1:-1]
    body = s[1:-1]
    try:
        return body.encode("latin-1", "backslashreplace").decode("unicode_escape") if "\\" in body else body
    except UnicodeDecodeError:
        raise QueryError(f"bad escape in string at character {at + 1}") from None


def _regex(pattern: str, at: int, whole: bool) -> re.Pattern[str]:
    try:
        return re.compile(f"(?:{pattern})\\Z" if whole else pattern)
    except re.error as e:
        raise QueryError(f"bad regular expression {pattern!r} at character {at + 1}: {e}") from None


def parse(text: str) -> Query:
    q = Query()
    toks = _tokens(text)
    i = 0

    def expect(kind: str, what: str) -> tuple[str, str, int]:
        nonlocal i
        if i >= len(toks):
            raise QueryError(f"expected {what} at the end of the query")
        tok = toks[i]
        if tok[0] != kind:
            raise QueryError(f"expected {what} at character {tok[2] + 1}, found {tok[1]!r}")
        i += 1
        return tok

    if toks and toks[0][0] == "lbrace":
        i = 1
        while i < len(toks) and toks[i][0] != "rbrace":
            name = expect("name", "a label name")[1]
            _, op, at = expect("op", "=, !=, =~ or !~")
            if op not in ("=", "!=", "=~", "!~"):
                raise QueryError(f"{op} is a line filter, not a label matcher (character {at + 1})")
            value = expect("string", 'a quoted value such as "billing"')[1]
            _add_matcher(q, name, op, value, at)
            if i < len(toks) and toks[i][0] == "comma":
                i += 1
        expect("rbrace", "}")
    while i < len(toks):
        _, op, at = expect("op", "a line filter (|=, !=, |~ or !~)")
        if op not in ("|=", "!=", "|~", "!~"):
            raise QueryError(f"expected a line filter (|=, !=, |~ or !~) at character {at + 1}, found {op!r}")
        value = expect("string", "a quoted string")[1]
        q.line.append(_line_filter(op, value, at))
    return q


def _add_matcher(q: Query, name: str, op: str, value: str, at: int) -> None:
    if op == "=":
        if name in q.equal and q.equal[name] != value:
            q.matchers.append(lambda labels: False)
        q.equal[name] = value
    elif op == "!=":
        q.matchers.append(lambda labels: labels.get(name, "") != value)
    else:
        rx = _regex(value, at, whole=True)
        if op == "=~":
            q.matchers.append(lambda labels: rx.match(labels.get(name, "")) is not None)
        else:
            q.matchers.append(lambda labels: rx.match(labels.get(name, "")) is None)


def _line_filter(op: str, value: str, at: int) -> Callable[[str], bool]:
    if op == "|=":
        return lambda line: value in line
    if op == "!=":
        return lambda line: value not in line
    rx = _regex(value, at, whole=False)
    if op == "|~":
        return lambda line: rx.search(line) is not None
    return lambda line: rx.search(line) is None

