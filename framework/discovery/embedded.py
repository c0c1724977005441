"""A real ZooKeeper, started from Debian's ``zookeeper`` package jar in a temporary directory.

`aviary run` starts one when no ZooKeeper is configured (``zk = "embedded"``, the default), so
a service on a laptop announces itself exactly as it would in production; tests start one per
session, and a three-node ensemble on loopback to prove what happens when nodes go away.

Each node is a ``java … QuorumPeerMain zoo.cfg`` child process on free loopback ports. A node
is ready when it answers the ``srvr`` four-letter command with a mode (standalone, leader or
follower). Children die with their parent (``PR_SET_PDEATHSIG``), so a killed ``aviary`` never
leaves a ZooKeeper behind.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import AviaryError

if TYPE_CHECKING:
    from ..hosting import HostView as Host

__all__ = ["EmbeddedZooKeeper", "EmbeddedExtension", "ZooKeeperMissing", "ZooKeeperPortTaken", "ZOOKEEPER_JAR", "find_java", "four_letter"]

ZOOKEEPER_JAR = Path("/usr/share/java/zookeeper.jar")
_MAIN = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
# A small, quick-starting JVM: ZooKeeper for one machine needs little heap and no C2 compiler.
_JVM_FLAGS = ["-Xms16m", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"]


class ZooKeeperMissing(AviaryError):
    """Java or ZooKeeper's jar is not installed."""


class ZooKeeperPortTaken(AviaryError):
    """The client port asked for is in use (perhaps by another ZooKeeper)."""


def find_java() -> str:
    """``$JAVA_HOME/bin/java`` when JAVA_HOME names a JDK or JRE, else ``java`` on PATH; '' if neither."""
    home = os.environ.get("JAVA_HOME")
    if home and os.access(os.path.join(home, "bin", "java"), os.X_OK):
        return os.path.join(home, "bin", "java")
    return shutil.which("java") or ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Have this process get `sig` when its parent dies (a ``preexec_fn``: it runs in the child
    between fork and exec), so no child outlives a parent that was killed."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, sig)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - not Linux: the parent's stop() still ends it
        pass


