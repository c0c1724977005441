"""A ZooKeeper session that heals itself: the one kazoo client of an announcer or a resolver.

kazoo reconnects a dropped connection on its own and resumes the session, which is right while
the ensemble keeps its data. Two things it does not do, and this module does:

* **A new session when the old one cannot come back.** A ZooKeeper rebuilt from empty (restored,
  re-created) refuses a client that has seen a newer transaction than the server has ("Refusing
  session request for client ... as it has seen zxid 0x..."): it closes the connection, and
  kazoo tries again with the same zxid, forever. As Curator does, a client that has had no
  session for longer than the session timeout (ZooKeeper has expired that session by then in
  any case) is replaced by a fresh client, with one log line saying why; the owner is handed
  the new client (``on_client``) and makes again what belonged to the session: members,
  watches.
* **Connection failures logged once, then summarised.** kazoo logs every failed attempt, about
  once a second while ZooKeeper is away. The clients made here log through `_KazooLog`, which
  hands those lines to the session: the first failure is logged, then one summary a minute
  while it lasts, and one line when a session is back.

A watchdog thread (one per session) checks once a second; listeners run on kazoo's threads and
only record what happened.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState
from kazoo.retry import KazooRetry

from .embedded import four_letter

__all__ = ["ZooKeeperSession", "SUMMARY_INTERVAL_S"]

log = logging.getLogger("aviary.zookeeper")

SUMMARY_INTERVAL_S = 60.0  # while ZooKeeper stays away, one line a minute says it still is

# What kazoo's connection loop logs on each failed attempt (format strings, as kazoo passes them).
_ATTEMPT_FAILED = ("Connection dropped: %s", "Connection time-out: %s", "Cannot resolve %s: %s")
# kazoo's narration of the same events, said better by the session's own lines.
_NARRATION = ("Transition to CONNECTING", "Session has expired", "Failed connecting to Zookeeper within the connection retry policy.")


class _KazooLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """kazoo's logger for one client (its documented ``logger`` argument): the lines kazoo writes
    for every failed connection attempt go to the session's tally; everything else passes on to
    the ``kazoo.client`` logger as before."""

    def __init__(self, on_failure: Callable[[KazooClient | None, str], None]) -> None:
        super().__init__(logging.getLogger("kazoo.client"), {})
        self._on_failure = on_failure
        self.client: KazooClient | None = None  # the client logging here (set once it exists)

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        if msg in _ATTEMPT_FAILED:
            self._on_failure(self.client, str(msg) % args if args else str(msg))
            return
        if msg in _NARRATION:
            return
        super().log(level, msg, *args, **kwargs)


class ZooKeeperSession:
    """The current kazoo client for `hosts` (a connect string, or a function returning one),
    replaced by a fresh one when its session cannot come back.

    ``on_client(client)`` is called with every client before it starts connecting (the first
    one included), so recipes and listeners can be attached; ``on_state(state, client)`` with
    each `KazooState` change of the current client. Both run on other threads: record and
    return, never block. `client` is always the current one; a replaced client is stopped in
    the background (its calls then fail with ``ConnectionClosedError``)."""

    def __init__(
        self,
        hosts: str | Callable[[], str],
        timeout_s: float,
        *,
        on_client: Callable[[KazooClient], None] | None = None,
        on_state: Callable[[str, KazooClient], None] | None = None,
        summary_interval_s: float = SUMMARY_INTERVAL_S,
        **kazoo_options: Any,
    ) -> None:
        self._hosts = hosts
        self.timeout_s = timeout_s
        self._on_client = on_client
        self._on_state_change = on_state
        self._summary_interval_s = summary_interval_s
        self._kazoo_options = kazoo_options
        self._lock = threading.Lock()
        self._client: KazooClient | None = None
        self._stopped = threading.Event()
        self._watchdog: threading.Thread | None = None
        self.state = "not started"
        self.new_sessions = 0  # fresh clients made because a session could not come back
        self._ever_connected = False
        self._without_since: float | None = None  # no session since (monotonic), None while connected
        self._failures = 0  # failed attempts since the session went away
        self._last_failure = ""
        self._reported_at = 0.0  # when the failures were last logged
        self._failing = False

    @property
    def hosts(self) -> str:
        return self._hosts() if callable(self._hosts) else self._hosts

    @property
    def client(self) -> KazooClient:
        if self._client is None:
            raise RuntimeError("the ZooKeeper session has not been started")
        return self._client

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.connected

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        """Make the first client and start connecting in the background."""
        logging.getLogger("kazoo.client").setLevel(max(logging.WARNING, logging.getLogger().level))  # it narrates every connect at INFO
        with self._lock:
            self._without_since = time.monotonic()
            self._install_client()
        self._watchdog = threading.Thread(target=self._watch, name="aviary-zk-session", daemon=True)
        self._watchdog.start()

    def stop(self) -> None:
        """Close the session (its ephemeral nodes go at once) and stop the watchdog."""
        self._stopped.set()
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            _close(client)
        if self._watchdog is not None:
            self._watchdog.join(5)
        self.state = "closed"

    def describe(self) -> dict[str, Any]:
        """The session as the admin page shows it."""
        client = self._client
        session = client.client_id if client is not None else None
        without = self._without_since
        return {
            "zookeeper": self.hosts,
            "session": self.state,
            "session_id": f"0x{session[0]:x}" if session else None,
            "without_session_s": round(time.monotonic() - without, 1) if without is not None else None,
            "failed_attempts": self._failures,
            "last_failure": self._last_failure,
            "new_sessions": self.new_sessions,
        }

    def health(self) -> str:
        """'' with a live session, else one line saying since when there is none and why."""
        without = self._without_since
        if without is None or self._stopped.is_set():
            return ""
        why = f" ({self._last_failure})" if self._last_failure else ""
        return f"no ZooKeeper session with {self.hosts} for {time.monotonic() - without:.0f}s{why}"

    # -- kazoo's threads -----------------------------------------------------------------------
    def _install_client(self) -> None:
        """Make a client the current one (before it connects: its first event counts), hand it
        to the owner, start it. Called under the lock."""
        options = {"connection_retry": KazooRetry(max_tries=-1, delay=0.1, backoff=2, max_delay=1.0), **self._kazoo_options}
        kazoo_log = _KazooLog(self._attempt_failed)
        client = kazoo_log.client = KazooClient(hosts=self.hosts, timeout=self.timeout_s, logger=kazoo_log, **options)
        client.add_listener(lambda state: self._state_changed(state, client))
        self._client = client
        if self._on_client is not None:
            self._on_client(client)
        client.start_async()

    def _state_changed(self, state: str, client: KazooClient) -> None:
        if client is not self._client:
            return  # a replaced client winding down
        self.state = {KazooState.CONNECTED: "connected", KazooState.SUSPENDED: "suspended", KazooState.LOST: "lost"}.get(state, str(state).lower())
        if state == KazooState.CONNECTED:
            self._connected(client)
        else:
            if self._without_since is None:
                self._without_since = time.monotonic()
            if state == KazooState.LOST and self._ever_connected:
                # kazoo starts the new session itself; the owner makes its ephemerals again
                log.warning("zookeeper: the session with %s expired (ZooKeeper deleted its ephemeral nodes); starting a new one", self.hosts)
        if self._on_state_change is not None:
            self._on_state_change(state, client)

    def _connected(self, client: KazooClient) -> None:
        without, self._without_since = self._without_since, None
        failures, self._failures = self._failures, 0
        was_failing, self._failing = self._failing, False
        self._last_failure = ""
        self._ever_connected = True
        session = client.client_id
        sid = f"0x{session[0]:x}" if session else "?"
        if was_failing and without is not None:
            log.info("zookeeper: connected to %s (session %s) after %.0fs without a session; %d attempts failed", self.hosts, sid, time.monotonic() - without, failures)

    def _attempt_failed(self, client: KazooClient | None, why: str) -> None:
        if client is not self._client:
            return  # a replaced client still trying while it winds down
        self._last_failure = why.removeprefix("Connection dropped: ")
        self._failures += 1
        if self._without_since is None:
            self._without_since = time.monotonic()
        if not self._failing:
            self._failing = True
            self._reported_at = time.monotonic()
            lost = "lost the connection to" if self._ever_connected else "cannot connect to"
            log.warning(
                "zookeeper: %s %s (%s); retrying, repeated failures summarised every %.0fs", lost, self.hosts, self._last_failure, self._summary_interval_s
            )

    # -- the watchdog --------------------------------------------------------------------------
    def _watch(self) -> None:
        while not self._stopped.wait(min(1.0, self.timeout_s / 4)):
            try:
                self._check()
            except Exception:  # noqa: BLE001 - the watchdog must outlive any one bad check
                log.exception("zookeeper: checking the session failed")

    def _check(self) -> None:
        now = time.monotonic()
        without = self._without_since
        if without is None:
            return
        if self._failing and now - self._reported_at >= self._summary_interval_s:
            self._reported_at = now
            log.warning("zookeeper: still no session with %s after %.0fs; %d attempts failed (last: %s)", self.hosts, now - without, self._failures, self._last_failure)
        client = self._client
        # A fresh client helps only one that has seen transactions (a fresh one has seen none).
        if client is None or now - without <= self.timeout_s or not client.last_zxid:
            return
        self._replace(client, now - without)

    def _replace(self, old: KazooClient, without_s: float) -> None:
        why = self._why_new(old.last_zxid, without_s)
        with self._lock:
            if self._stopped.is_set() or old is not self._client:
                return
            log.warning("zookeeper: starting a new session with %s: %s", self.hosts, why)
            self.new_sessions += 1
            self.state = "new session"
            self._install_client()
        threading.Thread(target=_close, args=(old,), name="aviary-zk-retire", daemon=True).start()

    def _why_new(self, seen: int, without_s: float) -> str:
        """Why the old session is given up: what the servers' ``srvr`` answers say, if they answer."""
        plain = f"none for {without_s:.0f}s, longer than the session timeout ({self.timeout_s:g}s)"
        behind = []
        for server in self.hosts.split("/", 1)[0].split(","):
            host, _, port = server.strip().rpartition(":")
            zxid = _server_zxid(host.strip("[]") or "127.0.0.1", int(port) if port.isdigit() else 2181)
            if zxid is not None and zxid < seen:
                behind.append(f"{server.strip()} is at 0x{zxid:x}")
        if behind:
            return f"{plain}; this client has seen zxid 0x{seen:x} but {', '.join(behind)}, so ZooKeeper refuses the old session (rebuilt from empty?)"
        return f"{plain}; ZooKeeper has expired it, or refuses it"


def _server_zxid(host: str, port: int) -> int | None:
    """The last zxid a server reports in its ``srvr`` answer (None if it does not answer)."""
    for line in four_letter(host, port, "srvr", timeout=0.5).splitlines():
        if line.startswith("Zxid:"):
            try:
                return int(line.split(":", 1)[1].strip(), 16)
            except ValueError:
                return None
    return None


def _close(client: KazooClient) -> None:
    try:
        client.stop()
        client.close()
    except Exception:  # noqa: BLE001 - closing: the session ends with the process anyway
        log.debug("closing a ZooKeeper client failed", exc_info=True)
