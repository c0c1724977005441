"""Every shell command in README.md's code blocks is run by the suite, so a documented command
cannot break unnoticed (the event log's own command once failed on every 2-core machine).

`REGISTRY` maps each command, exactly as the README writes it, to the test that covers it and
how:

* ``as written``: the test runs that very text (through bash, or as `aviary`'s arguments),
  ports aside: fixed ports (8888, 2181, ...) become the free ones the test got;
* ``underlying``: a make target that cannot run inside the suite (it would install packages or
  run the suite itself); the test checks with ``make -n`` what the target runs, and the named
  test runs that;
* ``equivalent``: the test runs the same command on scratch copies, because as written it
  would change what the suite itself stands on (``pip install -e`` into the project's own
  .venv, a fixed ``/tmp/greeter`` or ``~/aviary`` shared with anyone else on the machine); the
  note says what differs;
* ``instead``: not runnable here as written (``open`` starts a browser); the note says what the
  test does in its place.

`test_every_readme_command_is_registered` fails when the README gains a command the registry
does not know, or loses one it does.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support import ROOT, AviaryProcess  # noqa: E402

README = ROOT / "README.md"
FREE_PORTS = ["--thrift-port", "0", "--http-port", "0", "--admin-port", "0"]


@dataclass(frozen=True)
class Covered:
    test: str  # tests/<file>.py::<function>
    how: str  # "as written" | "underlying" | "instead"
    note: str = ""


_HERE = "tests/test_readme.py"
REGISTRY: dict[str, Covered] = {
    "make run": Covered("tests/integration/test_dev.py::test_make_run_runs_aviary_dev", "underlying",
                        "make run is `.venv/bin/aviary dev` after `make deps` (read with make -n); "
                        "test_dev.py::test_aviary_dev_serves_logs_announces_and_stops_cleanly_on_sigint runs aviary dev: start, ready, every printed URL, Ctrl-C"),
    "make test": Covered(f"{_HERE}::test_what_the_make_targets_run", "underlying",
                         "make test is `.venv/bin/python -m pytest -q` after `make deps`: the suite this test is part of"),
    "make fuzz FUZZ_EXAMPLES=200000": Covered(f"{_HERE}::test_what_the_make_targets_run", "underlying",
                                              "make fuzz is pytest on tests/fuzz with FUZZ_EXAMPLES; the suite runs tests/fuzz bounded"),
    "make docs": Covered("tests/unit/test_docs.py::test_the_settings_page_lists_every_declared_setting", "underlying",
                         "make docs is `mkdocs build --strict --site-dir build/site` (read with make -n in test_what_the_make_targets_run); "
                         "test_docs.py's site fixture runs that build into a temporary directory"),
    # Getting started (the scaffold)
    ".venv/bin/aviary new greeter --dir /tmp": Covered("tests/integration/test_scaffold.py::test_new_service_installs_and_passes_its_own_tests", "equivalent",
                                                      "aviary new user-greeter --dir <tmp>: a name and folder of the test's own"),
    ".venv/bin/pip install -e /tmp/greeter": Covered("tests/integration/test_scaffold.py::test_new_service_installs_and_passes_its_own_tests", "equivalent",
                                                    "pip install (not -e) of the new project into a fresh venv that sees this one's packages, not into the project's .venv"),
    ".venv/bin/aviary run greeter --zk none --reload": Covered("tests/integration/test_reload.py::test_reload_waits_for_code_that_loads_then_serves_it", "equivalent",
                                                              "aviary run greeter:create --reload --zk none on a scaffolded greeter in a temporary folder (PYTHONPATH instead of an install), free ports"),
    ".venv/bin/python -m pytest -q /tmp/greeter": Covered("tests/integration/test_scaffold.py::test_new_service_installs_and_passes_its_own_tests", "equivalent",
                                                         "python -m pytest -q in the new project, with the fresh venv's python"),
    # The offline bundle
    "tar xzf aviary-offline-0.1.0-linux-x86_64-cp311.tar.gz": Covered(
        "tests/deploy/test_offline_bundle.py::test_installed_without_network_or_root_the_event_log_takes_events_from_plain_python", "equivalent",
        "tar -xzf of the bundle the suite builds (named for this machine's platform), into a temporary folder"),
    "sh aviary-offline-0.1.0-linux-x86_64-cp311/install.sh ~/aviary": Covered(
        "tests/deploy/test_offline_bundle.py::test_installed_without_network_or_root_the_event_log_takes_events_from_plain_python", "equivalent",
        "sh <bundle>/install.sh <temporary home>/aviary, in a network namespace with no network"),
    '~/aviary/bin/aviary run eventlog --zk none --workers 1 --set eventlog.data_dir="$HOME/events"': Covered(
        "tests/deploy/test_offline_bundle.py::test_installed_without_network_or_root_the_event_log_takes_events_from_plain_python", "equivalent",
        "<temporary home>/aviary/bin/aviary run eventlog --zk none --workers 1 with data_dir under that home, on free ports"),
    "aviary run echo --zk none": Covered(f"{_HERE}::test_a_service_in_one_page", "as written"),
    "curl -s localhost:8888/Echo/echo -d '{\"message\": {\"text\": \"hi\", \"id\": 1}}'": Covered(f"{_HERE}::test_a_service_in_one_page", "as written"),
    "curl -s localhost:8888/messages/42": Covered(f"{_HERE}::test_a_service_in_one_page", "as written"),
    "open http://localhost:8888/docs": Covered(f"{_HERE}::test_a_service_in_one_page", "instead",
                                               "open starts a browser; the test fetches the same URL and checks it is the docs page"),
    "curl -s localhost:8888/openapi.json": Covered(f"{_HERE}::test_a_service_in_one_page", "as written"),
    "curl -s localhost:8888/idl": Covered(f"{_HERE}::test_a_service_in_one_page", "as written"),
    "aviary ls 'zk2!127.0.0.1:2181!/aviary/dev/echo'": Covered(f"{_HERE}::test_discovery_commands", "as written"),
    "aviary call 'zk2!127.0.0.1:2181!/aviary/dev/echo' echo '{\"message\": {\"text\": \"hi\"}}'": Covered(f"{_HERE}::test_discovery_commands", "as written"),
    "aviary call --http 'zk2!127.0.0.1:2181!/aviary/dev/echo' repeat '{\"text\": \"a\", \"times\": 2}'": Covered(f"{_HERE}::test_discovery_commands", "as written"),
    "aviary run mock --set mock.idl=idl/echo.thrift --set mock.mappings=./mocks/mappings": Covered(f"{_HERE}::test_mock_command", "as written"),
    "aviary run eventlog --set eventlog.data_dir=/var/lib/eventlog": Covered(
        "tests/integration/test_eventlog_workers.py::test_the_readme_command_starts_with_two_workers_and_keeps_events", "as written",
        "its README_COMMAND, data_dir and ports aside, with --workers 2 (the case that once failed); that module's other tests start it too"),
}  # fmt: skip

_FENCE = re.compile(r"^```(\w*)\s*$")
_SHELL = {"sh", "bash", "shell", "console"}


def readme_commands(text: str) -> list[str]:
    """The commands of the README's shell code blocks: each line that is not blank or a
    comment (output is shown as comments), without its trailing ``  # remark``."""
    out: list[str] = []
    lang: str | None = None
    for line in text.splitlines():
        fence = _FENCE.match(line.strip())
        if fence:
            lang = fence.group(1) if lang is None else None
            continue
        if lang in _SHELL and line.strip() and not line.lstrip().startswith("#"):
            out.append(re.sub(r"\s{2,}#.*$", "", line.strip()))
    return out


