"""The offline bundle (`make bundle`, deploy/offline/) where nothing can be downloaded.

Built once per state of the sources (cached in tests/artifacts/offline/), then, inside a network
namespace that has only loopback, as the unprivileged user ``nobody``: `install.sh` makes a
virtualenv from Debian's python3 and installs from the bundle's wheels alone; the event log runs
from it with ``--zk none``; Debian's plain python3 (no venv, no site-packages: ``-S``) sends it
events with the bundle's standard-library client and reads them back over the REST API; and
without java the default embedded ZooKeeper refuses to start with an error naming ``--zk none``
and ``--zk HOST:PORT``.

Network namespaces need root on Linux: elsewhere the test is skipped, saying so.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support import ARTIFACTS, ROOT, parse_ready, require_tool  # noqa: E402

DEBIAN_PYTHON = Path("/usr/bin/python3")
USER, GROUP = "nobody", "nogroup"

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux") or os.geteuid() != 0, reason="needs root on Linux: the test installs inside a network namespace (ip netns)"),
    pytest.mark.timeout(600),  # the first test also builds the bundle (pip wheel of every dependency)
]


def _sources_key() -> str:
    """What the bundle is built from: the packaging, the builder and every file it packs."""
    h = hashlib.sha256()
    files = [ROOT / "pyproject.toml", ROOT / "README.md", *sorted((ROOT / "deploy" / "offline").iterdir())]
    for top in ("framework", "services", "idl"):
        files += sorted(p for p in (ROOT / top).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    h.update(f"{sys.version_info[:2]}".encode())
    return h.hexdigest()[:16]


@pytest.fixture(scope="session")
def offline_bundle() -> Path:
    """The archive `make bundle` writes, built with this venv's python (made from Debian's
    python3, as the Makefile makes it); built again only when the sources change."""
    cache = ARTIFACTS / "offline"
    here = cache / _sources_key()
    found = sorted(here.glob("aviary-offline-*.tar.gz")) if here.is_dir() else []
    if found:
        return found[0]
    if cache.is_dir():
        shutil.rmtree(cache)  # older builds: only the current one is kept
    done = subprocess.run([sys.executable, str(ROOT / "deploy" / "offline" / "build.py"), "--dist", str(here)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    (archive,) = here.glob("aviary-offline-*.tar.gz")
    return archive


@pytest.fixture
def netns() -> Iterator[list[str]]:
    """A network namespace with only loopback (up); yields the prefix that runs a command in it
    as `USER`."""
    ip = require_tool("ip", "iproute2")
    setpriv = require_tool("setpriv", "util-linux")
    name = f"aviary-offline-{uuid.uuid4().hex[:8]}"
    subprocess.run([ip, "netns", "add", name], check=True)
    try:
        subprocess.run([ip, "netns", "exec", name, ip, "link", "set", "lo", "up"], check=True)
        # setpriv execs (no process in between), so a signal sent to the command reaches it.
        yield [ip, "netns", "exec", name, setpriv, f"--reuid={USER}", f"--regid={GROUP}", "--clear-groups", "--"]
    finally:
        subprocess.run([ip, "netns", "delete", name], check=False)


def _shared_dir(prefix: str) -> Path:
    """A directory `USER` may write (pytest's tmp_path is root's alone)."""
    d = Path(tempfile.mkdtemp(prefix=prefix))
    d.chmod(0o755)
    shutil.chown(d, USER)
    return d


def test_archive_name_and_contents(offline_bundle: Path) -> None:
    import sysconfig

    tag = f"{sysconfig.get_platform()}-cp{sys.version_info[0]}{sys.version_info[1]}"
    assert offline_bundle.name == f"aviary-offline-0.1.0-{tag}.tar.gz"
    with tarfile.open(offline_bundle) as tar:
        names = tar.getnames()
    top = offline_bundle.name.removesuffix(".tar.gz")
    assert {f"{top}/install.sh", f"{top}/eventlog_client.py", f"{top}/SHA256SUMS", f"{top}/BUNDLE"} <= set(names)
    wheels = {n.split("/")[-1].split("-")[0].lower() for n in names if n.endswith(".whl")}
    # Aviary, pip, and every runtime dependency (uvicorn[standard]'s uvloop and httptools too)
    assert {"aviary", "pip", "starlette", "uvicorn", "uvloop", "httptools", "kazoo", "thriftpy2", "httpx", "jsonpath_ng"} <= wheels, wheels


def test_installed_without_network_or_root_the_event_log_takes_events_from_plain_python(offline_bundle: Path, netns: list[str]) -> None:
    assert DEBIAN_PYTHON.is_file(), "Debian's python3 is the one the bundle is for"
    unpacked = _shared_dir("aviary-bundle-")
    home = _shared_dir("aviary-home-")
    try:
        subprocess.run(["tar", "-xzf", str(offline_bundle), "-C", str(unpacked)], check=True)  # as an operator would
        bundle = unpacked / offline_bundle.name.removesuffix(".tar.gz")
        venv = home / "aviary"
        clean = ["env", "-i", f"HOME={home}", "PATH=/usr/bin:/bin", "LANG=C.UTF-8"]

        links = subprocess.run([*netns, "ip", "-o", "link"], capture_output=True, text=True, check=True).stdout.splitlines()
        assert [ln.split(":")[1].strip() for ln in links] == ["lo"]  # no way out of this namespace
        assert subprocess.run([*netns, "ip", "route"], capture_output=True, text=True, check=True).stdout.strip() == ""

        installed = subprocess.run([*netns, *clean, f"PYTHON={DEBIAN_PYTHON}", "sh", str(bundle / "install.sh"), str(venv)], capture_output=True, text=True, timeout=300)
        assert installed.returncode == 0, installed.stdout + installed.stderr
        assert installed.stdout.strip().endswith(f"installed: {venv}/bin/aviary")
        assert (venv / "bin" / "aviary").stat().st_uid == (home.stat().st_uid)  # made by the user, not root

        # Installing again into a venv that exists is refused, before anything is touched.
        again = subprocess.run([*netns, *clean, "sh", str(bundle / "install.sh"), str(venv)], capture_output=True, text=True, timeout=60)
        assert again.returncode == 1 and f"install.sh: {venv} exists and is not empty" in again.stderr

        # No java on this PATH: the default (an embedded ZooKeeper) says what to do instead.
        no_java = subprocess.run(
            [*netns, *clean[:-2], f"PATH={venv}/bin", "LANG=C.UTF-8", f"{venv}/bin/aviary", "run", "eventlog", "--workers", "1", "--bind", "127.0.0.1",
             "--thrift-port", "0", "--http-port", "0", "--admin-port", "0", "--set", f"eventlog.data_dir={home}/events-nojava"],
            capture_output=True, text=True, timeout=60,
        )
        assert no_java.returncode == 2, no_java.stdout + no_java.stderr
        assert "cannot start the embedded ZooKeeper: java (neither $JAVA_HOME/bin/java nor java on PATH) not installed" in no_java.stderr, no_java.stderr
        assert "--zk none" in no_java.stderr and "--zk HOST:PORT" in no_java.stderr

        eventlog = subprocess.Popen(
            [*netns, *clean, f"{venv}/bin/aviary", "run", "eventlog", "--zk", "none", "--workers", "1", "--bind", "127.0.0.1",
             "--thrift-port", "0", "--http-port", "0", "--admin-port", "0", "--set", f"eventlog.data_dir={home}/events"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        try:
            port, output = _http_port(eventlog)
            assert port, output
            sent = subprocess.run([*netns, *clean, str(DEBIAN_PYTHON), "-I", "-S", "-c", _PLAIN_CLIENT, str(bundle), str(port)], capture_output=True, text=True, timeout=60)
            assert sent.returncode == 0, sent.stdout + sent.stderr
            result = json.loads(sent.stdout)
            assert result["stored"] == [f"offline event {i}" for i in range(20)]
            assert result["sent"] == 20 and result["dropped"] == 0
            assert result["not_stdlib"] == ["eventlog_client"], result  # nothing but the standard library and the client
            assert "ZooKeeper names need Aviary installed" in result["zk_name"]  # alone, it says what it cannot do
        finally:
            eventlog.terminate()
            assert eventlog.wait(30) == 0
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


def _http_port(proc: subprocess.Popen[str], timeout_s: float = 60) -> tuple[int, str]:
    """The event log's HTTP port from its ready line (0 if it exits first), and what it said."""
    lines: list[str] = []
    found: list[int] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            parsed = parse_ready(line)
            if parsed and parsed[0] == "eventlog":
                found.append(parsed[1]["http"][1])
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    ready.wait(timeout_s)
    return (found[0] if found else 0), "".join(lines)


