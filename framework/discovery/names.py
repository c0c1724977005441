"""Destination names, as Finagle writes them.

* ``zk2!host:port[,host:port…][#host:port…]!/path[!endpoint]``: a serverset read as Finagle's
  zk2 resolver does (``#`` joins several ZooKeeper clusters; only ALIVE members count).
* ``zk!host:port[,…]!/path[!endpoint]``: the legacy resolver (no status filter).
* ``inet!host:port[,host:port…]``: fixed addresses.
* ``host:port[,…]`` alone is read as ``inet!``.

With an endpoint name a member's ``additionalEndpoints[endpoint]`` is used, otherwise its
``serviceEndpoint``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import AviaryError

__all__ = ["Name", "BadName", "parse", "parse_address"]


class BadName(AviaryError):
    """A destination string that is not a name Aviary understands."""


@dataclass(frozen=True)
class Name:
    scheme: str  # "zk2" | "zk" | "inet"
    clusters: tuple[str, ...] = ()  # ZooKeeper connect strings (zk, zk2)
    path: str = ""
    endpoint: str | None = None
    addresses: tuple[tuple[str, int], ...] = ()  # inet

    def __str__(self) -> str:
        if self.scheme == "inet":
            return "inet!" + ",".join(f"{h}:{p}" for h, p in self.addresses)
        return f"{self.scheme}!{'#'.join(self.clusters)}!{self.path}" + (f"!{self.endpoint}" if self.endpoint else "")


def parse_address(text: str, where: str = "") -> tuple[str, int]:
    host, sep, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise BadName(f"{where or text!r}: expected host:port, got {text!r}")
    return host, int(port)


def _hosts(text: str, dest: str) -> str:
    for part in text.split(","):
        parse_address(part, dest)
    return text


def parse(dest: str) -> Name:
    """Parse a destination; `BadName` says what is wrong with it."""
    dest = dest.strip()
    if "!" not in dest:
        if not dest:
            raise BadName("empty destination: expected zk2!hosts!/path, zk!hosts!/path or inet!host:port")
        return Name("inet", addresses=tuple(parse_address(p, dest) for p in dest.split(",")))
    parts = dest.split("!")
    scheme = parts[0]
    if scheme == "inet":
        if len(parts) != 2 or not parts[1]:
            raise BadName(f"{dest!r}: expected inet!host:port[,host:port…]")
        return Name("inet", addresses=tuple(parse_address(p, dest) for p in parts[1].split(",")))
    if scheme in ("zk", "zk2"):
        if len(parts) not in (3, 4) or not parts[1] or not parts[2].startswith("/"):
            hint = " (zk2 takes no shard in the name)" if len(parts) > 4 or (scheme == "zk2" and len(parts) == 4 and parts[3].isdigit()) else ""
            raise BadName(f"{dest!r}: expected {scheme}!host:port[,host:port]!/path[!endpoint]{hint}")
        if len(parts) == 4 and scheme == "zk2" and parts[3].isdigit():
            raise BadName(f"{dest!r}: zk2 takes no shard in the name; the last part is an endpoint name")
        clusters = tuple(_hosts(c, dest) for c in parts[1].split("#")) if scheme == "zk2" else (_hosts(parts[1], dest),)
        path = parts[2].rstrip("/") or "/"
        return Name(scheme, clusters=clusters, path=path, endpoint=(parts[3] or None) if len(parts) == 4 else None)
    raise BadName(f"{dest!r}: unknown scheme {scheme!r} (known: zk2, zk, inet)")
