"""Every error Aviary raises on purpose, in one place.

Two families:

* start-up errors (`ConfigError`, `IdlError`, `DefinitionError`): the process refuses to start
  and the message names the setting, file or method to fix;
* call errors (`ApplicationError` and its subclasses): one call fails, the connection and the
  process carry on. Each knows how it travels: a Thrift `TApplicationException` type and an
  HTTP status, so both transports report the same failure the same way.
"""

from __future__ import annotations

from typing import Any

__all__ = [
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
    "WireError",
]


class AviaryError(Exception):
    """Base of every error Aviary raises on purpose."""


class ConfigError(AviaryError):
    """A setting has a bad value; `setting` is its name, as written in the TOML file."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting


class IdlError(AviaryError):
    """A .thrift file could not be loaded or does not say what Aviary needs."""


class IdlSyntaxError(IdlError):
    """A .thrift file says something the Thrift IDL does not allow, at `line`:`column` (1-based).

    `expected` lists what would have been accepted there (empty when the fault is not a
    missing token, e.g. an unknown type name); the message reads ``file:line:column: ...``,
    the form editors and compilers use, so a terminal can jump to it.
    """

    def __init__(self, path: str, line: int, column: int, message: str, expected: tuple[str, ...] = ()) -> None:
        super().__init__(f"{path}:{line}:{column}: {message}")
        self.path = path
        self.line = line
        self.column = column
        self.expected = expected


class DefinitionError(AviaryError):
    """A service definition does not fit its IDL (a missing handler method, a bad route)."""


# Thrift TApplicationException types (Apache Thrift's numbering, which every peer uses).
TAPP_UNKNOWN = 0
TAPP_UNKNOWN_METHOD = 1
TAPP_INVALID_MESSAGE_TYPE = 2
TAPP_WRONG_METHOD_NAME = 3
TAPP_BAD_SEQUENCE_ID = 4
TAPP_MISSING_RESULT = 5
TAPP_INTERNAL_ERROR = 6
TAPP_PROTOCOL_ERROR = 7
TAPP_INVALID_TRANSFORM = 8  # THeader: a transform the receiver cannot undo
TAPP_LOADSHEDDING = 11  # fbthrift's type for "refused under load": retry elsewhere


class ApplicationError(AviaryError):
    """A call failed for a reason that is not one of the method's declared exceptions.

    Over Thrift it becomes a TApplicationException of `thrift_type`; over HTTP a response with
    `http_status` and the body ``{"error": {"type": <class name>, "message": ...}}``.
    """

    thrift_type: int = TAPP_UNKNOWN
    http_status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def kind(self) -> str:
        return type(self).__name__

    def to_json(self) -> dict[str, Any]:
        return {"type": self.kind, "message": self.message}


class UnknownMethod(ApplicationError):
    """The service has no method of that name."""

    thrift_type = TAPP_UNKNOWN_METHOD
    http_status = 404


class InvalidArgument(ApplicationError):
    """The arguments do not fit the IDL: `path` says where (``args.user.age``)."""

    thrift_type = TAPP_PROTOCOL_ERROR
    http_status = 400

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path

    def to_json(self) -> dict[str, Any]:
        body = super().to_json()
        if self.path:
            body["path"] = self.path
        return body


class InternalError(ApplicationError):
    """The handler failed unexpectedly. The caller gets only `error_id`; the log has the rest."""

    thrift_type = TAPP_INTERNAL_ERROR
    http_status = 500

    def __init__(self, error_id: str, message: str = "internal error") -> None:
        super().__init__(f"{message} (error id {error_id})")
        self.error_id = error_id

    def to_json(self) -> dict[str, Any]:
        return {"type": self.kind, "message": self.message, "errorId": self.error_id}


class DeadlineExceeded(ApplicationError):
    """The caller's deadline passed before the call could finish."""

    thrift_type = TAPP_INTERNAL_ERROR
    http_status = 504


class PermissionDenied(ApplicationError):
    """The caller's identity may not call this method."""

    thrift_type = TAPP_UNKNOWN
    http_status = 403


class Overloaded(ApplicationError):
    """The server refused the call before running it; it is safe to retry elsewhere (a NACK on
    ThriftMux, LOADSHEDDING on plain Thrift, 503 with Retry-After on HTTP)."""

    thrift_type = TAPP_LOADSHEDDING
    http_status = 503

    def __init__(self, message: str, retry_after_s: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Unavailable(ApplicationError):
    """No member of the destination could be reached (client side)."""

    thrift_type = TAPP_UNKNOWN
    http_status = 503


class WireError(AviaryError):
    """Bytes on a connection are not a well-formed message.

    `path` names the field being read (``message.tags[3]``) when the frame itself was sound but
    a value in it was not; such an error fails one call. Without a path, the framing is lost and
    the connection must close.
    """

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def at(self, name: str) -> WireError:
        """Prefix the path with an enclosing field name or index (built on the way out)."""
        if not self.path:
            self.path = name
        elif self.path.startswith("["):
            self.path = name + self.path
        else:
            self.path = f"{name}.{self.path}"
        return self

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message