def commands_of(test: str) -> list[str]:
    return [cmd for cmd, c in REGISTRY.items() if c.test == f"{_HERE}::{test}" and c.how == "as written"]


def run(cmd: str, ports: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """`cmd` through bash as the README writes it, ports aside, with the venv's `aviary` first on PATH."""
    for fixed, actual in ports.items():
        cmd = cmd.replace(fixed, actual)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=60, cwd=cwd, env=env)


def start(cmd: str, cwd: Path = ROOT) -> AviaryProcess:
    """An ``aviary run …`` line of the README as a process, on free ports."""
    argv = shlex.split(cmd)
    assert argv[0] == "aviary"
    return AviaryProcess([*argv[1:], *FREE_PORTS], cwd=cwd).start()


# -- the registry ------------------------------------------------------------------------------------
def test_every_readme_command_is_registered() -> None:
    commands = readme_commands(README.read_text(encoding="utf-8"))
    assert commands, "no shell code blocks found in README.md: did the fences change?"
    missing = [c for c in commands if c not in REGISTRY]
    assert not missing, (
        "README.md has commands no test runs:\n  " + "\n  ".join(missing) + "\n"
        "Add each to REGISTRY in tests/test_readme.py, exactly as the README writes it, with the test that runs it "
        "as written (ports aside; tests/test_readme.py's run() and start() do that). Only if that cannot be: "
        "how='underlying' for a make target (the test that runs what it runs), how='equivalent' for a command that would "
        "change the machine the suite runs on (the test running it on scratch copies), and say in the note what differs."
    )
    gone = [c for c in REGISTRY if c not in commands]
    assert not gone, "REGISTRY in tests/test_readme.py names commands README.md no longer has (remove them):\n  " + "\n  ".join(gone)


