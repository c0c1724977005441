"""ZooKeeper discovery: announce serving processes as Finagle serverset members, and find them.

* `embedded.EmbeddedZooKeeper`: a real ZooKeeper (Debian's jar) in a temporary directory.
* `serverset`: the member JSON (Finagle's ``endpoint.thrift`` as JSON), written and parsed.
* `announcer.Announcer`: the host extension that keeps one member per service in ZooKeeper.
* `names.parse`: destination strings (``zk2!hosts!/path[!endpoint]``, ``zk!…``, ``inet!…``).
* `resolver.resolve`: a live set of addresses for a destination, kept current by watches.

May import: the core (`framework.config`, `errors`, `metrics`, `dtab`, `hosting`). Not `rest`,
`thrift` or `admin`, nor `host` (the announcer sees the host as a `hosting.HostView`).
"""