def four_letter(host: str, port: int, word: str = "srvr", timeout: float = 1.0) -> str:
    """Send a four-letter command to a ZooKeeper node and return its answer ('' if none)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(word.encode())
            chunks = []
            while True:
                b = s.recv(4096)
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks).decode("utf-8", "replace")
    except OSError:
        return ""


class _Node:
    def __init__(self, myid: int, root: Path, client_port: int, peer_port: int, election_port: int) -> None:
        self.myid = myid
        self.dir = root / f"node{myid}"
        self.client_port = client_port
        self.peer_port = peer_port
        self.election_port = election_port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.dir / "zookeeper.log"

    def mode(self) -> str:
        for line in four_letter("127.0.0.1", self.client_port).splitlines():
            if line.startswith("Mode:"):
                return line.split(":", 1)[1].strip()
        return ""


class EmbeddedZooKeeper:
    """One ZooKeeper node (``nodes=1``, on `client_port` or a free one) or an ensemble
    (``nodes=3``) on 127.0.0.1.

    ``hosts`` is the connect string (``127.0.0.1:p1,127.0.0.1:p2,…``). `start`/`stop` run the
    whole ensemble; `stop_node`/`start_node` one member of it. `EmbeddedExtension` runs it
    as a host extension."""

    def __init__(
        self, nodes: int = 1, *, tick_ms: int = 500, max_session_timeout_s: float = 60.0, java: str | None = None, jar: Path = ZOOKEEPER_JAR,
        client_port: int = 0,
    ) -> None:
        if nodes < 1:
            raise ValueError("an ensemble needs at least one node")
        if client_port and nodes != 1:
            raise ValueError("client_port is for a single node; an ensemble takes free ports")
        self._client_port = client_port
        self.tick_ms = tick_ms
        self.max_session_timeout_s = max_session_timeout_s
        self.java = java or find_java()
        self.jar = jar
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._count = nodes
        self.nodes: list[_Node] = []

    # -- set-up --------------------------------------------------------------------------------
    def _check_installed(self) -> None:
        missing = []
        if not self.java:
            missing.append("java (neither $JAVA_HOME/bin/java nor java on PATH)")
        if not self.jar.is_file():
            missing.append(f"ZooKeeper ({self.jar})")
        if missing:
            raise ZooKeeperMissing(
                f"cannot start the embedded ZooKeeper: {' and '.join(missing)} not installed. "
                "Run without discovery with --zk none, or use a ZooKeeper elsewhere with --zk HOST:PORT "
                "(or install both: apt-get install default-jre-headless zookeeper)"
            )

    def _write_config(self, node: _Node) -> Path:
        (node.dir / "data").mkdir(parents=True, exist_ok=True)
        lines = [
            f"tickTime={self.tick_ms}",
            f"dataDir={node.dir / 'data'}",
            f"clientPort={node.client_port}",
            "clientPortAddress=127.0.0.1",
            "admin.enableServer=false",
            "4lw.commands.whitelist=srvr,ruok,stat,mntr",
            f"minSessionTimeout={2 * self.tick_ms}",
            f"maxSessionTimeout={int(self.max_session_timeout_s * 1000)}",
            "maxClientCnxns=0",
            "initLimit=20",
            "syncLimit=10",
        ]
        if len(self.nodes) > 1:
            (node.dir / "data" / "myid").write_text(f"{node.myid}\n")
            lines.append("quorumListenOnAllIPs=false")
            for n in self.nodes:
                lines.append(f"server.{n.myid}=127.0.0.1:{n.peer_port}:{n.election_port}")
        cfg = node.dir / "zoo.cfg"
        cfg.write_text("\n".join(lines) + "\n")
        return cfg

    @property
    def hosts(self) -> str:
        return ",".join(f"127.0.0.1:{n.client_port}" for n in self.nodes)

    @property
    def running(self) -> bool:
        return any(n.proc is not None and n.proc.poll() is None for n in self.nodes)

    # -- lifecycle (blocking) ------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> EmbeddedZooKeeper:
        """Start every node and wait until each serves clients."""
        from ..hosting import port_is_free

        self._check_installed()
        if self._client_port and self._tmp is None and not port_is_free("127.0.0.1", self._client_port):
            raise ZooKeeperPortTaken(
                f"cannot start the embedded ZooKeeper: port {self._client_port} on 127.0.0.1 is already in use "
                "(set zk_embedded_port to another port, or 0 for any free one; or use that ZooKeeper with --zk 127.0.0.1:PORT)"
            )
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="aviary-zk-")
            root = Path(self._tmp.name)
            self.nodes = [_Node(i + 1, root, self._client_port or _free_port(), _free_port(), _free_port()) for i in range(self._count)]
        for i in range(len(self.nodes)):
            self._spawn(i)
        self.wait_serving(range(len(self.nodes)), timeout)
        return self

    def _spawn(self, index: int) -> None:
        node = self.nodes[index]
        if node.proc is not None and node.proc.poll() is None:
            return
        cfg = self._write_config(node)
        log = open(node.log_path, "ab")
        try:
            node.proc = subprocess.Popen(
                [self.java, *_JVM_FLAGS, "-cp", str(self.jar), _MAIN, str(cfg)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=node.dir,
                start_new_session=True,  # a Ctrl-C meant for aviary must not stop ZooKeeper before the drain
                preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,
            )
        finally:
            log.close()

    def wait_serving(self, indexes: Any, timeout: float = 60.0) -> None:
        """Wait until the nodes at `indexes` serve clients (a quorum must be up for an ensemble)."""
        deadline = time.monotonic() + timeout
        for i in indexes:
            node = self.nodes[i]
            while not node.mode():
                if node.proc is not None and node.proc.poll() is not None:
                    raise AviaryError(f"ZooKeeper node {node.myid} exited ({node.proc.returncode}); its log: {node.log_path}\n{_tail(node.log_path)}")
                if time.monotonic() > deadline:
                    raise AviaryError(f"ZooKeeper node {node.myid} did not start serving within {timeout:g}s; its log: {node.log_path}\n{_tail(node.log_path)}")
                time.sleep(0.1)

    def stop_node(self, index: int) -> None:
        """Stop one node (SIGTERM, then SIGKILL); its data stays for `start_node`."""
        node = self.nodes[index]
        if node.proc is None:
            return
        if node.proc.poll() is None:
            node.proc.terminate()
            try:
                node.proc.wait(10)
            except subprocess.TimeoutExpired:
                node.proc.kill()
                node.proc.wait()
        node.proc = None

    def start_node(self, index: int) -> None:
        """Start one stopped node again (it serves once a quorum is up)."""
        self._spawn(index)

    def stop(self) -> None:
        """Stop every node and remove the temporary directory."""
        for i in range(len(self.nodes)):
            self.stop_node(i)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> EmbeddedZooKeeper:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def describe(self) -> dict[str, Any]:
        return {"embedded": True, "hosts": self.hosts, "nodes": [{"id": n.myid, "port": n.client_port, "mode": n.mode() or "down"} for n in self.nodes]}


class EmbeddedExtension:
    """`EmbeddedZooKeeper` as a host extension (name ``zookeeper``): `assemble` starts it
    before the announcer, so it stops after it."""

    name = "zookeeper"

    def __init__(self, zookeeper: EmbeddedZooKeeper | None = None) -> None:
        self.zookeeper = zookeeper or EmbeddedZooKeeper()

    @property
    def hosts(self) -> str:
        return self.zookeeper.hosts

    async def start(self, host: Host) -> None:
        await asyncio.to_thread(self.zookeeper.start)
        host.say(f"zookeeper: embedded, serving at {self.hosts} (data in a temporary directory, removed on exit)")

    async def drain(self, host: Host) -> bool:
        return False

    async def stop(self, host: Host) -> None:
        await asyncio.to_thread(self.zookeeper.stop)
        host.say("zookeeper: embedded one stopped")

    def describe(self) -> dict[str, Any]:
        return self.zookeeper.describe()


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
