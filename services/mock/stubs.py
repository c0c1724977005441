"""Stub mappings: parsing (WireMock's JSON, checked), the store, priorities and scenarios.

A stub is WireMock's ``{request, response, priority, scenarioName, requiredScenarioState,
newScenarioState, name, id}``. Priority: the lower number wins, the default is 5, and among
equal priorities the stub added last wins (as in WireMock). A request that two stubs of the
same priority both match is logged as ambiguous.

Thrift stubs (``request.service`` set) answer with one of ``result`` (JSON, checked against the
method's declared type when loaded), ``exception`` (``{"type": "NotFound", "fields": {...}}``,
one of the method's declared exceptions) or ``applicationException`` (``{"type":
"INTERNAL_ERROR", "message": "..."}``); with none of them the answer is generated from the IDL.
Both kinds take ``fixedDelayMilliseconds``, ``delayDistribution`` and ``fault``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import logging
import math
import mimetypes
import random
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from framework.errors import TAPP_INTERNAL_ERROR, ApplicationError, InvalidArgument
from framework.idl import Method, ServiceDef
from framework.rest.codec import JsonCodec, dumps

from .matching import Incoming, RequestPattern, StubError, _Bad, parse_error

__all__ = ["Stub", "HttpResponse", "ThriftResponse", "StubStore", "Scenarios", "Delay", "MockApplicationError", "load_folder"]

log = logging.getLogger("aviary.mock")

DEFAULT_PRIORITY = 5
STARTED = "Started"

HTTP_FAULTS = ("CONNECTION_RESET_BY_PEER", "EMPTY_RESPONSE", "MALFORMED_RESPONSE_CHUNK", "RANDOM_DATA_THEN_CLOSE")
THRIFT_FAULTS = (*HTTP_FAULTS, "BAD_FRAME_SIZE", "WRONG_SEQID", "NO_REPLY")

APP_EXCEPTION_TYPES = {
    "UNKNOWN": 0,
    "UNKNOWN_METHOD": 1,
    "INVALID_MESSAGE_TYPE": 2,
    "WRONG_METHOD_NAME": 3,
    "BAD_SEQUENCE_ID": 4,
    "MISSING_RESULT": 5,
    "INTERNAL_ERROR": 6,
    "PROTOCOL_ERROR": 7,
}

_STUB_KEYS = {
    "id", "uuid", "name", "request", "response", "priority", "scenarioName", "requiredScenarioState",
    "newScenarioState", "persistent", "metadata", "insertionIndex", "postServeActions",
}  # fmt: skip
_DELAY_KEYS = {"fixedDelayMilliseconds", "delayDistribution"}
_HTTP_RESPONSE_KEYS = {"status", "statusMessage", "headers", "body", "jsonBody", "base64Body", "bodyFileName", "fault", "transformers", *_DELAY_KEYS}
_THRIFT_RESPONSE_KEYS = {"result", "exception", "applicationException", "fault", *_DELAY_KEYS}


class MockApplicationError(ApplicationError):
    """A stubbed TApplicationException: its Thrift type comes from the stub."""

    def __init__(self, message: str, thrift_type: int = TAPP_INTERNAL_ERROR) -> None:
        super().__init__(message)
        self.thrift_type = thrift_type


@dataclass
class Delay:
    """fixedDelayMilliseconds, or a delayDistribution: lognormal (median, sigma), uniform
    (lower, upper) or fixed (milliseconds)."""

    kind: str = "none"
    a: float = 0.0
    b: float = 0.0

    def seconds(self, rng: random.Random) -> float:
        if self.kind == "fixed":
            return self.a / 1000
        if self.kind == "uniform":
            return rng.uniform(self.a, self.b) / 1000
        if self.kind == "lognormal":
            return rng.lognormvariate(math.log(self.a), self.b) / 1000 if self.a > 0 else 0.0
        return 0.0


@dataclass
class HttpResponse:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    delay: Delay = field(default_factory=Delay)
    fault: str | None = None


@dataclass
class ThriftResponse:
    """`kind` is "result", "exception", "applicationException" or "generated"."""

    kind: str = "generated"
    value: Any = None  # the decoded result, the exception instance, or a MockApplicationError
    delay: Delay = field(default_factory=Delay)
    fault: str | None = None
    fresh: Callable[[], Any] | None = None  # decodes the stub's JSON again

    def answer(self) -> Any:
        """A fresh copy of the stubbed value (whoever gets it may change it): decoded again
        from the stub's JSON, which costs a third of a deepcopy."""
        return self.fresh() if self.fresh is not None else copy.deepcopy(self.value)


