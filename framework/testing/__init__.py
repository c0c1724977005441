"""Testing Aviary services: real sockets, a real ZooKeeper, no fakes.

    from framework.testing import serve, call, announced

    def test_repeat_over_both_transports():
        with serve("echo") as echo:                          # a plugin name, a Service or a factory
            assert echo.thrift.repeat(text="hi", times=2) == "hi hi"
            assert echo.http.post("/Echo/repeat", json={"text": "hi"}).json() == "hi hi"
            assert echo.admin.get("/admin/ping").text == "pong"

    def test_the_member_is_announced(zookeeper):            # a fixture: fresh root per test
        with serve("echo", zookeeper=zookeeper):
            (member,) = announced(zookeeper, "echo")
            assert member.alive

    def test_without_sockets():
        assert call(create(), "repeat", text="a", times=3) == "a a a"

* `serve(*services, zookeeper=None, **settings)` runs a host **in this process**, on its own
  event loop in a background thread, with every port on a free loopback port; it returns once
  the host is ready (listening and, with a ZooKeeper, announced) and yields a `Served`. Keyword
  settings that name a host setting (``max_body_bytes=…``) set it; any other keyword is the
  first service's own setting (``serve("mock", idl="echo.thrift")``).
* `call(service, "method", **args)` runs one call through the same filter chain the host
  builds (telemetry, deadline, allow-lists, the service's own filters) without a socket.
* `announced(zookeeper, "service")` waits for and returns the service's live members.
* The pytest plugin (`framework.testing.plugin`, registered by entry point, so installed with
  Aviary) adds the fixtures ``serve``, ``zookeeper`` and ``zookeeper_server``; the mock plugin
  adds ``mock``.

May import: everything in `framework` (it is a top layer, beside `framework.cli`); never
`services` (the mock fixture lives in `services.mock.testing`).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import threading
import time
import uuid
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence, Union

if TYPE_CHECKING:
    import httpx

    from ..client.base import BaseClient
    from ..config import Settings
    from ..discovery.embedded import EmbeddedZooKeeper
    from ..discovery.serverset import Member
    from ..host import Host
    from ..service import Service

__all__ = [
    "serve",
    "Served",
    "BackgroundHost",
    "SyncClient",
    "call",
    "acall",
    "ZooKeeper",
    "start_zookeeper",
    "announced",
    "settings_for",
]

ServiceSpec = Union["Service", str, Callable[[], "Service"]]

# What every test host starts with: loopback, free ports, one process, no ZooKeeper unless
# given, quick to stop (no drain grace). A test's own settings override these.
TEST_DEFAULTS: dict[str, Any] = {
    "bind": "127.0.0.1",
    "thrift_port": 0,
    "http_port": 0,
    "admin_port": 0,
    "zk": "none",
    "workers": 1,  # the host runs on a thread of the test process: no worker processes
    "shutdown_timeout_s": 5,
    "drain_grace_s": 0,  # no callers to wait for: a test of the drain sets its own
}


# -- hosts -------------------------------------------------------------------------------------


class BackgroundHost:
    """A `framework.host.Host` (as `assemble` builds it) running on its own event loop in a
    background thread of this process. `services` is called on that thread, so whatever a
    service builds belongs to the loop that serves it."""

    def __init__(self, services: Callable[[], list[Service]], settings: Settings | None = None, **flags: Any) -> None:
        from .. import config

        self.settings = settings if settings is not None else config.load(env={}, flags={**TEST_DEFAULTS, **flags})
        self._make_services = services
        self.loop: asyncio.AbstractEventLoop | None = None
        self.host: Host | None = None
        self.out = io.StringIO()  # the host's ready lines and notices, for a test to read
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self, timeout: float = 30) -> BackgroundHost:
        from ..assembly import assemble

        def run() -> None:
            self.loop = _new_loop()
            asyncio.set_event_loop(self.loop)
            try:
                self.host = assemble(self.settings, self._make_services(), out=self.out)
                self.loop.run_until_complete(self.host.start())
            except BaseException as e:  # noqa: BLE001 - reported to the test thread
                self._error = e
                if self.host is not None:  # what did start (ports, extensions) stops again
                    with contextlib.suppress(Exception):
                        self.loop.run_until_complete(self.host.stop())
                self.host = None
                self._ready.set()
                return
            self._ready.set()
            self.loop.run_forever()

        self._thread = threading.Thread(target=run, name="aviary-test-host", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"the test host did not start within {timeout:g}s:\n{self.out.getvalue()}")
        if self._error is not None:
            raise self._error
        return self

    def run(self, coro_fn: Callable[[], Any], timeout: float = 30) -> Any:
        """Run a coroutine function on the host's loop (to inspect or drive it); its result."""
        assert self.loop is not None, "the host is not running"
        return asyncio.run_coroutine_threadsafe(coro_fn(), self.loop).result(timeout)

    def stop(self) -> None:
        """Drain and stop the host, as SIGTERM would (again: nothing happens)."""
        if self.loop is None or self.host is None:
            return
        host = self.host
        self.run(host.stop)
        loop, self.loop = self.loop, None
        loop.call_soon_threadsafe(loop.stop)
        assert self._thread is not None
        self._thread.join(10)

    def addr(self, service: str, kind: str = "thrift") -> tuple[str, int]:
        assert self.host is not None
        return self.host.endpoints[service].ports[kind]

    def url(self, service: str, path: str = "") -> str:
        host, port = self.addr(service, "http")
        return f"http://{host}:{port}{path}"

    def __enter__(self) -> BackgroundHost:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _new_loop() -> asyncio.AbstractEventLoop:
    """uvloop, as `aviary run` serves; AVIARY_TEST_LOOP=asyncio runs the stdlib loop instead."""
    if os.environ.get("AVIARY_TEST_LOOP") == "asyncio":
        return asyncio.new_event_loop()
    import uvloop

    return uvloop.new_event_loop()


