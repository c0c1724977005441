"""The access log: one line per call, on the logger ``aviary.access``, for services that ask.

A service's ``access_log`` setting (default false) turns it on::

    [services.echo]
    access_log = true

and each call of that service, whichever transport brought it, is logged at INFO as
``Echo.repeat ok 1.23ms thrift`` (or the exception's name instead of ``ok``). The record also
carries ``service`` and ``labels`` (``method``, ``outcome``, ``transport``) as `extra`, so a
handler such as the event log's ``LoggingHandler`` stores them as fields, not only as text.
Where the lines go is ordinary `logging` configuration: stderr by default, anywhere a handler
on ``aviary.access`` sends them (``aviary dev`` sends echo's to the event log).

Only the services named get the filter's attention: a service that stores logs (the event log)
must not log its own calls into itself.
"""

from __future__ import annotations

import logging
from time import perf_counter
from typing import TYPE_CHECKING, Any, Awaitable, Iterable

if TYPE_CHECKING:
    from .config import Settings
    from .filters import Handler
    from .service import Call, Service

__all__ = ["AccessLog", "access_log", "LOGGER"]

LOGGER = "aviary.access"
log = logging.getLogger(LOGGER)


class AccessLog:
    """The filter: logs each call of the services in `services` when it finishes."""

    __slots__ = ("services",)

    def __init__(self, services: Iterable[str]) -> None:
        self.services = frozenset(services)

    def __call__(self, call: Call, next: Handler) -> Awaitable[Any]:
        # A plain function: calls of services that do not log pass on without a frame of ours.
        if call.service.name not in self.services or not log.isEnabledFor(logging.INFO):
            return next(call)
        return self._logged(call, next)

    async def _logged(self, call: Call, next: Handler) -> Any:
        start = perf_counter()
        outcome = "ok"
        try:
            return await next(call)
        except BaseException as e:
            outcome = type(e).__name__
            raise
        finally:
            ms = (perf_counter() - start) * 1000.0
            method = f"{call.service.definition.name}.{call.method.name}"
            transport = call.context.transport
            log.info(
                "%s %s %.2fms %s", method, outcome, ms, transport,
                extra={"service": call.service.name, "labels": {"method": method, "outcome": outcome, "transport": transport}},
            )

    def __repr__(self) -> str:
        return f"AccessLog({sorted(self.services)})"


def access_log(settings: Settings, services: list[Service]) -> AccessLog | None:
    """The access-log filter for the services whose ``access_log`` setting is true, or None."""
    names = [s.name for s in services if settings.service_setting(s.name, "access_log")]
    return AccessLog(names) if names else None
