"""WireMock's matchers: string value patterns and request patterns, for HTTP and Thrift alike.

A *value pattern* is one JSON object with one operator (``{"equalTo": "x"}``,
``{"matchesJsonPath": "$.id"}``, ...) plus its options; it matches a piece of text, or its
absence. A *request pattern* is the ``request`` part of a stub mapping. A pattern with a
``service`` is a Thrift pattern: ``method`` is then the IDL method's name and ``bodyPatterns``
see the call's arguments as a JSON object (``{"text": "hi", "times": 2}``, the REST gateway's
JSON mapping). Without ``service`` it is an HTTP pattern.

Every pattern is checked when it is parsed: an unknown operator, a bad regex or JSONPath raise
`StubError` naming the field, so a bad stub is refused at load instead of never matching.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qsl

from framework.errors import AviaryError
from framework.rest.codec import loads

__all__ = ["StubError", "ValuePattern", "RequestPattern", "Incoming", "value_pattern"]


class StubError(AviaryError):
    """A stub mapping is not valid; `source` is its file (or "request body"), `field` the path
    inside it (``request.bodyPatterns[1].equalToXml``)."""

    def __init__(self, source: str, field: str, message: str) -> None:
        super().__init__(f"{source}: {field}: {message}" if field else f"{source}: {message}")
        self.source = source
        self.field = field
        self.message = message


class _Bad(Exception):
    """Raised while parsing, turned into StubError by the caller that knows the source."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def parse_error(source: str, e: _Bad) -> StubError:
    return StubError(source, e.field, e.message)


# -- the request a pattern is checked against ----------------------------------------------------


