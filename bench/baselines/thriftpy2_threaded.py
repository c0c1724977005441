"""thriftpy2's threaded server: a thread per connection, its Cython binary protocol, framed.

What ``thriftpy2.rpc.make_server`` builds (its default protocol is the Cython one), with the
framed transport and no idle timeout; built by hand only to listen on a free port.
"""

from __future__ import annotations

from typing import Any

import thriftpy2
from thriftpy2.protocol import TCyBinaryProtocolFactory
from thriftpy2.server import TThreadedServer
from thriftpy2.thrift import TProcessor
from thriftpy2.transport import TCyFramedTransportFactory, TServerSocket

from _common import ECHO_THRIFT, HOST, ready

echo_thrift = thriftpy2.load(str(ECHO_THRIFT), module_name="echo_thrift")


class EchoHandler:
    def echo(self, message: Any) -> Any:
        return message


class AnnouncingSocket(TServerSocket):
    def listen(self) -> None:
        super().listen()
        ready("thriftpy2-threaded", "thrift", self.sock)


def main() -> None:
    server = TThreadedServer(
        TProcessor(echo_thrift.Echo, EchoHandler()),
        AnnouncingSocket(host=HOST, port=0, client_timeout=None),
        itrans_factory=TCyFramedTransportFactory(),
        iprot_factory=TCyBinaryProtocolFactory(),
        daemon=True,
    )
    server.serve()


if __name__ == "__main__":
    main()
