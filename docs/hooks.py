"""MkDocs hook: reference pages made from the code (see framework.docgen)."""

from __future__ import annotations

from typing import Any

from framework.docgen import render


def on_page_markdown(markdown: str, **_: Any) -> str:
    return render(markdown)