@dataclass
class Incoming:
    """One request as the matchers see it: an HTTP request, or a Thrift call (from either
    transport) with ``service`` set and the arguments as JSON in ``body``."""

    method: str
    url: str  # path plus query, as sent
    headers: dict[str, list[str]] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    service: str | None = None
    transport: str = "http"
    peer: str = ""
    _json: Any = field(default=None, repr=False)
    _json_done: bool = field(default=False, repr=False)

    @property
    def path(self) -> str:
        return self.url.partition("?")[0]

    @property
    def query(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for k, v in parse_qsl(self.url.partition("?")[2], keep_blank_values=True):
            out.setdefault(k, []).append(v)
        return out

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON, or a sentinel when it is not JSON (parsed once)."""
        if not self._json_done:
            try:
                self._json = loads(self.body) if self.body else _NOT_JSON
            except ValueError:
                self._json = _NOT_JSON
            self._json_done = True
        return self._json

    def cookies(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for line in self.headers.get("cookie", []):
            for part in line.split(";"):
                k, sep, v = part.strip().partition("=")
                if sep:
                    out[k] = v
        return out

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "url": self.url,
            "method": self.method,
            "headers": {k: v[0] if len(v) == 1 else v for k, v in self.headers.items()},
            "body": self.text,
            "bodyAsBase64": base64.b64encode(self.body).decode("ascii"),
            "transport": self.transport,
            "clientIp": self.peer,
        }
        if self.service is not None:
            out["service"] = self.service
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Incoming:
        """A logged request posted back (near-misses for a given request)."""
        body = base64.b64decode(d["bodyAsBase64"]) if d.get("bodyAsBase64") else str(d.get("body", "")).encode()
        headers = {k.lower(): (v if isinstance(v, list) else [str(v)]) for k, v in (d.get("headers") or {}).items()}
        return cls(str(d.get("method", "GET")), str(d.get("url", "/")), headers, body, d.get("service"), str(d.get("transport", "http")))


class _NotJson:
    def __repr__(self) -> str:
        return "<not JSON>"


_NOT_JSON: Any = _NotJson()


# -- value patterns -----------------------------------------------------------------------------

Test = Callable[[str | None, Any], bool]  # (text or None if absent, parsed JSON or _NOT_JSON)

_OPTIONS = {"caseInsensitive", "ignoreArrayOrder", "ignoreExtraElements"}


@dataclass
class ValuePattern:
    """One operator and its operand; `spec` is the JSON it was parsed from (echoed by the admin
    API and in near-miss reports)."""

    operator: str
    spec: dict[str, Any]
    test: Test

    def matches(self, text: str | None, parsed: Any = None) -> bool:
        if parsed is None and text is not None and self.operator in _JSON_OPERATORS:
            parsed = _parse_json(text)
        return self.test(text, parsed)


_JSON_OPERATORS = {"equalToJson", "matchesJsonPath"}


def _parse_json(text: str) -> Any:
    try:
        return loads(text)
    except ValueError:
        return _NOT_JSON


def value_pattern(spec: Any, where: str) -> ValuePattern:
    """Parse one WireMock value pattern; raises `_Bad` naming `where` and the operator."""
    if not isinstance(spec, dict):
        raise _Bad(where, f"expected a matcher object such as {{\"equalTo\": \"...\"}}, got {json.dumps(spec)[:60]}")
    ops = [k for k in spec if k not in _OPTIONS and k not in ("expression",)]
    if len(ops) != 1 and not ("expression" in spec and not ops):
        if not ops:
            raise _Bad(where, f"no matcher operator (known: {', '.join(_BUILDERS)})")
        raise _Bad(where, f"one operator per matcher, got {', '.join(ops)}")
    op = ops[0]
    build = _BUILDERS.get(op)
    if build is None:
        raise _Bad(f"{where}.{op}", f"unknown matcher (known: {', '.join(_BUILDERS)})")
    return ValuePattern(op, spec, build(spec[op], spec, f"{where}.{op}"))


def _text(v: Any, where: str) -> str:
    if not isinstance(v, str):
        raise _Bad(where, f"expected text, got {json.dumps(v)[:60]}")
    return v


def _regex(v: Any, where: str) -> re.Pattern[str]:
    try:
        return re.compile(_text(v, where), re.S)
    except re.error as e:
        raise _Bad(where, f"not a valid regular expression: {e}") from None


def _equal_to(v: Any, spec: dict[str, Any], where: str) -> Test:
    want = _text(v, where)
    if spec.get("caseInsensitive"):
        low = want.casefold()
        return lambda t, _: t is not None and t.casefold() == low
    return lambda t, _: t == want


def _contains(v: Any, spec: dict[str, Any], where: str) -> Test:
    want = _text(v, where)
    return lambda t, _: t is not None and want in t


def _does_not_contain(v: Any, spec: dict[str, Any], where: str) -> Test:
    want = _text(v, where)
    return lambda t, _: t is not None and want not in t


def _matches(v: Any, spec: dict[str, Any], where: str) -> Test:
    rx = _regex(v, where)  # Java's String.matches: the whole value
    return lambda t, _: t is not None and rx.fullmatch(t) is not None


def _does_not_match(v: Any, spec: dict[str, Any], where: str) -> Test:
    rx = _regex(v, where)
    return lambda t, _: t is not None and rx.fullmatch(t) is None


def _absent(v: Any, spec: dict[str, Any], where: str) -> Test:
    if v is not True:
        raise _Bad(where, "expected true")
    return lambda t, _: t is None


def _binary_equal_to(v: Any, spec: dict[str, Any], where: str) -> Test:
    try:
        want = base64.b64decode(_text(v, where), validate=True)
    except binascii.Error:
        raise _Bad(where, "expected base64 text") from None
    return lambda t, _: t is not None and (t if isinstance(t, bytes) else t.encode()) == want


def _equal_to_json(v: Any, spec: dict[str, Any], where: str) -> Test:
    if isinstance(v, str):
        try:
            want = loads(v)
        except ValueError as e:
            raise _Bad(where, f"not valid JSON: {e}") from None
    else:
        want = v
    order = bool(spec.get("ignoreArrayOrder"))
    extra = bool(spec.get("ignoreExtraElements"))
    return lambda t, parsed: parsed is not _NOT_JSON and t is not None and json_equal(want, parsed, order, extra)


def _matches_json_path(v: Any, spec: dict[str, Any], where: str) -> Test:
    if isinstance(v, dict):  # {"expression": "$.x", "equalTo": "y"}: match the value found
        expr = v.get("expression")
        rest = {k: x for k, x in v.items() if k != "expression"}
        sub = value_pattern(rest, where) if rest else None
    else:
        expr, sub = v, None
    path = _json_path(_text(expr, f"{where}.expression" if isinstance(v, dict) else where), where)

    def test(t: str | None, parsed: Any) -> bool:
        if t is None or parsed is _NOT_JSON:
            return False
        found = path(parsed)
        if sub is None:
            return any(x is not None and x != [] for x in found)
        if not found:
            return sub.matches(None)
        value = found[0] if len(found) == 1 else found
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        return sub.matches(text)

    return test


def _json_path(expr: str, where: str) -> Callable[[Any], list[Any]]:
    # jsonpath-ng: a maintained JSONPath implementation with filter expressions (the ext parser)
    from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
    from jsonpath_ng.ext import parse

    try:
        compiled = parse(expr)
    except (JsonPathLexerError, JsonPathParserError, Exception) as e:  # noqa: BLE001 - the parser raises plain Exceptions too
        raise _Bad(where, f"not a valid JSONPath: {e}") from None
    root_filter = expr.replace(" ", "").startswith("$[?")

    def find(doc: Any) -> list[Any]:
        found = [m.value for m in compiled.find(doc)]
        if not found and root_filter and isinstance(doc, dict):  # Jayway filters a root object too
            found = [m.value for m in compiled.find([doc])]
        return found

    return find


_BUILDERS: dict[str, Callable[[Any, dict[str, Any], str], Test]] = {
    "equalTo": _equal_to,
    "contains": _contains,
    "doesNotContain": _does_not_contain,
    "matches": _matches,
    "doesNotMatch": _does_not_match,
    "absent": _absent,
    "equalToJson": _equal_to_json,
    "matchesJsonPath": _matches_json_path,
    "binaryEqualTo": _binary_equal_to,
}

def json_equal(want: Any, got: Any, ignore_order: bool = False, ignore_extra: bool = False) -> bool:
    """WireMock's equalToJson: same JSON (numbers by value, 1 == 1.0), optionally ignoring array
    order and extra object members or array items; ``${json-unit.ignore}``,
    ``${json-unit.any-string}``, ``-any-number``, ``-any-boolean`` and ``${json-unit.regex}RX``
    placeholders as in WireMock."""
    if isinstance(want, str) and want.startswith("${json-unit."):
        kind = want[len("${json-unit.") :]
        if kind == "ignore}":
            return True
        if kind == "any-string}":
            return isinstance(got, str)
        if kind == "any-number}":
            return isinstance(got, (int, float)) and not isinstance(got, bool)
        if kind == "any-boolean}":
            return isinstance(got, bool)
        if kind.startswith("regex}"):
            return isinstance(got, str) and re.fullmatch(kind[len("regex}") :], got) is not None
    if isinstance(want, bool) or isinstance(got, bool):
        return want is got
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return want == got
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return False
        if not ignore_extra and want.keys() != got.keys():
            return False
        return all(k in got and json_equal(v, got[k], ignore_order, ignore_extra) for k, v in want.items())
    if isinstance(want, list):
        if not isinstance(got, list):
            return False
        if not ignore_extra and len(want) != len(got):
            return False
        if ignore_order:
            left = list(got)
            for w in want:
                for i, g in enumerate(left):
                    if json_equal(w, g, ignore_order, ignore_extra):
                        del left[i]
                        break
                else:
                    return False
            return True
        if ignore_extra:  # the expected items, in order, among the actual ones
            it = iter(got)
            return all(any(json_equal(w, g, ignore_order, ignore_extra) for g in it) for w in want)
        return all(json_equal(w, g, ignore_order, ignore_extra) for w, g in zip(want, got))
    return type(want) is type(got) and want == got


# -- request patterns ---------------------------------------------------------------------------

_URL_KEYS = ("url", "urlPath", "urlPattern", "urlPathPattern", "urlPathTemplate")
_REQUEST_KEYS = {"method", "service", "headers", "queryParameters", "cookies", "bodyPatterns", *_URL_KEYS}


@dataclass
class Check:
    """One part of a request pattern: its name (for near-miss reports), its test, and for exact
    text how far off a value is (0..1; near misses rank by it)."""

    name: str
    expected: Any
    test: Callable[[Incoming], bool]
    actual: Callable[[Incoming], Any] = lambda r: None
    graded: bool = False  # exact text: a near value is a near miss

    def miss(self, r: Incoming) -> float:
        if self.test(r):
            return 0.0
        if not self.graded:
            return 1.0
        return 1.0 - difflib.SequenceMatcher(None, str(self.expected), str(self.actual(r))).ratio()

    def diff(self, r: Incoming) -> dict[str, Any]:
        """For near-miss reports: what was expected and what came (a Thrift call's arguments)."""
        return {"field": self.name, "expected": self.expected, "actual": self.actual(r)}


class RequestPattern:
    """The ``request`` of a stub (also what the journal's find/count/verify take)."""

    def __init__(self, spec: dict[str, Any], where: str = "request") -> None:
        if not isinstance(spec, dict):
            raise _Bad(where, "expected an object")
        unknown = sorted(set(spec) - _REQUEST_KEYS)
        if unknown:
            raise _Bad(f"{where}.{unknown[0]}", f"unknown request field (known: {', '.join(sorted(_REQUEST_KEYS))})")
        self.spec = spec
        self.service: str | None = spec.get("service")
        self.checks: list[Check] = []
        if self.service is not None:
            service = _text(self.service, f"{where}.service")
            self.checks.append(Check("service", service, lambda r: r.service == service, lambda r: r.service))
        else:
            self.checks.append(Check("transport", "http", lambda r: r.service is None, lambda r: "thrift" if r.service else "http"))
        method = spec.get("method")
        if method is not None and method != "ANY":
            m = _text(method, f"{where}.method")
            self.checks.append(Check("method", m, lambda r: r.method == m, lambda r: r.method, graded=True))
        urls = [k for k in _URL_KEYS if k in spec]
        if len(urls) > 1:
            raise _Bad(f"{where}.{urls[1]}", f"only one of {', '.join(_URL_KEYS)} may be given")
        if urls:
            self.checks.append(_url_check(urls[0], spec[urls[0]], f"{where}.{urls[0]}"))
        for key, get in (("headers", _header), ("queryParameters", _query), ("cookies", _cookie)):
            table = spec.get(key)
            if table is None:
                continue
            if not isinstance(table, dict):
                raise _Bad(f"{where}.{key}", "expected an object of name: matcher")
            for name, pat_spec in table.items():
                pat = value_pattern(pat_spec, f"{where}.{key}.{name}")
                self.checks.append(Check(f"{key}.{name}", pat.spec, _multi(get, name, pat), lambda r, get=get, name=name: get(r, name) or None))
        bodies = spec.get("bodyPatterns")
        if bodies is not None:
            if not isinstance(bodies, list):
                raise _Bad(f"{where}.bodyPatterns", "expected an array of matchers")
            for i, b in enumerate(bodies):
                pat = value_pattern(b, f"{where}.bodyPatterns[{i}]")
                self.checks.append(Check(f"bodyPatterns[{i}]", pat.spec, _body(pat), _body_shown))

    def results(self, r: Incoming) -> list[tuple[Check, bool]]:
        return [(c, bool(c.test(r))) for c in self.checks]

    def matches(self, r: Incoming) -> bool:
        return all(c.test(r) for c in self.checks)

    def distance(self, r: Incoming) -> float:
        """0 for a match, towards 1 the more parts differ (near-miss ranking). A different
        transport (HTTP pattern, Thrift call) is as far as it gets."""
        if not self.checks[0].test(r):
            return 1.0
        return sum(c.miss(r) for c in self.checks) / len(self.checks)


def _url_check(kind: str, v: Any, where: str) -> Check:
    text = _text(v, where)
    if kind == "url":
        return Check(kind, text, lambda r: r.url == text, lambda r: r.url, graded=True)
    if kind == "urlPath":
        return Check(kind, text, lambda r: r.path == text, lambda r: r.path, graded=True)
    if kind == "urlPattern":
        rx = _regex(text, where)
        return Check(kind, text, lambda r: rx.fullmatch(r.url) is not None, lambda r: r.url)
    if kind == "urlPathPattern":
        rx = _regex(text, where)
        return Check(kind, text, lambda r: rx.fullmatch(r.path) is not None, lambda r: r.path)
    # urlPathTemplate: /users/{id}
    parts = re.split(r"\{[^/{}]+\}", text)
    rx = re.compile("[^/]+".join(re.escape(p) for p in parts))
    return Check(kind, text, lambda r: rx.fullmatch(r.path) is not None, lambda r: r.path)


def _header(r: Incoming, name: str) -> list[str]:
    return r.headers.get(name.lower(), [])


def _query(r: Incoming, name: str) -> list[str]:
    return r.query.get(name, [])


def _cookie(r: Incoming, name: str) -> list[str]:
    c = r.cookies().get(name)
    return [] if c is None else [c]


def _multi(get: Callable[[Incoming, str], list[str]], name: str, pat: ValuePattern) -> Callable[[Incoming], bool]:
    def test(r: Incoming) -> bool:
        values = get(r, name)
        if not values:
            return pat.matches(None)
        return any(pat.matches(v) for v in values)

    return test


def _body_shown(r: Incoming) -> Any:
    """A body in a near-miss report: JSON as JSON (a Thrift call's arguments), else text."""
    parsed = r.json()
    return parsed if parsed is not _NOT_JSON else r.text[:2000]


def _body(pat: ValuePattern) -> Callable[[Incoming], bool]:
    if pat.operator == "binaryEqualTo":  # the raw bytes, not their text
        return lambda r: pat.test(r.body, None)

    def test(r: Incoming) -> bool:
        return pat.matches(r.text, r.json() if pat.operator in _JSON_OPERATORS else None)

    return test
