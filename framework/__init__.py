"""Aviary: Python services that are first-class members of a Finagle/ZooKeeper estate.

The public API is this page:

* `Service(idl, handler, ...)`: an IDL service bound to a handler; served over Thrift and REST.
* `Call`, `Context`, `current()`: what a filter or handler knows about the call in progress.
* `Filter`, `compose`: cross-cutting behaviour, the same for every transport.
* `load_idl`, `locate_idl`: read a .thrift at runtime (the IDL's types are ``idl.module.X``).
* the error types in `framework.errors`, re-exported here.

Testing a service (real sockets, a real ZooKeeper, a pytest plugin) is `framework.testing`.
"""

from .call import current, current_context
from .context import Context, Deadline, TraceId
from .errors import (
    ApplicationError,
    AviaryError,
    ConfigError,
    DeadlineExceeded,
    DefinitionError,
    IdlError,
    IdlSyntaxError,
    InternalError,
    InvalidArgument,
    Overloaded,
    PermissionDenied,
    Unavailable,
    UnknownMethod,
)
from .filters import Filter, compose
from .idl import Idl
from .idl import load as load_idl
from .idl import locate as locate_idl
from .service import Call, Service

__version__ = "0.1.0"

__all__ = [
    "Service",
    "Call",
    "Context",
    "TraceId",
    "Deadline",
    "current",
    "current_context",
    "Filter",
    "compose",
    "Idl",
    "load_idl",
    "locate_idl",
    "AviaryError",
    "ConfigError",
    "IdlError",
    "IdlSyntaxError",
    "DefinitionError",
    "ApplicationError",
    "UnknownMethod",
    "InvalidArgument",
    "InternalError",
    "DeadlineExceeded",
    "PermissionDenied",
    "Overloaded",
    "Unavailable",
]