class SyncClient:
    """A `framework.client` client driven from test code that has no event loop: each call
    runs on the host's loop and waits for its result. Methods by name:
    ``client.repeat(text="hi")`` is ``client.call("repeat", text="hi")``."""

    def __init__(self, host: BackgroundHost, make: Callable[[], BaseClient], timeout: float = 30) -> None:
        self._host = host
        self._timeout = timeout

        async def build() -> BaseClient:
            return make()

        self.client: BaseClient = host.run(build)

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._host.run(partial(self.client.call, method, *args, **kwargs), self._timeout)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self.client.methods:
            raise AttributeError(f"{self.client.definition.name} has no method {name!r} (methods: {', '.join(self.client.methods)})")
        return partial(self.call, name)

    def close(self) -> None:
        if self._host.loop is not None:
            self._host.run(self.client.close)


class Served:
    """What `serve` yields: where the service listens, and clients ready to call it.

    * `thrift`: a Thrift client (`framework.client.ThriftClient`, framed binary with the
      TTwitter upgrade); `thrift_client(protocol="thriftmux")` makes others, and
      `wire_client("compact", framed=False)` a plain one in any wire format the port speaks;
    * `rest`: the same calls over the REST mapping (`framework.client.HttpClient`);
    * `http`: an ``httpx.Client`` on the service's HTTP port (``served.http.get("/docs")``);
    * `admin`: an ``httpx.Client`` on the admin port; `admin_url` its address;
    * `thrift_address`, `http_address` (host, port); `url(path)`; `dest` for ``aviary call``;
    * `service` the running `Service`, `host` the `BackgroundHost`; `services[name]` another
      service's `Served` when `serve` was given several.
    """

    def __init__(self, host: BackgroundHost, name: str) -> None:
        self.host = host
        self.name = name
        self._clients: list[Any] = []
        self._lazy: dict[str, Any] = {}

    @property
    def service(self) -> Service:
        assert self.host.host is not None
        return next(s for s in self.host.host.services if s.name == self.name)

    @property
    def services(self) -> dict[str, Served]:
        assert self.host.host is not None
        if "services" not in self._lazy:  # made once, so `close_clients` closes theirs too
            self._lazy["services"] = {s.name: (self if s.name == self.name else Served(self.host, s.name)) for s in self.host.host.services}
        return self._lazy["services"]  # type: ignore[no-any-return]

    @property
    def thrift_address(self) -> tuple[str, int]:
        return self.host.addr(self.name, "thrift")

    @property
    def http_address(self) -> tuple[str, int]:
        return self.host.addr(self.name, "http")

    @property
    def admin_url(self) -> str:
        h, p = self.host.addr("admin", "http")
        return f"http://{h}:{p}"

    @property
    def dest(self) -> str:
        h, p = self.thrift_address
        return f"inet!{h}:{p}"

    def url(self, path: str = "") -> str:
        return self.host.url(self.name, path)

    @property
    def output(self) -> str:
        """What the host printed (its ready lines, drain notices)."""
        return self.host.out.getvalue()

    def thrift_client(self, protocol: str = "thrift", **options: Any) -> SyncClient:
        """A Thrift client on this service's port: ``protocol`` "thrift" (framed binary, with
        the TTwitter upgrade unless ``ttwitter=False``) or "thriftmux"; other options as
        `framework.client.ThriftClient` takes them."""
        from ..client import ThriftClient

        c = SyncClient(self.host, lambda: ThriftClient(self.service.idl, self.dest, service=self.service.definition.name, protocol=protocol, **options))
        self._clients.append(c)
        return c

    def wire_client(self, protocol: str = "binary", *, framed: bool = True, timeout_s: float = 10) -> Any:
        """A plain, synchronous Thrift client (thriftpy2's) speaking one exact wire format:
        ``protocol`` "binary" or "compact", `framed` or not (buffered), as a non-Finagle peer
        does; ``client.greet("ada")``. Closed with the others."""
        from thriftpy2.protocol import TBinaryProtocolFactory, TCompactProtocolFactory
        from thriftpy2.rpc import make_client
        from thriftpy2.transport import TBufferedTransportFactory, TFramedTransportFactory

        protocols = {"binary": TBinaryProtocolFactory, "compact": TCompactProtocolFactory}
        if protocol not in protocols:
            raise ValueError(f"protocol: expected binary or compact, got {protocol!r}")
        service = getattr(self.service.idl.module, self.service.definition.name)
        h, p = self.thrift_address
        transport = TFramedTransportFactory() if framed else TBufferedTransportFactory()
        c = make_client(service, h, p, proto_factory=protocols[protocol](), trans_factory=transport, timeout=int(timeout_s * 1000))
        self._clients.append(c)
        return c

    def rest_client(self, **options: Any) -> SyncClient:
        from ..client import HttpClient

        h, p = self.http_address
        c = SyncClient(self.host, lambda: HttpClient(self.service.idl, f"inet!{h}:{p}", service=self.service.definition.name, **options))
        self._clients.append(c)
        return c

    @property
    def thrift(self) -> SyncClient:
        if "thrift" not in self._lazy:
            self._lazy["thrift"] = self.thrift_client()
        return self._lazy["thrift"]  # type: ignore[no-any-return]

    @property
    def rest(self) -> SyncClient:
        if "rest" not in self._lazy:
            self._lazy["rest"] = self.rest_client()
        return self._lazy["rest"]  # type: ignore[no-any-return]

    @property
    def http(self) -> httpx.Client:
        if "http" not in self._lazy:
            import httpx

            self._lazy["http"] = c = httpx.Client(base_url=self.url(), timeout=30)
            self._clients.append(c)
        return self._lazy["http"]  # type: ignore[no-any-return]

    @property
    def admin(self) -> httpx.Client:
        if "admin" not in self._lazy:
            import httpx

            self._lazy["admin"] = c = httpx.Client(base_url=self.admin_url, timeout=30)
            self._clients.append(c)
        return self._lazy["admin"]  # type: ignore[no-any-return]

    def close_clients(self) -> None:
        for sibling in self._lazy.get("services", {}).values():
            if sibling is not self:
                sibling.close_clients()
        for c in reversed(self._clients):
            with contextlib.suppress(Exception):
                c.close()
        self._clients.clear()
        self._lazy.clear()

    def __repr__(self) -> str:
        return f"Served({self.name!r}, thrift={self.thrift_address}, http={self.http_address})"


