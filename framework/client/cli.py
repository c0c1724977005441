"""``aviary ls`` and ``aviary call``: look at a destination and call it from the shell.

    aviary ls zk2!127.0.0.1:2181!/aviary/dev/echo
    aviary call zk2!127.0.0.1:2181!/aviary/dev/echo echo '{"message": {"text": "hi"}}'
    aviary call --http zk2!127.0.0.1:2181!/aviary/dev/echo repeat '{"text": "a", "times": 2}'

`call` takes the arguments as a JSON object by name (the REST body), sends them over Thrift (or
REST with ``--http``; a ZooKeeper name without an endpoint then uses the members' ``http``
endpoint) and prints the result as JSON. The IDL comes from ``--idl FILE``; without it, from the
members: their metadata names the IDL file, found among the installed IDLs or else fetched from
a member's ``/idl`` page. A declared exception prints as ``{"error": {...}}`` and exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import tempfile
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..discovery import names
from ..discovery.resolver import Resolution, resolve
from ..errors import AviaryError, IdlError
from ..idl import T, Type, load, locate
from ..rest.codec import JsonCodec, dumps, loads

__all__ = ["add_commands"]


def add_commands(sub: Any) -> None:
    """Register ``ls`` and ``call`` on the ``aviary`` argument parser's subcommands."""
    ls = sub.add_parser("ls", help="list the members of a destination (zk2!hosts!/path, zk!…, inet!h:p)")
    ls.add_argument("dest")
    ls.add_argument("--json", action="store_true", help="print the members as JSON")
    ls.add_argument("--timeout", type=float, default=10.0, metavar="S", help="how long to wait for ZooKeeper")
    ls.set_defaults(fn=_cmd_ls)
    call = sub.add_parser("call", help="call a method of a destination and print the JSON result")
    call.add_argument("dest")
    call.add_argument("method")
    call.add_argument("args", nargs="?", default="{}", help="the arguments as a JSON object by name (default {})")
    call.add_argument("--http", action="store_true", help="call over REST instead of Thrift")
    call.add_argument("--idl", metavar="FILE", help="the service's .thrift (default: from the members' metadata)")
    call.add_argument("--service", metavar="NAME", help="the IDL service, when the file declares several")
    call.add_argument("--timeout", type=float, default=10.0, metavar="S", help="per-call timeout")
    call.set_defaults(fn=_cmd_call)


def _open(dest: str, timeout: float) -> Resolution:
    r = resolve(dest)
    if r.dynamic and not r.wait_ready(timeout):
        r.close()
        raise AviaryError(f"ZooKeeper did not answer for {dest} within {timeout:g}s")
    return r


def _cmd_ls(args: argparse.Namespace) -> int:
    r = _open(args.dest, args.timeout)
    try:
        if not r.dynamic:
            rows = [{"address": str(a)} for a in r.addresses]
        else:
            rows = [
                {
                    "znode": m.znode,
                    "status": m.status,
                    "shard": m.shard,
                    "serviceEndpoint": f"{m.service_endpoint[0]}:{m.service_endpoint[1]}" if m.service_endpoint else None,
                    "additionalEndpoints": {k: f"{h}:{p}" for k, (h, p) in m.additional_endpoints.items()},
                    "metadata": m.metadata,
                }
                for m in sorted(r.members, key=lambda m: m.znode)
            ]
    finally:
        r.close()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"no members at {args.dest}")
        return 1
    for row in rows:
        if "znode" not in row:
            print(row["address"])
            continue
        eps = " ".join(f"{k}={v}" for k, v in row["additionalEndpoints"].items())
        print(f"{row['znode'].rsplit('/', 1)[-1]}  {row['status']}  shard={row['shard']}  {row['serviceEndpoint']}  {eps}")
    return 0


def _idl_for(args: argparse.Namespace, r: Resolution) -> Path:
    """The IDL file: --idl, an installed IDL the members name, or one fetched from a member."""
    if args.idl:
        return Path(args.idl)
    meta = next((m.metadata for m in r.members if m.metadata.get("idl_file")), None)
    if meta is not None:
        try:
            return locate(meta["idl_file"])
        except (IdlError, AviaryError):
            pass
    http = [m.additional_endpoints["http"] for m in r.members if "http" in m.additional_endpoints]
    if not http and not r.dynamic and args.http:
        http = list(r.addresses)
    if not http:
        raise AviaryError("cannot tell which IDL to use: give --idl FILE (the members announce no IDL and no http endpoint)")
    host, port = http[0]
    return _fetch_idl(f"http://{host}:{port}/idl", (meta or {}).get("idl_file", "service.thrift"))


def _fetch_idl(url: str, main_name: str) -> Path:
    """Download a member's IDL (and the files it includes) into a temporary directory."""
    tmp = Path(tempfile.mkdtemp(prefix="aviary-idl-"))
    pending, main = [None], None
    seen: set[str | None] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            with urllib.request.urlopen(url + (f"?file={name}" if name else ""), timeout=10) as resp:
                text = resp.read().decode("utf-8")
        except OSError as e:
            raise AviaryError(f"cannot fetch the IDL from {url}: {e} (give --idl FILE)") from None
        if name is None:
            m = re.search(r"^\s*service\s+\w+", text, re.M)
            if m is None:
                raise AviaryError(f"{url} did not return a Thrift IDL (give --idl FILE)")
            name = Path(main_name).name
            main = tmp / name
        (tmp / name).write_text(text, encoding="utf-8")
        pending += re.findall(r'^\s*include\s+"([^"]+)"', text, re.M)
    assert main is not None
    return main


def _cmd_call(args: argparse.Namespace) -> int:
    return asyncio.run(_call(args))


async def _call(args: argparse.Namespace) -> int:
    from .http import HttpClient
    from .thrift import ThriftClient

    try:
        named = loads(args.args)
    except ValueError as e:
        raise AviaryError(f"the arguments are not valid JSON: {e}") from None
    if not isinstance(named, dict):
        raise AviaryError("the arguments must be a JSON object of named arguments, e.g. '{\"text\": \"hi\"}'")
    name = names.parse(args.dest)
    if args.http and name.scheme != "inet" and name.endpoint is None:
        name = replace(name, endpoint="http")
    r = await asyncio.to_thread(_open, args.dest if name.scheme == "inet" else str(name), args.timeout)
    try:
        idl = load(_idl_for(args, r))
        client_type = HttpClient if args.http else ThriftClient
        client = client_type(idl, r, service=args.service, timeout_s=args.timeout)
        method = client.methods.get(args.method)
        if method is None:
            raise AviaryError(f"{client.definition.name} has no method {args.method!r} (methods: {', '.join(client.methods)})")
        codec = JsonCodec()
        positional = codec.args_decoder(method)(named)
        try:
            result = await client.call(method.name, *positional)
        except Exception as e:
            field = method.exception_field(e)
            if field is None:
                raise
            sdef = field.type.struct
            assert sdef is not None
            fields = codec.encoder(Type(T.STRUCT, sdef.name, struct=sdef))(e)
            print(dumps({"error": {"type": sdef.name, "fields": fields}}).decode())
            return 1
        finally:
            await client.close()
        if method.result is not None:
            print(dumps(codec.encoder(method.result)(result)).decode())
        return 0
    finally:
        await asyncio.to_thread(r.close)