@dataclass
class Stub:
    id: str
    spec: dict[str, Any]  # as given (with its id): what the admin API returns
    request: RequestPattern
    response: HttpResponse | ThriftResponse
    priority: int
    scenario: str | None
    required_state: str | None
    new_state: str | None
    source: str
    order: int = 0

    @property
    def name(self) -> str | None:
        return self.spec.get("name")

    @property
    def is_thrift(self) -> bool:
        return isinstance(self.response, ThriftResponse)


class Scenarios:
    """WireMock scenarios: a state per name, starting at "Started"; reset all or one, or set."""

    def __init__(self) -> None:
        self.states: dict[str, str] = {}

    def state(self, name: str) -> str:
        return self.states.get(name, STARTED)

    def reset_all(self) -> None:
        self.states.clear()

    def set(self, name: str, state: str) -> None:
        self.states[name] = state


class StubStore:
    """The stubs a mock answers with; thread-safe (admin calls and handlers may race)."""

    def __init__(self, service: ServiceDef | None = None, files_dir: Path | None = None) -> None:
        self.service = service
        self.files_dir = files_dir
        self.codec = JsonCodec()
        self.scenarios = Scenarios()
        self._stubs: dict[str, Stub] = {}
        self._loaded: list[dict[str, Any]] = []  # the folder's stubs: what reset restores
        self._order = 0
        self._sorted: list[Stub] | None = None  # matching order, rebuilt after a change
        self._lock = threading.RLock()

    # -- parsing -------------------------------------------------------------------------------
    def parse(self, spec: Any, source: str) -> Stub:
        """A stub from its JSON; `StubError` names `source` and the bad field."""
        try:
            return self._parse(spec, source)
        except _Bad as e:
            raise parse_error(source, e) from None

    def _parse(self, spec: Any, source: str) -> Stub:
        if not isinstance(spec, dict):
            raise _Bad("", "a stub mapping must be a JSON object")
        unknown = sorted(set(spec) - _STUB_KEYS)
        if unknown:
            raise _Bad(unknown[0], f"unknown stub field (known: {', '.join(sorted(_STUB_KEYS))})")
        if "request" not in spec:
            raise _Bad("request", "missing")
        request = RequestPattern(spec["request"])
        response_spec = spec.get("response", {})
        if not isinstance(response_spec, dict):
            raise _Bad("response", "expected an object")
        response: HttpResponse | ThriftResponse
        if request.service is not None:
            response = self._thrift_response(request, response_spec)
        else:
            response = self._http_response(response_spec)
        priority = spec.get("priority", DEFAULT_PRIORITY)
        if not isinstance(priority, int) or isinstance(priority, bool) or priority < 1:
            raise _Bad("priority", f"expected a whole number of at least 1, got {json.dumps(priority)}")
        for key in ("scenarioName", "requiredScenarioState", "newScenarioState", "name"):
            if key in spec and not isinstance(spec[key], str):
                raise _Bad(key, "expected text")
        if ("requiredScenarioState" in spec or "newScenarioState" in spec) and "scenarioName" not in spec:
            raise _Bad("scenarioName", "missing (requiredScenarioState and newScenarioState need it)")
        sid = str(spec.get("id") or spec.get("uuid") or uuid.uuid4())
        try:
            uuid.UUID(sid)
        except ValueError:
            raise _Bad("id", f"expected a UUID, got {sid!r}") from None
        spec = {**spec, "id": sid}
        spec.pop("uuid", None)
        return Stub(
            sid, spec, request, response, priority,
            spec.get("scenarioName"), spec.get("requiredScenarioState"), spec.get("newScenarioState"), source,
        )  # fmt: skip

    def _delay(self, r: dict[str, Any]) -> Delay:
        if "fixedDelayMilliseconds" in r:
            ms = r["fixedDelayMilliseconds"]
            if not isinstance(ms, (int, float)) or isinstance(ms, bool) or ms < 0:
                raise _Bad("response.fixedDelayMilliseconds", "expected a number of milliseconds")
            return Delay("fixed", float(ms))
        d = r.get("delayDistribution")
        if d is None:
            return Delay()
        where = "response.delayDistribution"
        if not isinstance(d, dict):
            raise _Bad(where, "expected an object")
        kind = d.get("type")
        fields = {"lognormal": ("median", "sigma"), "uniform": ("lower", "upper"), "fixed": ("milliseconds",)}.get(kind)  # type: ignore[arg-type]
        if fields is None:
            raise _Bad(f"{where}.type", f"expected lognormal, uniform or fixed, got {json.dumps(kind)}")
        nums = []
        for f in fields:
            v = d.get(f)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
                raise _Bad(f"{where}.{f}", f"expected a number of at least 0, got {json.dumps(v)}")
            nums.append(float(v))
        if kind == "uniform" and nums[0] > nums[1]:
            raise _Bad(f"{where}.lower", "must not be above upper")
        return Delay(kind, *nums)  # type: ignore[arg-type]

    def _fault(self, r: dict[str, Any], known: tuple[str, ...]) -> str | None:
        f = r.get("fault")
        if f is None:
            return None
        if f not in known:
            raise _Bad("response.fault", f"unknown fault {json.dumps(f)} (known: {', '.join(known)})")
        return str(f)

    def _http_response(self, r: dict[str, Any]) -> HttpResponse:
        unknown = sorted(set(r) - _HTTP_RESPONSE_KEYS)
        if unknown:
            raise _Bad(f"response.{unknown[0]}", f"unknown response field (known: {', '.join(sorted(_HTTP_RESPONSE_KEYS))})")
        status = r.get("status", 200)
        if not isinstance(status, int) or not 100 <= status <= 599:
            raise _Bad("response.status", f"expected an HTTP status from 100 to 599, got {json.dumps(status)}")
        headers: list[tuple[str, str]] = []
        for k, v in (r.get("headers") or {}).items():
            for one in v if isinstance(v, list) else [v]:
                headers.append((k, str(one)))
        bodies = [k for k in ("body", "jsonBody", "base64Body", "bodyFileName") if k in r]
        if len(bodies) > 1:
            raise _Bad(f"response.{bodies[1]}", f"only one of body, jsonBody, base64Body, bodyFileName (also has {bodies[0]})")
        body = b""
        if "body" in r:
            if not isinstance(r["body"], str):
                raise _Bad("response.body", "expected text (use jsonBody for JSON)")
            body = r["body"].encode()
        elif "jsonBody" in r:
            body = dumps(r["jsonBody"])
            if not any(k.lower() == "content-type" for k, _ in headers):
                headers.append(("Content-Type", "application/json"))
        elif "base64Body" in r:
            try:
                body = base64.b64decode(r["base64Body"], validate=True)
            except (binascii.Error, TypeError, ValueError):
                raise _Bad("response.base64Body", "not valid base64") from None
        elif "bodyFileName" in r:
            body = self._body_file(r["bodyFileName"])
            if not any(k.lower() == "content-type" for k, _ in headers):
                headers.append(("Content-Type", body_file_type(r["bodyFileName"])))
        return HttpResponse(status, headers, body, self._delay(r), self._fault(r, HTTP_FAULTS))

    def _body_file(self, name: Any) -> bytes:
        if not isinstance(name, str) or self.files_dir is None:
            raise _Bad("response.bodyFileName", "needs a __files folder beside the mappings folder")
        path = (self.files_dir / name).resolve()
        if self.files_dir.resolve() not in path.parents:
            raise _Bad("response.bodyFileName", f"{name!r} is outside {self.files_dir}")
        try:
            return path.read_bytes()
        except OSError as e:
            raise _Bad("response.bodyFileName", f"cannot read {path}: {e.strerror}") from None

    def _thrift_response(self, request: RequestPattern, r: dict[str, Any]) -> ThriftResponse:
        if self.service is None:
            raise _Bad("request.service", "this mock has no IDL (set the mock's idl setting to mock a Thrift service)")
        if request.service != self.service.name:
            raise _Bad("request.service", f"this mock serves {self.service.name}, not {request.service!r}")
        mname = request.spec.get("method")
        method = self.service.methods.get(mname) if isinstance(mname, str) else None
        if method is None:
            raise _Bad("request.method", f"{self.service.name} has no method {json.dumps(mname)} (methods: {', '.join(self.service.methods)})")
        unknown = sorted(set(r) - _THRIFT_RESPONSE_KEYS)
        if unknown:
            raise _Bad(f"response.{unknown[0]}", f"unknown field for a Thrift response (known: {', '.join(sorted(_THRIFT_RESPONSE_KEYS))})")
        kinds = [k for k in ("result", "exception", "applicationException") if k in r]
        if len(kinds) > 1:
            raise _Bad(f"response.{kinds[1]}", f"only one of result, exception, applicationException (also has {kinds[0]})")
        out = ThriftResponse(delay=self._delay(r), fault=self._fault(r, THRIFT_FAULTS))
        if not kinds:
            return out
        out.kind = kinds[0]
        if out.kind == "result":
            out.value = self.decode_result(method, r["result"])
            if method.result is not None:
                decode, value = self.codec.decoder(method.result), r["result"]
                out.fresh = lambda: decode(value, "response.result")
        elif out.kind == "exception":
            out.value = self.decode_exception(method, r["exception"])
            out.fresh = lambda: self.decode_exception(method, r["exception"])
        else:
            out.value = _app_exception(r["applicationException"])
        return out

    def decode_result(self, method: Method, value: Any) -> Any:
        if method.result is None:
            if value is not None:
                raise _Bad("response.result", f"{method.name} returns void: the result must be null")
            return None
        try:
            return self.codec.decoder(method.result)(value, "response.result")
        except InvalidArgument as e:
            raise _Bad(e.path or "response.result", f"{e.message.removeprefix(e.path + ': ')} (the IDL declares {method.name} returns {method.result.name})") from None

    def decode_exception(self, method: Method, spec: Any) -> BaseException:
        where = "response.exception"
        if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
            raise _Bad(where, 'expected {"type": "<declared exception>", "fields": {...}}')
        declared = {f.type.struct.name: f for f in method.throws if f.type.struct is not None}
        f = declared.get(spec["type"])
        if f is None:
            raise _Bad(f"{where}.type", f"{method.name} does not declare {spec['type']!r} (it throws: {', '.join(declared) or 'nothing'})")
        try:
            return self.codec.decoder(f.type)(spec.get("fields") or {}, f"{where}.fields")  # type: ignore[no-any-return]
        except InvalidArgument as e:
            raise _Bad(e.path or f"{where}.fields", e.message.removeprefix(e.path + ": ")) from None

    # -- the store -----------------------------------------------------------------------------
    def add(self, stub: Stub) -> Stub:
        with self._lock:
            self._order += 1
            stub.order = self._order
            self._stubs[stub.id] = stub
            self._sorted = None
        return stub

    def get(self, sid: str) -> Stub | None:
        return self._stubs.get(sid)

    def remove(self, sid: str) -> Stub | None:
        with self._lock:
            self._sorted = None
            return self._stubs.pop(sid, None)

    def clear(self) -> None:
        with self._lock:
            self._stubs.clear()
            self._sorted = None

    def load(self, stubs: list[Stub]) -> None:
        """The folder's stubs: added now, and restored by `reset`."""
        self._loaded = [s.spec for s in stubs]
        for s in stubs:
            self.add(s)

    def reset(self) -> None:
        """Back to the folder's stubs (what WireMock's mappings reset does)."""
        with self._lock:
            self._stubs.clear()
            self._sorted = None
            for spec in self._loaded:
                self.add(self.parse(spec, "mappings folder"))

    def ordered(self) -> list[Stub]:
        """In matching order: priority, then the newest first."""
        with self._lock:
            if self._sorted is None:
                self._sorted = sorted(self._stubs.values(), key=lambda s: (s.priority, -s.order))
            return self._sorted

    def scenario_names(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for s in self.ordered():
            if s.scenario:
                states = out.setdefault(s.scenario, {STARTED})
                states.update(x for x in (s.required_state, s.new_state) if x)
        return out

    def match(self, r: Incoming) -> Stub | None:
        """The stub that answers `r` (and its scenario transition), or None."""
        with self._lock:
            found: Stub | None = None
            for s in self.ordered():
                if found is not None and s.priority > found.priority:
                    break
                if s.required_state is not None and self.scenarios.state(s.scenario or "") != s.required_state:
                    continue
                if not s.request.matches(r):
                    continue
                if found is None:
                    found = s
                    continue
                log.warning("mock: %s %s matches stubs %s and %s at priority %d; %s (added last) answers", r.method, r.url, found.id, s.id, s.priority, found.id)
                break
            if found is not None and found.scenario and found.new_state:
                self.scenarios.set(found.scenario, found.new_state)
            return found

    def near_misses(self, r: Incoming, limit: int = 3) -> list[dict[str, Any]]:
        ranked = sorted(((s.request.distance(r), s) for s in self.ordered()), key=lambda x: x[0])
        out = []
        for d, s in ranked[:limit]:
            if d >= 1.0:
                continue
            out.append({"request": r.to_json(), "stubMapping": s.spec, "matchResult": {"distance": round(d, 3)}, "diff": _diff(s, r)})
        return out


def _diff(s: Stub, r: Incoming) -> list[dict[str, Any]]:
    return [c.diff(r) for c, ok in s.request.results(r) if not ok]


# WireMock serves body files through Jetty, set up with these mappings and application/json for
# a file whose type is unknown (wiremock-jetty Jetty12HttpServer); other extensions come from
# the standard MIME table, here Python's built-in one (not the machine's /etc/mime.types, so
# the answer is the same everywhere).
_WIREMOCK_TYPES = {".json": "application/json", ".html": "text/html", ".xml": "application/xml", ".txt": "text/plain"}
_MIME_TABLE = mimetypes.MimeTypes(filenames=())


def body_file_type(name: str) -> str:
    """The Content-Type WireMock gives a `bodyFileName` response that sets none."""
    ext = Path(name).suffix.lower()
    return _WIREMOCK_TYPES.get(ext) or _MIME_TABLE.guess_type(name, strict=False)[0] or "application/json"


def _app_exception(spec: Any) -> MockApplicationError:
    where = "response.applicationException"
    if not isinstance(spec, dict):
        raise _Bad(where, 'expected {"type": "INTERNAL_ERROR", "message": "..."}')
    t = spec.get("type", "INTERNAL_ERROR")
    if isinstance(t, str):
        if t not in APP_EXCEPTION_TYPES:
            raise _Bad(f"{where}.type", f"unknown TApplicationException type {t!r} (known: {', '.join(APP_EXCEPTION_TYPES)})")
        t = APP_EXCEPTION_TYPES[t]
    elif not isinstance(t, int) or isinstance(t, bool):
        raise _Bad(f"{where}.type", "expected a type name or number")
    return MockApplicationError(str(spec.get("message", "stubbed TApplicationException")), t)


def load_folder(store: StubStore, folder: Path) -> list[Stub]:
    """Every ``*.json`` in `folder` (recursively, in name order), each holding one stub or
    ``{"mappings": [...]}``, as a WireMock ``mappings/`` folder does. The first bad file stops
    the load with its name and the bad field."""
    if not folder.is_dir():
        raise StubError(str(folder), "", "no such folder (the mock's mappings setting)")
    out = []
    for path in sorted(folder.rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as e:
            raise StubError(str(path), "", f"not valid JSON: {e}") from None
        except OSError as e:
            raise StubError(str(path), "", f"cannot read: {e.strerror}") from None
        if isinstance(data, dict) and "mappings" in data and "request" not in data:
            items = data["mappings"]
            if not isinstance(items, list):
                raise StubError(str(path), "mappings", "expected an array of stub mappings")
            for i, item in enumerate(items):
                try:
                    out.append(store._parse(item, str(path)))
                except _Bad as e:
                    raise StubError(str(path), f"mappings[{i}].{e.field}" if e.field else f"mappings[{i}]", e.message) from None
        else:
            out.append(store.parse(data, str(path)))
    return out

