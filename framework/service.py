"""`Service`: an IDL service, a handler and its options (`Call`, one invocation, is `framework.call`'s).

A handler is a plain class with one method per IDL method, taking the IDL's arguments in order
and returning the IDL's result. ``async def`` methods run on the event loop; plain ``def``
methods run in a bounded thread pool, so a blocking handler never stalls other calls. Handlers
never see the transport: they raise the IDL's declared exceptions, and anything else becomes an
`InternalError` whose id the caller sees and whose traceback only the log sees.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from thriftpy2.thrift import TException

from .call import Call, Observer, enter, leave
from .errors import ApplicationError, DeadlineExceeded, DefinitionError, InternalError
from .filters import Filter, Handler, compose
from .idl import Idl, Method, ServiceDef, load, locate
from .metrics import registry
from .recent_errors import recent_errors

__all__ = ["Service", "Call", "Observer", "run_eagerly", "served", "Resume"]

log = logging.getLogger("aviary.service")

Hook = Callable[[], Any]


class Service:
    """An IDL service bound to a handler.

    ``Service("echo.thrift", EchoHandler())`` serves the file's service; `idl_service` picks
    one when the file declares several; `name` is how the service is known to ZooKeeper, the
    config file and the command line (default: the IDL service's name in lower case).
    `filters` run on every call, after the host's own (metrics, tracing, deadlines).
    `routes` are extra Starlette routes on the service's HTTP port; `fallback` is an ASGI app
    for HTTP requests no route matches. `on_start` and `on_stop` hooks (plain or async
    callables) run before the ports open and after they close.
    """

    def __init__(
        self,
        idl: str | os.PathLike[str] | Idl,
        handler: object,
        *,
        name: str | None = None,
        idl_service: str | None = None,
        filters: Sequence[Filter] = (),
        routes: Sequence[Any] = (),
        fallback: Any = None,
        on_start: Iterable[Hook] = (),
        on_stop: Iterable[Hook] = (),
        include_dirs: tuple[str, ...] = (),
    ) -> None:
        if not isinstance(idl, Idl):
            path = Path(idl)
            if not path.is_file() and not path.is_absolute() and len(path.parts) == 1:
                path = locate(str(path))
            idl = load(path, include_dirs)
        self.idl: Idl = idl
        self.definition: ServiceDef = idl.service(idl_service)
        self.name = name or self.definition.name.lower()
        self.handler = handler
        self.filters = list(filters)
        self.routes = list(routes)
        self.fallback = fallback
        self.on_start = list(on_start)
        self.on_stop = list(on_stop)
        self.methods: dict[str, Method] = self.definition.methods
        self.plugin: str | None = None  # the name `framework.plugins.create` made it from (workers remake it so)
        self.declared_settings: tuple[Any, ...] = ()  # a plugin's own settings (`framework.config.Setting`)
        # "shadow": announced beside the other members of its serverset; "replace": while this
        # service is announced, the others are marked STOPPED (zk2 callers skip them) and are
        # marked ALIVE again when it withdraws (the mock plugin's replace mode).
        self.announce_mode = "shadow"
        # True: at most one process of a host may serve this service (state that cannot be
        # shared, such as the event log's write-ahead log). Under ``--workers N`` it runs in
        # worker 1 only, while the host's other services run in every worker.
        self.one_process = False
        # Pages of this service's HTTP port worth a link on the admin dashboard: label -> path
        # (the event log's viewer, say).
        self.pages: dict[str, str] = {}
        self._targets = self._bind(handler)

    def _bind(self, handler: object) -> dict[str, tuple[Callable[..., Any], bool]]:
        targets: dict[str, tuple[Callable[..., Any], bool]] = {}
        missing = []
        for m in self.methods.values():
            fn = getattr(handler, m.name, None)
            if fn is None or not callable(fn):
                missing.append(m.name)
                continue
            _check_signature(self.definition.name, m, fn)
            targets[m.name] = (fn, inspect.iscoroutinefunction(fn))
        if missing:
            cls = type(handler).__name__
            stubs = "; ".join(f"`def {_stub(self.methods[n])}`" for n in missing)
            raise DefinitionError(
                f"{cls} does not implement {self.definition.name}."
                + ", ".join(missing)
                + f" (declared in {self.idl.path.name}): add {stubs} to {cls} (`async def` or `def`),"
                + f" or remove {'it' if len(missing) == 1 else 'them'} from {self.idl.path.name}"
            )
        return targets

    def chain(self, host_filters: Sequence[Filter] = (), executor: ThreadPoolExecutor | None = None) -> Handler:
        """The handler every transport calls: host filters, the service's filters, the handler."""
        return compose([*host_filters, *self.filters], _Invoker(self, executor or default_executor()))

    async def start(self) -> None:
        for hook in self.on_start:
            await _maybe_await(hook())

    async def stop(self) -> None:
        for hook in reversed(self.on_stop):
            try:
                await _maybe_await(hook())
            except Exception:
                log.exception("%s: on_stop hook %r failed", self.name, hook)

    def __repr__(self) -> str:
        return f"Service({self.name!r}, {self.definition.name} from {self.idl.path.name})"


async def _maybe_await(v: Any) -> Any:
    if inspect.isawaitable(v):
        return await v
    return v


def _check_signature(service: str, m: Method, fn: Callable[..., Any]) -> None:
    """A handler method must accept the IDL's arguments positionally."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return
    try:
        sig.bind(*([None] * len(m.args)))
    except TypeError:
        want = ", ".join(f.name for f in m.args) or "no arguments"
        raise DefinitionError(
            f"{service}.{m.name}: the handler method must take ({want}) in the IDL's order; it is {fn.__qualname__}{sig}:"
            f" define it as `def {_stub(m)}` (or `async def`)"
        ) from None


def _stub(m: Method) -> str:
    """How a handler method for `m` is written: ``count(self, text)``."""
    return f"{m.name}(" + ", ".join(["self", *(f.name for f in m.args)]) + ")"


_executor: ThreadPoolExecutor | None = None


def default_executor(max_workers: int | None = None) -> ThreadPoolExecutor:
    """The process's bounded pool for plain ``def`` handlers."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=max_workers or 32, thread_name_prefix="aviary-handler")
    return _executor


def _unless_late(call: Call, fn: Callable[..., Any]) -> Any:
    """A plain handler's call, on its thread, unless its deadline passed while it waited for
    one (then no thread works for a caller who has gone; see `framework.admission`)."""
    deadline = call.context.deadline
    if deadline is not None and deadline.expired:
        name = call.service.name
        registry.counter("srv", name, "admission", "refused", "late").value += 1
        late_ms = -deadline.remaining() * 1000
        raise DeadlineExceeded(f"{name}.{call.method.name}: the caller's deadline passed {late_ms:.0f} ms ago while the call waited for a handler thread; not run")
    return fn(*call.args)


class _Invoker:
    """The end of the chain: runs the handler and maps its errors.

    Declared exceptions and `ApplicationError`s pass through; anything else is logged with its
    traceback under a fresh error id, and the caller gets `InternalError` with that id."""

    __slots__ = ("service", "targets", "executor")

    def __init__(self, service: Service, executor: ThreadPoolExecutor) -> None:
        self.service = service
        self.targets = service._targets
        self.executor = executor

    async def __call__(self, call: Call) -> Any:
        fn, is_async = self.targets[call.method.name]
        try:
            if is_async:
                return await fn(*call.args)
            ctx = contextvars.copy_context()
            if call.context.deadline is None:
                return await asyncio.get_running_loop().run_in_executor(self.executor, ctx.run, fn, *call.args)
            return await asyncio.get_running_loop().run_in_executor(self.executor, ctx.run, _unless_late, call, fn)
        except ApplicationError:
            raise
        except TException as e:
            if call.method.exception_field(e) is not None:
                raise
            raise self._internal(call, e) from None
        except Exception as e:
            raise self._internal(call, e) from None

    def _internal(self, call: Call, e: BaseException) -> InternalError:
        error_id = uuid.uuid4().hex[:16]
        trace = call.context.trace
        log.error(
            "%s.%s failed (error id %s%s): %s: %s",
            self.service.name,
            call.method.name,
            error_id,
            f", trace {trace.trace_hex}" if trace else "",
            type(e).__name__,
            e,
            exc_info=e,
        )
        recent_errors.record(error_id, self.service.name, call.method.name, e, trace.trace_hex if trace else "")
        return InternalError(error_id)

    def __repr__(self) -> str:
        return f"handler({self.service.name})"




def run_eagerly(
    chain: Handler, call: Call, done: Callable[[Any, BaseException | None], None]
) -> asyncio.Task[None] | None:
    """Run `chain(call)` now, on the caller's stack, and report through `done(result, error)`.

    Most calls to an ``async def`` handler finish without waiting for anything; running them
    eagerly saves creating a Task per call. Only a call that really waits is moved into a Task,
    which is returned so the caller can track or cancel it. The call is visible through
    `framework.context.current()` for its whole life; its observer hears the outcome first.
    """
    token = enter(call)
    try:
        try:
            coro = chain(call)  # a plain-function filter may refuse the call right here
            first = coro.send(None)
        except StopIteration as stop:
            result, error = stop.value, None
        except BaseException as e:  # noqa: BLE001 - every failure is the call's result
            result, error = None, e
        else:
            return asyncio.get_running_loop().create_task(_finish(call, coro, first, done))
        if (observer := call.observer) is not None:  # `_observe`, inline: every call's path
            try:
                observer.ended(call, error)
            except Exception:
                log.exception("%r failed to record %r", observer, call)
        done(result, error)
        return None
    finally:
        leave(token)


def _observe(call: Call, error: BaseException | None) -> None:
    """Tell the call's observer, if it has one, how the call ended."""
    if (observer := call.observer) is not None:
        try:
            observer.ended(call, error)
        except Exception:  # its bug must not cost the caller the reply
            log.exception("%r failed to record %r", observer, call)


async def _finish(call: Call, coro: Any, first: Any, done: Callable[[Any, BaseException | None], None]) -> None:
    try:
        result = await Resume(coro, first)
    except BaseException as e:  # noqa: BLE001
        if isinstance(e, asyncio.CancelledError):
            coro.close()
        _observe(call, e)
        done(None, e)
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        return
    _observe(call, None)
    done(result, None)


async def served(chain: Handler, call: Call) -> Any:
    """Await `chain(call)` as a transport that awaits it does (REST): the call's observer hears
    the outcome. (`run_eagerly` is the same for transports that run calls eagerly.)"""
    try:
        result = await chain(call)
    except BaseException as e:
        _observe(call, e)
        raise
    _observe(call, None)
    return result


class Resume:
    """Awaitable that continues a coroutine which has already yielded `first` (after an eager
    first step found that it must wait)."""

    __slots__ = ("coro", "first")

    def __init__(self, coro: Any, first: Any) -> None:
        self.coro = coro
        self.first = first

    def __await__(self) -> Any:
        coro = self.coro
        pending = self.first
        while True:
            try:
                sent = yield pending
            except BaseException as e:  # noqa: BLE001 - forwarded into the coroutine
                try:
                    pending = coro.throw(e)
                except StopIteration as stop:
                    return stop.value
                continue
            try:
                pending = coro.send(sent)
            except StopIteration as stop:
                return stop.value
