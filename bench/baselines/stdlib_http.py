"""The standard library's ThreadingHTTPServer: the JSON echo, a thread per connection.

HTTP/1.1 keep-alive, and Nagle off: without it each reply (headers, then body, in two writes)
waits for the client's delayed ACK, and the benchmark would measure a 40 ms timer.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from _common import HOST, ready


class EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        if self.path != "/Echo/echo":
            self.send_error(404)
            return
        length = int(self.headers.get("Content-Length", 0))
        try:
            message = json.loads(self.rfile.read(length))["message"]
        except (ValueError, KeyError, TypeError):
            self.send_error(400)
            return
        body = json.dumps(message).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # no access log, like every other server here


def main() -> None:
    server = ThreadingHTTPServer((HOST, 0), EchoHandler)
    ready("http.server", "http", server.socket)
    server.serve_forever()


if __name__ == "__main__":
    main()
