"""Raw Starlette on uvicorn: the JSON echo and nothing else (the REST baseline).

uvicorn as one would deploy it: uvloop and httptools (its defaults when installed, as Aviary
uses), no access log.
"""

from __future__ import annotations

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from _common import listen, ready


async def echo(request: Request) -> JSONResponse:
    body = await request.json()
    return JSONResponse(body["message"])


app = Starlette(routes=[Route("/Echo/echo", echo, methods=["POST"])])


def main() -> None:
    sock = listen()
    ready("starlette", "http", sock)
    config = uvicorn.Config(app, loop="uvloop", http="httptools", access_log=False, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
