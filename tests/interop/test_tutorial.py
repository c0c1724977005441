"""The getting-started page's Java client, as printed there, compiled against Debian's Apache
Thrift library and run against a service made by `aviary new`, served by framework.testing."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

from support import ROOT, require_tool

from framework.scaffold import create
from framework.testing import serve

PAGE = ROOT / "docs" / "getting-started.md"


def test_the_tutorials_java_client_calls_the_new_service(tmp_path: Path, thrift_compiler: str, thrift_jars: str) -> None:
    (java_source,) = re.findall(r"```java\n(.*?)```", PAGE.read_text(), re.S)
    project = create("greeter", tmp_path)
    work = tmp_path / "java"
    (work / "gen-java").mkdir(parents=True)
    (work / "GreeterCall.java").write_text(java_source)
    subprocess.run([thrift_compiler, "--gen", "java", "-out", str(work / "gen-java"), str(project / "greeter" / "greeter.thrift")], check=True)
    generated = sorted(str(p) for p in (work / "gen-java" / "greeter").glob("*.java"))
    javac, java = require_tool("javac", "default-jdk-headless"), require_tool("java", "default-jdk-headless")
    subprocess.run([javac, "-nowarn", "-d", str(work / "classes"), "-cp", thrift_jars, *generated, str(work / "GreeterCall.java")], check=True, capture_output=True)

    sys.path.insert(0, str(project))
    try:
        greeter = importlib.import_module("greeter")
        with serve(greeter.create) as svc:
            host, port = svc.thrift_address
            done = subprocess.run([java, "-cp", f"{work / 'classes'}:{thrift_jars}", "GreeterCall", host, str(port)], capture_output=True, text=True, timeout=120)
    finally:
        sys.path.remove(str(project))
        sys.modules.pop("greeter", None)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Hello, ada!"
