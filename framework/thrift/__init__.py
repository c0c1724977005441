"""The Thrift transport: one port that detects each connection's dialect from its first bytes.

`server.ThriftServer` (plain binary and compact, framed or buffered, with Finagle's TTwitter
upgrade), `mux` (ThriftMux sessions; `mux_wire` is the frame format, `mux_client` one client
connection), `header` (THeader), `json_protocol` (TJSONProtocol), `http` (Thrift over HTTP, given
to the REST app by the host), `codec` (the compiled binary and compact codecs), `ttwitter` (its
wire structs).

May import: the core (`framework.call`, `context`, `filters`, `service`, `idl`, `errors`,
`metrics`, `tracing`, `tls`, `connections`, `rawbinary`, `dtab`). Not `rest`, `admin` or
`discovery` (transports do not know each other), nor `host` or anything above it.
"""
