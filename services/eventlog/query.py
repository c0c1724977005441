"""LogQL-lite: a label selector and line filters.

    {service="billing", level=~"error|critical", host!="a"} |= "timeout" != "retry" |~ "t.*out"

    {service="billing"} | json | status="500" | path=~"/pay.*"

Selector matchers: ``=`` ``!=`` ``=~`` ``!~`` (regexes match the whole value, as in Loki).
Line filters: ``|=`` contains, ``!=`` does not contain, ``|~`` regex search, ``!~`` no regex
match. ``| json`` reads the message as a JSON object (a message that is not one does not
match) and makes its top-level fields (nested ones joined with ``_``) available to the field
filters after it: ``| name = "v"`` with the selector's operators, over fields and labels. The
stages run left to right. An empty query (or ``{}``) matches every event.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from framework.rest.codec import loads

__all__ = ["Query", "QueryError", "parse"]


class QueryError(ValueError):
    """The query text is malformed; the message says where."""


@dataclass
class Query:
    equal: dict[str, str] = field(default_factory=dict)  # the indexed part of the selector
    matchers: list[Callable[[dict[str, str]], bool]] = field(default_factory=list)
    stages: list[Callable[[dict[str, str], str], bool]] = field(default_factory=list)  # after the selector

    def matches(self, labels: dict[str, str], message: str) -> bool:
        """Whether an event matches; `labels` is the event's own dict (stages may add to it)."""
        for k, v in self.equal.items():
            if labels.get(k, "") != v:
                return False
        for m in self.matchers:
            if not m(labels):
                return False
        for stage in self.stages:
            if not stage(labels, message):
                return False
        return True


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<lbrace>\{) | (?P<rbrace>\}) | (?P<comma>,) |
      (?P<op>=~|!~|!=|\|=|\|~|=) | (?P<pipe>\|) |
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
        if toks[i][0] == "pipe":
            i += 1
            name, at = expect("name", "json or a field name after |")[1:]
            if name == "json" and (i >= len(toks) or toks[i][0] != "op" or toks[i][1] not in ("=", "!=", "=~", "!~")):
                q.stages.append(_json_stage)
                continue
            _, op, at = expect("op", "=, !=, =~ or !~")
            if op not in ("=", "!=", "=~", "!~"):
                raise QueryError(f"expected =, !=, =~ or !~ after | {name} at character {at + 1}")
            value = expect("string", "a quoted string")[1]
            test = _value_test(op, value, at)
            q.stages.append(lambda labels, message, name=name, test=test: test(labels.get(name, "")))
            continue
        _, op, at = expect("op", "a line filter (|=, !=, |~ or !~) or | json")
        if op not in ("|=", "!=", "|~", "!~"):
            raise QueryError(f"expected a line filter (|=, !=, |~ or !~) at character {at + 1}, found {op!r}")
        value = expect("string", "a quoted string")[1]
        line = _line_filter(op, value, at)
        q.stages.append(lambda labels, message, line=line: line(message))
    return q


def _json_stage(labels: dict[str, str], message: str) -> bool:
    try:
        doc = loads(message)
    except ValueError:
        return False
    if not isinstance(doc, dict):
        return False
    _flatten(doc, "", labels)
    return True


def _flatten(doc: dict[str, Any], prefix: str, out: dict[str, str]) -> None:
    for k, v in doc.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            _flatten(v, key + "_", out)
        elif isinstance(v, str):
            out[key] = v
        else:  # numbers, true/false/null and lists as their JSON text: status="500", ok="true"
            out[key] = json.dumps(v)


def _value_test(op: str, value: str, at: int) -> Callable[[str], bool]:
    if op == "=":
        return lambda v: v == value
    if op == "!=":
        return lambda v: v != value
    rx = _regex(value, at, whole=True)
    if op == "=~":
        return lambda v: rx.match(v) is not None
    return lambda v: rx.match(v) is None


def _add_matcher(q: Query, name: str, op: str, value: str, at: int) -> None:
    if op == "=":
        if name in q.equal and q.equal[name] != value:
            q.matchers.append(lambda labels: False)
        q.equal[name] = value
    else:
        test = _value_test(op, value, at)
        q.matchers.append(lambda labels: test(labels.get(name, "")))


def _line_filter(op: str, value: str, at: int) -> Callable[[str], bool]:
    if op == "|=":
        return lambda line: value in line
    if op == "!=":
        return lambda line: value not in line
    rx = _regex(value, at, whole=False)
    if op == "|~":
        return lambda line: rx.search(line) is not None
    return lambda line: rx.search(line) is None