# Run by Debian's python3 with -I -S: no site-packages, no venv; only the standard library and
# the bundle's eventlog_client.py (argv: the bundle's directory, the event log's HTTP port).
_PLAIN_CLIENT = r"""
import json, sys, urllib.parse, urllib.request
sys.path.insert(0, sys.argv[1])
from eventlog_client import Destination, EventLogClient

try:
    Destination("zk2!127.0.0.1:2181!/aviary/prod/eventlog")
    zk_name = "accepted"
except ValueError as e:
    zk_name = str(e)
port = int(sys.argv[2])
client = EventLogClient(f"inet!127.0.0.1:{port}", service="offline", flush_interval_s=0.05)
for i in range(20):
    client.emit(f"offline event {i}", labels={"n": str(i)})
assert client.flush(20), "not delivered"
client.close()
query = urllib.parse.urlencode({"query": '{service="offline"}', "direction": "forward", "limit": 100})
with urllib.request.urlopen(f"http://127.0.0.1:{port}/events?{query}", timeout=10) as r:
    stored = [e["event"]["message"] for e in json.load(r)["events"]]
tops = {m.split(".")[0] for m in sys.modules}
print(json.dumps({"stored": stored, "zk_name": zk_name, "sent": client.sent, "dropped": client.dropped,
                  "not_stdlib": sorted(t for t in tops if t not in sys.stdlib_module_names and t not in ("__main__", "__mp_main__"))}))
"""
