"""Reference pages made from the code, so the docs cannot drift from it: every setting (from
`framework.config`'s declared settings and each installed plugin's), the command line (from
its parser), the metric names and the public API (from docstrings).

The docs site's hook (``docs/hooks.py``) replaces a marker such as ``<!-- aviary:settings -->``
in a page with what `render` returns for it. A setting whose parser is not described here
raises, so a new kind of setting cannot reach the docs undescribed.
"""

from __future__ import annotations

import inspect
import os
from typing import Any, Callable, Iterable

from . import access, config

__all__ = ["render", "MARKERS", "settings_markdown", "kind", "cli_markdown", "api_markdown", "metrics_markdown"]

# What each parser accepts, as a reader sees it.
KINDS: dict[Callable[[Any], Any], str] = {
    config.text: "text",
    config.port: "port",
    config.positive: "whole number ≥ 1",
    config.non_negative: "whole number ≥ 0",
    config.number: "number ≥ 0",
    config.fraction: "number from 0 to 1",
    config.boolean: "boolean",
    config.size: "size (bytes, or 16MiB, 512KiB …)",
    config.zk_path: "ZooKeeper path",
    access.parse_allow: "table {method = [identity, …]}",
    access.parse_admin_allow: "list [network or identity, …], or table {admin path = […]}",
    config.worker_count: "whole number ≥ 1, or `auto` (0): one per core",
    config.dtab_text: "dtab (Finagle's delegation table: `/s => /$/zk2/…`)",
}

# Host settings that have a flag of their own (the rest: --set NAME=VALUE).
FLAGS = ("zk", "env", "bind", "thrift_port", "http_port", "admin_port", "workers", "log_level")


def kind(parse: Callable[[Any], Any]) -> str:
    options = getattr(parse, "options", None)
    if options is not None:
        return "one of " + ", ".join(f"`{o}`" for o in options)
    if parse in KINDS:
        return KINDS[parse]
    doc = inspect.getdoc(parse)
    if doc:  # a plugin's own parser says what it takes in its docstring's first line
        return doc.splitlines()[0].rstrip(".")
    name = getattr(parse, "__qualname__", repr(parse))
    raise KeyError(f"the settings parser {name} (module {getattr(parse, '__module__', '?')}) has no docstring saying what it takes: give it one (or add it to framework.docgen.KINDS)")


def _toml(value: Any, parse: Callable[[Any], Any]) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if parse is config.size and isinstance(value, int):
        for unit, n in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
            if value % n == 0:
                return f"`{value // n}{unit}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    return f"`{value}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _prose(text: str) -> str:
    """A setting's help as table text: no HTML tags or emphasis made by accident."""
    for ch, esc in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("*", "\\*"), ("_", "\\_")):
        text = text.replace(ch, esc)
    return text


def _table(rows: Iterable[tuple[str, ...]], head: tuple[str, ...]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def settings_markdown() -> str:
    """The host settings, the settings every service has, and each installed plugin's own."""
    from . import plugins

    head = ("setting", "type", "default", "environment / flag", "meaning")
    host = _table(
        (
            (f"`{s.name}`", kind(s.parse), _toml(s.default, s.parse), f"`AVIARY_{s.name.upper()}`" + (f"<br>`--{s.name.replace('_', '-')}`" if s.name in FLAGS else ""), _prose(s.help))
            for s in config.HOST_SETTINGS
        ),
        head,
    )
    service = _table(
        ((f"`{s.name}`", kind(s.parse), _toml(s.default, s.parse), f"`AVIARY_<SERVICE>__{s.name.upper()}`", _prose(s.help)) for s in config.SERVICE_SETTINGS),
        head,
    )
    out = [
        "### Host settings",
        "",
        "At the top of the TOML file; `--set NAME=VALUE` on the command line for any of them.",
        "",
        host,
        "",
        "### Every service's settings",
        "",
        "Under `[services.<name>]`; `--set <name>.SETTING=VALUE` on the command line.",
        "",
        service,
    ]
    for name, ep in sorted(plugins.available().items()):
        try:
            declared = plugins.declared_settings(ep.load())
        except Exception as e:  # noqa: BLE001 - a broken plugin is reported on the page, the rest still documented
            out += ["", f"### `{name}` (`{ep.value}`)", "", f"Could not be loaded here: {type(e).__name__}: {e}"]
            continue
        if not declared:
            continue
        out += [
            "",
            f"### `[services.{name}]` (the `{name}` plugin)",
            "",
            _table(((f"`{s.name}`", kind(s.parse), _toml(s.default, s.parse), f"`AVIARY_{name.upper()}__{s.name.upper()}`", _prose(s.help)) for s in declared), head),
        ]
    return "\n".join(out)


def cli_markdown() -> str:
    """``aviary --help`` and every subcommand's help, as the parser prints them."""
    import argparse

    from .cli import build_parser

    os.environ.setdefault("COLUMNS", "100")  # argparse wraps to the terminal: the same page everywhere
    parser = build_parser()
    out = ["```text", parser.format_help().rstrip(), "```"]
    for action in parser._actions:  # noqa: SLF001 - argparse offers no public way to list subparsers
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for name, sub in action.choices.items():
                out += ["", f"### `aviary {name}`", "", "```text", sub.format_help().rstrip(), "```"]
    return "\n".join(out)


class _Annotation(str):
    """An annotation kept as text (``from __future__ import annotations``), shown unquoted."""

    def __repr__(self) -> str:
        return str(self)


def _plain(sig: inspect.Signature) -> inspect.Signature:
    def ann(a: Any) -> Any:
        return _Annotation(a) if isinstance(a, str) else a

    params = [p.replace(annotation=ann(p.annotation)) for p in sig.parameters.values()]
    return sig.replace(parameters=params, return_annotation=ann(sig.return_annotation))


def _api_entry(qualified: str, obj: Any) -> list[str]:
    try:
        plain = _plain(inspect.signature(obj)) if callable(obj) else None
        if plain is not None and inspect.isclass(obj):
            plain = plain.replace(return_annotation=inspect.Signature.empty)
        sig = str(plain) if plain is not None else ""
    except (TypeError, ValueError):
        sig = ""
    kind_ = "class" if inspect.isclass(obj) else "function" if callable(obj) else "value"
    doc = inspect.getdoc(obj) or "(no docstring)"
    if kind_ == "value":
        doc = ""
    return [f"### `{qualified}`", "", f"```python\n{kind_} {qualified.rpartition('.')[2]}{sig}\n```", "", doc, ""]


def api_markdown(module_name: str) -> str:
    """The names in a module's ``__all__``, each with its signature and docstring."""
    import importlib

    module = importlib.import_module(module_name)
    out = [inspect.getdoc(module) or "", ""]
    for name in module.__all__:
        out += _api_entry(f"{module_name}.{name}", getattr(module, name))
    return "\n".join(out)


def metrics_markdown() -> str:
    """The per-method metric names, as `framework.stats` documents them."""
    from . import stats

    return inspect.getdoc(stats) or ""


MARKERS: dict[str, Callable[[], str]] = {
    "settings": settings_markdown,
    "cli": cli_markdown,
    "metrics": metrics_markdown,
    "api": lambda: api_markdown("framework"),
    "api-testing": lambda: api_markdown("framework.testing"),
    "api-client": lambda: api_markdown("framework.client"),
}


def render(markdown: str) -> str:
    """`markdown` with every ``<!-- aviary:NAME -->`` marker replaced by its generated text."""
    for name, make in MARKERS.items():
        marker = f"<!-- aviary:{name} -->"
        if marker in markdown:
            markdown = markdown.replace(marker, make())
    return markdown
