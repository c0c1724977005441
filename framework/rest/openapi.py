"""OpenAPI 3.1 for a service's REST routes, generated from the same IDL and routes the gateway
serves, so the document cannot drift from the behaviour. Also the worked examples the docs page
shows (`example`)."""

from __future__ import annotations

import base64
from typing import Any

from ..idl import Field, Method, StructDef, T, Type
from .codec import BASE64_PATTERN, INT_RANGE, INTEGER_TEXT_PATTERN, map_as_object

__all__ = ["document", "schema", "example", "error_status"]

_JSON = "application/json"


def error_status(s: StructDef) -> int:
    """The HTTP status a declared exception travels with (``http.status``, default 400)."""
    return int(s.annotations.get("http.status", "400"))


def schema(t: Type, components: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a type as the gateway encodes it; named types go to `components`."""
    tt = t.ttype
    if t.enum is not None:
        name = t.enum.name
        if name not in components:
            components[name] = {
                "enum": [*t.enum.values, *t.enum.values.values()],
                "description": (t.enum.doc + "\n\n" if t.enum.doc else "") + "Sent by name; the numeric value is accepted too.",
            }
        return {"$ref": f"#/components/schemas/{name}"}
    if tt == T.BOOL:
        return {"type": "boolean"}
    if tt in INT_RANGE:
        lo, hi = INT_RANGE[tt]
        return {"type": "integer", "format": "int64" if tt == T.I64 else "int32", "minimum": lo, "maximum": hi}
    if tt == T.DOUBLE:
        return {"anyOf": [{"type": "number", "format": "double"}, {"enum": ["NaN", "Infinity", "-Infinity"]}]}
    if tt == T.STRING:
        return {"type": "string", "contentEncoding": "base64", "pattern": BASE64_PATTERN} if t.binary else {"type": "string"}
    if tt in (T.LIST, T.SET):
        assert t.item is not None
        out = {"type": "array", "items": schema(t.item, components)}
        if tt == T.SET:
            out["uniqueItems"] = True
        return out
    if tt == T.MAP:
        assert t.key is not None and t.value is not None
        if map_as_object(t.key) or t.key.enum is not None:
            out = {"type": "object", "additionalProperties": schema(t.value, components)}
            if t.key.ttype in INT_RANGE and t.key.enum is None:
                out["propertyNames"] = {"pattern": INTEGER_TEXT_PATTERN}
            return out
        return {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"key": schema(t.key, components), "value": schema(t.value, components)},
                "required": ["key", "value"],
                "additionalProperties": False,
            },
        }
    if tt == T.STRUCT:
        assert t.struct is not None
        s = t.struct
        if s.name not in components:
            components[s.name] = {}  # placeholder: structs may refer to themselves
            components[s.name] = _object(s.fields, components, s.doc)
        return {"$ref": f"#/components/schemas/{s.name}"}
    raise AssertionError(tt)  # pragma: no cover


def _object(fields: list[Field], components: dict[str, Any], doc: str = "") -> dict[str, Any]:
    props = {}
    for f in fields:
        p = schema(f.type, components)
        extra: dict[str, Any] = {}
        if f.doc:
            extra["description"] = f.doc
        if f.default is not None:
            extra["default"] = _json_default(f.type, f.default)
        if not f.needed:  # null means "not set", as leaving the field out does
            p = {"anyOf": [p, {"type": "null"}]}
        if extra:
            p = {**p, **extra} if "$ref" not in p else {"allOf": [p], **extra}
        props[f.name] = p
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    required = [f.name for f in fields if f.needed]
    if required:
        out["required"] = required
    if doc:
        out["description"] = doc
    return out


def _json_default(t: Type, v: Any) -> Any:
    from .codec import JsonCodec

    try:
        return JsonCodec().encoder(t)(v)
    except Exception:  # a default the encoder cannot show is left out of the document
        return None


def example(t: Type, depth: int = 0) -> Any:
    """A plausible JSON value for `t` (deterministic: the docs page must not change per load)."""
    tt = t.ttype
    if t.enum is not None:
        names = list(t.enum.values)
        return names[min(1, len(names) - 1)] if names else 0
    if tt == T.BOOL:
        return True
    if tt in INT_RANGE:
        return 1234567890123 if tt == T.I64 else 42
    if tt == T.DOUBLE:
        return 2.5
    if tt == T.STRING:
        return base64.b64encode(b"bytes").decode() if t.binary else "hello"
    if tt in (T.LIST, T.SET):
        assert t.item is not None
        return [] if depth > 3 else [example(t.item, depth + 1)]
    if tt == T.MAP:
        assert t.key is not None and t.value is not None
        if depth > 3:
            return {}
        if map_as_object(t.key) or t.key.enum is not None:
            k = example(t.key, depth + 1)
            return {str(k): example(t.value, depth + 1)}
        return [{"key": example(t.key, depth + 1), "value": example(t.value, depth + 1)}]
    if tt == T.STRUCT:
        assert t.struct is not None
        if depth > 3:
            return {}
        return {f.name: example(f.type, depth + 1) for f in t.struct.fields if f.required or depth < 2}
    raise AssertionError(tt)  # pragma: no cover


def example_args(m: Method) -> dict[str, Any]:
    return {f.name: example(f.type) for f in m.args}


def _error_schema(type_name: str | None, fields_ref: dict[str, Any] | None) -> dict[str, Any]:
    err: dict[str, Any] = {
        "type": "object",
        "properties": {"type": {"const": type_name} if type_name else {"type": "string"}, "message": {"type": "string"}},
        "required": ["type"],
    }
    if fields_ref is not None:
        err["properties"]["fields"] = fields_ref
    else:
        err["properties"]["path"] = {"type": "string", "description": "where in the arguments the problem is"}
        err["properties"]["errorId"] = {"type": "string", "description": "quote it to find the server's log line"}
    return {"type": "object", "properties": {"error": err}, "required": ["error"]}


def _operation(service: Any, route: Any, components: dict[str, Any]) -> dict[str, Any]:
    m: Method = route.method
    op: dict[str, Any] = {
        "operationId": f"{m.name}" if route.path.startswith(f"/{service.definition.name}/") else f"{m.name}_{route.verb.lower()}",
        "summary": (m.doc.split("\n\n")[0].replace("\n", " ") if m.doc else m.name),
        "tags": [service.definition.name],
    }
    if m.doc:
        op["description"] = m.doc
    params = []
    body_fields = []
    for f in m.args:
        if f.name in route.params:
            params.append({"name": f.name, "in": "path", "required": True, "schema": schema(f.type, components), **({"description": f.doc} if f.doc else {})})
        elif route.from_query:
            p: dict[str, Any] = {"name": f.name, "in": "query", "required": f.needed, "schema": schema(f.type, components)}
            if f.doc:
                p["description"] = f.doc
            if f.type.ttype in (T.LIST, T.SET):
                p.update(style="form", explode=True)
            params.append(p)
        else:
            body_fields.append(f)
    if params:
        op["parameters"] = params
    if not route.from_query:
        op["requestBody"] = {
            "required": any(f.needed for f in body_fields),
            "content": {_JSON: {"schema": _object(body_fields, components), "example": {f.name: example(f.type) for f in body_fields}}},
        }
    responses: dict[str, Any] = {}
    if m.oneway:
        responses["202"] = {"description": "accepted (oneway: no result)"}
    elif m.result is None:
        responses["204"] = {"description": "done (void)"}
    else:
        responses["200"] = {
            "description": "the result",
            "content": {_JSON: {"schema": schema(m.result, components), "example": example(m.result)}},
        }
    for f in m.throws:
        s = f.type.struct
        assert s is not None
        status = str(error_status(s))
        ref = schema(f.type, components)
        entry = responses.setdefault(status, {"description": "", "content": {_JSON: {"schema": {"oneOf": []}}}})
        entry["description"] = (entry["description"] + "; " if entry["description"] else "") + f"{s.name}" + (f": {s.doc}" if s.doc else "")
        entry["content"][_JSON]["schema"]["oneOf"].append(_error_schema(s.name, ref))
    bad = responses.setdefault("400", {"description": "", "content": {_JSON: {"schema": {"oneOf": []}}}})
    bad["description"] = (bad["description"] + "; " if bad["description"] else "") + "InvalidArgument: the request does not fit the IDL"
    bad["content"][_JSON]["schema"]["oneOf"].append(_error_schema("InvalidArgument", None))
    framework_errors = (
        ("408", "RequestTimeout", "the body stopped arriving (stall_timeout_s)"),
        ("413", "PayloadTooLarge", "the body is over the size limit"),
        ("500", "InternalError", "the handler failed; quote errorId"),
    )
    for status, kind, text in framework_errors if not route.from_query else framework_errors[2:]:
        responses.setdefault(status, {"description": f"{kind}: {text}", "content": {_JSON: {"schema": _error_schema(kind, None)}}})
    for entry in responses.values():
        sch = entry.get("content", {}).get(_JSON, {}).get("schema", {})
        if "oneOf" in sch and len(sch["oneOf"]) == 1:
            entry["content"][_JSON]["schema"] = sch["oneOf"][0]
    op["responses"] = responses
    return op


def _links(routes: list[Any], ops: dict[int, dict[str, Any]]) -> None:
    """OpenAPI links: a result field named and typed like an argument that another route takes
    in its path or query (``Stored.id`` -> ``GET /messages/{id}``, ``Page.cursor`` -> the next
    page) links the two, so clients and testers can follow one call's answer into the next."""
    for r in routes:
        result = r.method.result
        if result is None or result.struct is None or "200" not in ops[id(r)]["responses"]:
            continue
        links: dict[str, Any] = {}
        for f in result.struct.fields:
            for other in routes:
                for a in other.method.args:
                    if a.name == f.name and a.type.name == f.type.name and (a.name in other.params or other.from_query):
                        target = ops[id(other)]["operationId"]
                        links[f"{target}_{a.name}"] = {"operationId": target, "parameters": {a.name: f"$response.body#/{f.name}"}}
        if links:
            ops[id(r)]["responses"]["200"]["links"] = links


def document(service: Any, routes: list[Any]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of one service's REST routes."""
    components: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    ops: dict[int, dict[str, Any]] = {}
    for r in routes:
        ops[id(r)] = paths.setdefault(r.path, {})[r.verb.lower()] = _operation(service, r, components)
    _links(routes, ops)
    d = service.definition
    return {
        "openapi": "3.1.0",
        "info": {
            "title": d.name,
            "version": service.idl.module.__dict__.get("VERSION", "1.0"),
            "description": (d.doc or service.idl.doc or f"The {d.name} service.")
            + f"\n\nGenerated by Aviary from `{service.idl.path.name}`. Every method also answers over Thrift.",
        },
        "paths": paths,
        "components": {"schemas": dict(sorted(components.items()))},
    }
