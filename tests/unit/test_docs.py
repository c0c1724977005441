"""The docs site builds strictly (no broken link or reference), and its reference pages are
made from the code: every declared setting, every subcommand, every public name is on them."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from framework import config, docgen

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    mkdocs = Path(sys.executable).parent / "mkdocs"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([str(mkdocs), "build", "--strict", "--site-dir", str(out)], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def text_of(page: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


def test_the_settings_page_lists_every_declared_setting(site: Path) -> None:
    page = text_of(site / "reference" / "settings" / "index.html")
    for s in (*config.HOST_SETTINGS, *config.SERVICE_SETTINGS):
        assert s.name in page and s.help.split("(")[0].strip()[:40] in page, s.name
    for s in config.HOST_SETTINGS:
        assert f"AVIARY_{s.name.upper()}" in page
    assert "AVIARY_MOCK__IDL" in page and "AVIARY_EVENTLOG__DATA_DIR" in page  # the plugins' own
    assert "one of debug, info, warning, error" in page.replace("`", "")


def test_the_cli_and_api_pages_come_from_the_parser_and_docstrings(site: Path) -> None:
    cli = text_of(site / "reference" / "cli" / "index.html")
    for command in ("aviary run", "aviary new", "aviary ls", "aviary call", "aviary dev"):
        assert command in cli
    assert "--reload" in cli and "--check" in cli
    api = text_of(site / "reference" / "testing" / "index.html")
    import framework.testing

    for name in framework.testing.__all__:
        assert f"framework.testing.{name}" in api
    assert "srv/<service>/<transport>/<method>/requests" in text_of(site / "reference" / "metrics" / "index.html")


def test_a_setting_parser_nobody_described_stops_the_build() -> None:
    def mystery(v: object) -> object:
        return v

    with pytest.raises(KeyError, match="has no docstring saying what it takes"):
        docgen.kind(mystery)
    mystery.__doc__ = "a colour name."
    assert docgen.kind(mystery) == "a colour name"
