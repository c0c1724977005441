"""The ``/docs`` page: every method with its doc comment, its routes, argument and result types,
declared exceptions, and a worked example (a curl line and the answer), from the IDL."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from ..idl import EnumDef, Method, StructDef, Type
from .openapi import error_status, example

__all__ = ["page"]

_CSS = """
:root { --fg:#1d2330; --muted:#5b6475; --line:#e3e7ee; --accent:#2457c5; --bg:#fbfcfe; --code:#f3f5f9; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif; color:var(--fg); background:var(--bg); }
header { padding:24px 32px; border-bottom:1px solid var(--line); background:#fff; }
header h1 { margin:0 0 4px; font-size:24px; }
header p { margin:4px 0; color:var(--muted); max-width:70ch; }
header a { color:var(--accent); margin-right:16px; }
.wrap { display:flex; }
nav { position:sticky; top:0; align-self:flex-start; width:230px; padding:20px 16px 20px 32px; max-height:100vh; overflow:auto; }
nav h4 { margin:16px 0 4px; font-size:12px; text-transform:uppercase; color:var(--muted); letter-spacing:.05em; }
nav a { display:block; color:var(--fg); text-decoration:none; padding:2px 0; font-family:ui-monospace,monospace; font-size:13px; }
nav a:hover { color:var(--accent); }
main { flex:1; padding:8px 32px 48px; max-width:980px; }
section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:16px 20px; margin:16px 0; }
section h2 { margin:0 0 6px; font-size:18px; font-family:ui-monospace,monospace; }
.sig { font-family:ui-monospace,monospace; color:var(--muted); font-size:13px; }
.route { display:inline-block; font-family:ui-monospace,monospace; font-size:13px; background:var(--code); border-radius:4px; padding:1px 6px; margin:2px 6px 2px 0; }
.verb { font-weight:700; color:var(--accent); }
table { border-collapse:collapse; width:100%; margin:8px 0; font-size:14px; }
th, td { text-align:left; padding:4px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; font-size:12px; text-transform:uppercase; }
code, pre { font-family:ui-monospace,monospace; font-size:13px; }
pre { background:var(--code); padding:10px 12px; border-radius:6px; overflow:auto; margin:6px 0; }
.doc { white-space:pre-line; margin:6px 0; }
.tag { font-size:11px; padding:1px 6px; border-radius:10px; background:#eef2fb; color:var(--accent); margin-left:6px; }
"""


def _type_link(t: Type) -> str:
    if t.struct is not None or t.enum is not None:
        name = t.name
        return f'<a href="#type-{escape(name)}"><code>{escape(name)}</code></a>'
    if t.item is not None:
        word = t.name.split("<", 1)[0]
        return f"<code>{word}&lt;</code>{_type_link(t.item)}<code>&gt;</code>"
    if t.key is not None and t.value is not None:
        return f"<code>map&lt;</code>{_type_link(t.key)}<code>,</code>{_type_link(t.value)}<code>&gt;</code>"
    return f"<code>{escape(t.name)}</code>"


def _doc(text: str) -> str:
    return f'<p class="doc">{escape(text)}</p>' if text else ""


def _curl(service: Any, route: Any, base: str = "http://localhost:8888") -> str:
    m: Method = route.method
    args = {f.name: example(f.type) for f in m.args}
    path = route.path
    for p in route.params:
        path = path.replace("{" + p + "}", str(args.pop(p)))
    if route.from_query:
        from urllib.parse import urlencode

        qs = urlencode({k: (v if isinstance(v, str) else json.dumps(v)) for k, v in args.items()})
        return f"curl '{base}{path}{'?' + qs if qs else ''}'" + (f" -X {route.verb}" if route.verb != "GET" else "")
    body = json.dumps(args)
    return f"curl -X {route.verb} {base}{path} -H 'content-type: application/json' -d '{body}'"


def _method(service: Any, m: Method, routes: list[Any]) -> str:
    sig = ", ".join(f"{f.id}: {f.type.name} {f.name}" for f in m.args)
    ret = "void" if m.result is None else m.result.name
    out = [f'<section id="m-{escape(m.name)}"><h2>{escape(m.name)}' + ('<span class="tag">oneway</span>' if m.oneway else "") + "</h2>"]
    out.append(f'<div class="sig">{"oneway " if m.oneway else ""}{escape(ret)} {escape(m.name)}({escape(sig)})'
               + (f" throws ({escape(', '.join(f.type.name for f in m.throws))})" if m.throws else "") + "</div>")
    out.append(_doc(m.doc))
    out.append("<div>" + "".join(f'<span class="route"><span class="verb">{r.verb}</span> {escape(r.path)}</span>' for r in routes) + '<span class="route">Thrift: ' + escape(m.name) + "</span></div>")
    if m.args:
        out.append("<table><tr><th>argument</th><th>type</th><th></th><th>about</th></tr>")
        for f in m.args:
            where = "path" if any(f.name in r.params for r in routes) else ""
            flags = "required" if f.needed else (f"default {escape(json.dumps(_plain(f.default)))}" if f.default is not None else "optional")
            out.append(f"<tr><td><code>{escape(f.name)}</code></td><td>{_type_link(f.type)}</td><td>{flags}{' · ' + where if where else ''}</td><td>{escape(f.doc)}</td></tr>")
        out.append("</table>")
    out.append(f"<p>Returns {_type_link(m.result) if m.result is not None else ('nothing (202 Accepted)' if m.oneway else 'nothing (204 No Content)')}.</p>")
    if m.throws:
        out.append("<table><tr><th>exception</th><th>HTTP</th><th>about</th></tr>")
        for f in m.throws:
            s = f.type.struct
            assert s is not None
            out.append(f"<tr><td>{_type_link(f.type)}</td><td>{error_status(s)}</td><td>{escape(s.doc)}</td></tr>")
        out.append("</table>")
    route = next((r for r in routes if r.path != f"/{service.definition.name}/{m.name}"), routes[0])
    out.append("<p><b>Example</b></p><pre>" + escape(_curl(service, route)) + "</pre>")
    if m.result is not None:
        out.append("<pre>" + escape(json.dumps(example(m.result), indent=2)) + "</pre>")
    out.append("</section>")
    return "\n".join(out)


def _plain(v: Any) -> Any:
    if isinstance(v, (set, frozenset)):
        return sorted(v)
    if isinstance(v, bytes):
        return v.decode("latin-1")
    return v if isinstance(v, (int, float, str, bool, list, dict)) or v is None else str(v)


def _struct(s: StructDef) -> str:
    out = [f'<section id="type-{escape(s.name)}"><h2>{escape(s.name)}<span class="tag">{s.kind}</span></h2>', _doc(s.doc)]
    if s.is_exception:
        out.append(f"<p>Over HTTP: status {error_status(s)}, body <code>{{\"error\": {{\"type\": \"{escape(s.name)}\", \"fields\": {{…}}}}}}</code>.</p>")
    out.append("<table><tr><th>id</th><th>field</th><th>type</th><th></th><th>about</th></tr>")
    for f in s.fields:
        flags = "required" if f.required else (f"default {escape(json.dumps(_plain(f.default)))}" if f.default is not None else "optional")
        out.append(f"<tr><td>{f.id}</td><td><code>{escape(f.name)}</code></td><td>{_type_link(f.type)}</td><td>{flags}</td><td>{escape(f.doc)}</td></tr>")
    out.append("</table></section>")
    return "\n".join(out)


def _enum(e: EnumDef) -> str:
    rows = "".join(f"<tr><td><code>{escape(n)}</code></td><td>{v}</td><td>{escape(e.item_docs.get(n, ''))}</td></tr>" for v, n in sorted(e.names.items()))
    return (f'<section id="type-{escape(e.name)}"><h2>{escape(e.name)}<span class="tag">enum</span></h2>{_doc(e.doc)}'
            f"<table><tr><th>name (JSON)</th><th>value (Thrift)</th><th>about</th></tr>{rows}</table></section>")


def page(service: Any, routes: list[Any]) -> str:
    d = service.definition
    by_method: dict[str, list[Any]] = {}
    for r in routes:
        by_method.setdefault(r.method.name, []).append(r)
    idl = service.idl
    structs = sorted(idl.structs.values(), key=lambda s: (s.is_exception, s.name))
    enums = sorted(idl.enums.values(), key=lambda e: e.name)
    nav = ["<h4>Methods</h4>"] + [f'<a href="#m-{escape(m)}">{escape(m)}</a>' for m in d.methods]
    nav += ["<h4>Types</h4>"] + [f'<a href="#type-{escape(s.name)}">{escape(s.name)}</a>' for s in structs]
    nav += [f'<a href="#type-{escape(e.name)}">{escape(e.name)}</a>' for e in enums]
    body = [_method(service, m, by_method[m.name]) for m in d.methods.values()]
    body += ["<h3>Types</h3>"] + [_struct(s) for s in structs] + [_enum(e) for e in enums]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(d.name)} · Aviary</title><style>{_CSS}</style></head>
<body><header><h1>{escape(d.name)}</h1>{_doc(d.doc or idl.doc)}
<p>One handler, two transports: every method below answers over REST/JSON on this port and over
Thrift (framed or unframed, binary or compact) on the service's Thrift port.
<code>i64</code> travels as an exact JSON integer, <code>binary</code> as base64, enums by name.</p>
<p><a href="/openapi.json">OpenAPI 3.1</a><a href="/idl">IDL ({escape(idl.path.name)})</a></p></header>
<div class="wrap"><nav>{''.join(nav)}</nav><main>{''.join(body)}</main></div></body></html>"""
