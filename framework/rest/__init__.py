"""The REST transport: the IDL's generated routes as JSON over HTTP, with its OpenAPI and docs.

`app.RestApp` (the ASGI app of a service's HTTP port: routing, decode, the call, encode),
`fast` (the generated routes off the ASGI path, on uvicorn's httptools protocol), `codec`
(IDL values to and from JSON), `openapi` and `docs` (the document and the pages).

May import: the core (`framework.call`, `context`, `filters`, `service`, `idl`, `errors`,
`metrics`, `tracing`, `tls`, `jsonio`, `dtab`). Not `thrift`, `admin` or `discovery` (Thrift over
HTTP comes in as a `app.BodyProtocol` the host gives), nor `host` or anything above it.
"""
