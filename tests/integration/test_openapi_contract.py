"""`/openapi.json` is the contract: schemathesis (a tool nobody on the project wrote) runs every
check it has, its stateful phase included, against echo, the event log and the mock, each a
real `aviary run` process, and finds nothing.

Bounded and repeatable: a fixed number of examples per operation, deterministic generation
(derandomized, the seed fixed), one schemathesis worker. One rule is configured rather than
taken as schemathesis' default: a request the schema allows may still be refused with an
exception the IDL *declares* for that method (echo's `Rejected` 422 for blank text, `NotFound`
404): those statuses are in the document, with their bodies. Every other refusal of a
schema-valid request (a 400 from the decoder) is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import ROOT, AviaryProcess  # noqa: E402

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "30"))  # per operation and phase: about 15 s per service
SEED = 20261204
# Error types Aviary itself answers with; any other error type in a response is a declared exception.
FRAMEWORK_ERRORS = {"InvalidArgument", "RequestTimeout", "PayloadTooLarge", "InternalError"}
DEFAULT_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # schemathesis' own default


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AviaryProcess]:
    data = tmp_path_factory.mktemp("eventlog")
    args = ["run", "echo", "eventlog", "mock", "--zk", "none", "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0",
            "--set", f"eventlog.data_dir={data}", "--set", f"mock.idl={ROOT / 'idl' / 'echo.thrift'}"]  # fmt: skip
    p = AviaryProcess(args, expect=3).start()
    yield p
    p.stop()


def declared_statuses(doc: dict[str, Any]) -> set[str]:
    """Statuses at which some operation answers an exception its IDL declares."""
    out = set()
    for ops in doc["paths"].values():
        for op in ops.values():
            for status, resp in op["responses"].items():
                schema = resp.get("content", {}).get("application/json", {}).get("schema", {})
                for alt in schema.get("oneOf", [schema]):
                    kind = alt.get("properties", {}).get("error", {}).get("properties", {}).get("type", {}).get("const")
                    if kind and kind not in FRAMEWORK_ERRORS:
                        out.add(status)
    return out


def schemathesis(url: str, config: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert exe, "schemathesis is in the test extra: make deps installs it"
    cmd = [exe, "--config-file", str(config), "run", f"{url}/openapi.json", "--checks", "all", "--max-examples", str(EXAMPLES),
           "--seed", str(SEED), "--generation-deterministic", "--workers", "1", "--request-timeout", "10", "--no-color"]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=config.parent)


@pytest.mark.slow
@pytest.mark.timeout(300)  # schemathesis' own bound is its example count; this is the backstop
@pytest.mark.parametrize("service", ["echo", "eventlog", "mock"])
def test_schemathesis_finds_nothing(services: AviaryProcess, service: str, tmp_path: Path) -> None:
    url = services.url(service)
    doc = httpx.get(f"{url}/openapi.json", timeout=10).json()
    accepted = sorted(set(DEFAULT_ACCEPTED) | declared_statuses(doc))
    assert "400" not in accepted  # a 400 means "does not fit the schema": never right for a schema-valid request
    config = tmp_path / "schemathesis.toml"
    config.write_text(f"[checks.positive_data_acceptance]\nexpected-statuses = {json.dumps(accepted)}\n")
    run = schemathesis(url, config)
    assert run.returncode == 0, f"schemathesis found failures in {service}:\n{run.stdout[-20000:]}\n{run.stderr[-3000:]}"
    phases = run.stdout.split("Test Phases:")[1].split("\n\n")[0]
    assert all(f"✅ {phase}" in phases for phase in ("Examples", "Coverage", "Fuzzing", "Stateful")), phases  # every phase ran and passed