def test_the_registry_names_real_tests() -> None:
    for cmd, c in REGISTRY.items():
        path, _, func = c.test.partition("::")
        assert (ROOT / path).is_file(), (cmd, c.test)
        assert re.search(rf"^def {re.escape(func)}\(", (ROOT / path).read_text(encoding="utf-8"), re.M), (cmd, c.test)
        assert c.how in ("as written", "underlying", "equivalent", "instead"), (cmd, c.how)
        assert c.how == "as written" or c.note, f"{cmd!r}: say in the note what covers it"
        if c.how == "as written" and path != _HERE:  # a test elsewhere holds the README's text itself
            assert cmd in (ROOT / path).read_text(encoding="utf-8"), f"{c.test} should run {cmd!r} as the README writes it"


def test_the_extraction_reads_blocks_lines_and_comments() -> None:
    text = "x\n```sh\nmake a   # remark\n# output\n\nb 'c # d'\n```\n```python\nnot_a_command()\n```\n"
    assert readme_commands(text) == ["make a", "b 'c # d'"]


# -- the commands ------------------------------------------------------------------------------------
def test_what_the_make_targets_run() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES")}

    def last_line(*args: str) -> list[str]:
        dry = subprocess.run(["make", "--no-print-directory", "-n", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
        assert dry.returncode == 0, dry.stderr
        return dry.stdout.strip().splitlines()[-1].split()

    assert last_line("test") == [".venv/bin/python", "-m", "pytest", "-q"]
    docs = last_line("docs")
    assert docs[1:5] == [".venv/bin/mkdocs", "build", "--strict", "--site-dir"], docs
    fuzz = last_line(*shlex.split("fuzz FUZZ_EXAMPLES=200000"))
    assert fuzz[0] == "FUZZ_EXAMPLES=200000" and fuzz[1:4] == [".venv/bin/python", "-m", "pytest"] and fuzz[-1] == "tests/fuzz"


def test_a_service_in_one_page() -> None:
    [run_echo, *calls] = commands_of("test_a_service_in_one_page")
    p = start(run_echo)
    try:
        ports = {"localhost:8888": f"localhost:{p.addr('echo', 'http')[1]}"}
        out = {cmd: run(cmd, ports) for cmd in calls}
        assert all(r.returncode == 0 for r in out.values()), {c: r.stderr for c, r in out.items()}
        by_path = {cmd.split("localhost:8888")[1].split()[0]: r.stdout for cmd, r in out.items()}
        assert json.loads(by_path["/Echo/echo"]) == {"text": "hi", "id": 1, "volume": "NORMAL"}
        assert json.loads(by_path["/messages/42"])["error"]["type"] == "NotFound"
        assert json.loads(by_path["/openapi.json"])["openapi"].startswith("3.1")
        assert "service Echo" in by_path["/idl"]
        # instead of `open http://localhost:8888/docs`: the page a browser would show
        docs = httpx.get(p.url("echo", "/docs"), timeout=10)
        assert docs.status_code == 200 and "text/html" in docs.headers["content-type"] and "Returns the message it was given" in docs.text
    finally:
        assert p.stop() == 0


@pytest.fixture
def zookeeper_2181() -> Iterator[str]:
    """A ZooKeeper of the test's own (the README's commands use /aviary/dev/echo, which no
    other test may share), standing in for the one on 2181."""
    from zk_fixtures import _started

    zk = _started(1)
    yield zk.hosts
    zk.stop()


def test_discovery_commands(zookeeper_2181: str) -> None:
    p = AviaryProcess(["run", "echo", "--zk", zookeeper_2181, *FREE_PORTS]).start()
    try:
        ports = {"127.0.0.1:2181": zookeeper_2181}
        ls, call, call_http = commands_of("test_discovery_commands")
        listed = run(ls, ports)
        assert listed.returncode == 0, listed.stderr
        assert f":{p.addr('echo', 'thrift')[1]}" in listed.stdout
        echoed = run(call, ports)
        assert echoed.returncode == 0 and json.loads(echoed.stdout)["text"] == "hi", echoed.stderr
        repeated = run(call_http, ports)
        assert repeated.returncode == 0 and json.loads(repeated.stdout) == "a a", repeated.stderr
    finally:
        assert p.stop() == 0


def test_mock_command(tmp_path: Path) -> None:
    """Run where the README's relative paths mean something: a project folder with its IDL
    and a WireMock mappings folder."""
    (tmp_path / "idl").mkdir()
    shutil.copy(ROOT / "idl" / "echo.thrift", tmp_path / "idl" / "echo.thrift")
    (tmp_path / "mocks" / "mappings").mkdir(parents=True)
    (tmp_path / "mocks" / "mappings" / "hello.json").write_text(json.dumps({"request": {"url": "/hello"}, "response": {"body": "stubbed"}}))
    [cmd] = commands_of("test_mock_command")
    p = start(cmd, cwd=tmp_path)
    try:
        assert httpx.get(p.url("mock", "/hello"), timeout=10).text == "stubbed"
        assert isinstance(httpx.post(p.url("mock", "/Echo/repeat"), json={"text": "x"}, timeout=10).json(), str)  # generated from the IDL
    finally:
        assert p.stop() == 0