def _service_key(spec: ServiceSpec) -> str | None:
    """The name a service's own settings are filed under, when it can be known before it is built."""
    if isinstance(spec, str):
        return spec.partition(":")[0].rpartition(".")[2] if ":" in spec else spec
    name = getattr(spec, "name", None)
    return name if isinstance(name, str) else None


def settings_for(services: Sequence[ServiceSpec] = (), zookeeper: ZooKeeper | None = None, **settings: Any) -> Settings:
    """The settings `serve` runs with: `TEST_DEFAULTS`, then the ZooKeeper's, then `settings`
    (host settings by name; any other name is the first service's own setting). The process's
    ``AVIARY_*`` variables are not read, so a test means the same everywhere."""
    from .. import config

    host_names = {s.name for s in config.HOST_SETTINGS}
    flags: dict[str, Any] = dict(TEST_DEFAULTS)
    if zookeeper is not None:
        flags.update(zk=zookeeper.hosts, zk_root=zookeeper.root, env=zookeeper.env)
    first = _service_key(services[0]) if services else None
    if settings.get("workers", 1) != 1:
        raise TypeError("serve() runs the host in the test's process, so workers must be 1; test worker processes through `aviary run --workers N`")
    for key, value in settings.items():
        if key in host_names or key.startswith("services."):
            flags[key] = value
        elif first is not None:
            flags[f"services.{first}.{key}"] = value
        else:
            raise TypeError(
                f"serve() got {key!r}, which is no host setting, and the first service is a factory whose name is not known before it runs:"
                f" name it as a plugin (serve('name', {key}=…)) or give the setting in full (serve(factory, **{{'services.NAME.{key}': …}}))"
            )
    return config.load(env={}, flags=flags)


