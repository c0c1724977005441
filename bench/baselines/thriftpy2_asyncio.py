"""thriftpy2's asyncio server (``thriftpy2.contrib.aio``), framed, on uvloop as Aviary is.

What ``thriftpy2.contrib.aio.rpc.make_server`` builds, with the framed transport and no
connection timeout; built by hand only to listen on a free port.
"""

from __future__ import annotations

from typing import Any

import thriftpy2
import uvloop
from thriftpy2.contrib.aio.processor import TAsyncProcessor
from thriftpy2.contrib.aio.protocol.binary import TAsyncBinaryProtocolFactory
from thriftpy2.contrib.aio.server import TAsyncServer
from thriftpy2.contrib.aio.socket import TAsyncServerSocket
from thriftpy2.contrib.aio.transport.framed import TAsyncFramedTransportFactory

from _common import ECHO_THRIFT, HOST, ready

echo_thrift = thriftpy2.load(str(ECHO_THRIFT), module_name="echo_thrift")


class EchoHandler:
    async def echo(self, message: Any) -> Any:
        return message


class AnnouncingSocket(TAsyncServerSocket):
    def listen(self) -> None:
        super().listen()
        ready("thriftpy2-asyncio", "thrift", self.raw_sock)


def main() -> None:
    server = TAsyncServer(
        TAsyncProcessor(echo_thrift.Echo, EchoHandler()),
        AnnouncingSocket(host=HOST, port=0, client_timeout=None),
        itrans_factory=TAsyncFramedTransportFactory(),
        iprot_factory=TAsyncBinaryProtocolFactory(),
        loop=uvloop.new_event_loop(),
    )
    server.serve()


if __name__ == "__main__":
    main()
