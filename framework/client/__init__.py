"""Clients that find a service through discovery and balance calls across its members.

    async with ThriftClient("echo.thrift", "zk2!127.0.0.1:2181!/aviary/dev/echo") as echo:
        await echo.wait_ready()
        print(await echo.call("echo", {"text": "hi"}))

`HttpClient` is the same over the REST mapping (give the ``!http`` endpoint);
``ThriftClient(..., protocol="thriftmux")`` multiplexes calls over one connection per member.
All take `filters` (run around every call, as server filters do), `timeout_s` for a whole call
including retries, ``ssl`` (`framework.tls.client_context`), carry the trace and deadline of the
server call they are made in, and retry only where it is safe (see `framework.client.base`).

May import: the transports' client sides and discovery (`framework.thrift`, `rest.codec`,
`discovery`) and the core. Not `host`, `workers` or anything above them.
"""

from .balancer import Balancer, NoMembers, RetryBudget
from .base import NotSent, Refused, RemoteError, TlsRefused, request_metadata
from .http import HttpClient
from .thrift import ThriftClient

__all__ = ["ThriftClient", "HttpClient", "Balancer", "RetryBudget", "NoMembers", "NotSent", "Refused", "RemoteError", "TlsRefused", "request_metadata"]