def _build(spec: ServiceSpec, settings: Settings) -> Service:
    from .. import plugins
    from ..service import Service

    if isinstance(spec, Service):
        return spec
    if isinstance(spec, str):
        return plugins.create(spec, settings)
    built = spec()
    if not isinstance(built, Service):
        raise TypeError(f"serve() expects a Service, a plugin name or a factory of a Service; {spec!r} returned {type(built).__name__}")
    return built


@contextlib.contextmanager
def serve(*services: ServiceSpec, zookeeper: ZooKeeper | None = None, **settings: Any) -> Iterator[Served]:
    """Run `services` (each a `Service`, a plugin name such as ``"echo"`` or
    ``"mypkg.service:create"``, or a function returning a `Service`) in one host in this
    process; yield the first one's `Served` once every port listens (and, with `zookeeper`,
    the members are announced). On exit the host drains and stops as on SIGTERM."""
    if not services:
        raise TypeError("serve() needs a service: a Service, a plugin name or a factory")
    resolved = settings_for(services, zookeeper, **settings)
    bg = BackgroundHost(lambda: [_build(s, resolved) for s in services], resolved)
    bg.start()
    assert bg.host is not None
    served = Served(bg, bg.host.services[0].name)
    try:
        yield served
    finally:
        served.close_clients()
        bg.stop()


# -- calls without sockets ---------------------------------------------------------------------


async def acall(service: Service, method: str, /, *args: Any, _timeout_s: float | None = None, _settings: Settings | None = None, **kwargs: Any) -> Any:
    """`call` for a test already on an event loop."""
    from .. import config
    from ..context import Context, Deadline
    from ..errors import UnknownMethod
    from ..assembly import host_filters
    from ..service import Call, served

    m = service.methods.get(method)
    if m is None:
        raise UnknownMethod(f"{service.definition.name} has no method {method!r} (methods: {', '.join(service.methods)})")
    settings = _settings if _settings is not None else config.load(env={}, flags={"zk": "none"})
    filters, _ = host_filters(settings, [service])
    chain = service.chain(filters)
    ctx = Context("test", deadline=Deadline.in_seconds(_timeout_s) if _timeout_s is not None else None)
    return await served(chain, Call(service, m, m.bind(args, kwargs), ctx))


def call(service: Service, method: str, /, *args: Any, _timeout_s: float | None = None, _settings: Settings | None = None, **kwargs: Any) -> Any:
    """Call `method` of `service` with arguments by position or name, through the filter
    chain a host serves it with, without a socket; returns the result or raises what a
    caller would see (the IDL's exceptions, `framework.errors` for the rest). ``_timeout_s``
    gives the call a deadline, as a caller's would."""
    return asyncio.run(acall(service, method, *args, _timeout_s=_timeout_s, _settings=_settings, **kwargs))


# -- ZooKeeper ---------------------------------------------------------------------------------


def start_zookeeper(nodes: int = 1) -> EmbeddedZooKeeper:
    """A real ZooKeeper (Debian's ``zookeeper`` package) on free loopback ports. Missing, it
    raises `framework.discovery.embedded.ZooKeeperMissing`, saying what to install."""
    from ..discovery.embedded import EmbeddedZooKeeper

    return EmbeddedZooKeeper(nodes).start()


class ZooKeeper:
    """A test's own corner of a running ZooKeeper: `hosts` (the connect string), `root` (a
    fresh path no other test uses: pass it as ``zk_root``, as `serve` does) and `env`.
    `client` is a kazoo client to look at what was written; `path(service)` is where a
    service's members live."""

    def __init__(self, server: EmbeddedZooKeeper, root: str | None = None, env: str = "test") -> None:
        self.server = server
        self.hosts = server.hosts
        self.root = root or f"/test-{uuid.uuid4().hex[:12]}"
        self.env = env
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from kazoo.client import KazooClient

            self._client = KazooClient(hosts=self.hosts)
            self._client.start(10)
        return self._client

    def path(self, service: str) -> str:
        return f"{self.root}/{self.env}/{service}"

    def members(self, service_or_path: str) -> list[Member]:
        """The members now under a service's serverset (or an absolute path), in znode order."""
        from ..discovery.serverset import MEMBER_PREFIX, parse

        path = service_or_path if service_or_path.startswith("/") else self.path(service_or_path)
        if not self.client.exists(path):
            return []
        out = []
        for child in sorted(self.client.get_children(path)):
            if child.startswith(MEMBER_PREFIX):
                data, _ = self.client.get(f"{path}/{child}")
                member = parse(data, child)
                if member is not None:
                    out.append(member)
        return out

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.delete(self.root, recursive=True)
            self._client.stop()
            self._client.close()
            self._client = None

    def __repr__(self) -> str:
        return f"ZooKeeper({self.hosts}, root={self.root!r}, env={self.env!r})"


def announced(zookeeper: ZooKeeper, service: str, *, count: int = 1, alive: bool = True, timeout: float = 10) -> list[Member]:
    """The members of `service` once there are exactly `count` (alive ones only, unless
    ``alive=False``); `count=0` waits for it to be withdrawn. Raises AssertionError naming what
    was there instead when `timeout` passes first. (A waiting loop, not a timing assertion:
    ZooKeeper writes land a moment after the call that made them.)"""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in zookeeper.members(service) if m.alive or not alive]
        if len(found) == count:
            return found
        if time.monotonic() >= deadline:
            seen = ", ".join(f"{m.znode} {m.status} {m.service_endpoint}" for m in zookeeper.members(service)) or "none"
            raise AssertionError(f"expected {count} {'alive ' if alive else ''}member(s) at {zookeeper.path(service)}; there: {seen}")
        time.sleep(0.05)
