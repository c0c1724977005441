"""The ``mock`` pytest fixture (entry point ``aviary-mock`` in ``pytest11``): the mock plugin
serving a given IDL in the test's process, with stubs and verification in Python::

    def test_my_client_handles_not_found(mock):
        users = mock("users.thrift")                        # serves every method of the IDL
        users.stub("get", args={"id": 7}, exception={"type": "NotFound", "fields": {"id": 7}})
        users.stub("get", result={"id": 1, "name": "ada"})  # any other call
        ...                                                 # call users.dest / users.url()
        users.verify("get", args={"id": 7}, count=1)

It lives with the mock plugin (``framework`` never imports ``services``) and is built on
`framework.testing.serve` and the mock's admin API (`MockAdmin`): nothing here is a second
way of stubbing.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from framework.testing import Served, serve

from .verify import MockAdmin

__all__ = ["MockServed", "mock"]


class MockServed(Served):
    """A running mock: everything `Served` has (clients on its IDL, addresses), plus `admin_api`
    (its WireMock admin API), `stub` and `verify`."""

    @property
    def admin_api(self) -> MockAdmin:
        return MockAdmin(self.url())

    @property
    def idl_service(self) -> str:
        return self.service.definition.name

    def stub(self, method: str | dict[str, Any], *, args: dict[str, Any] | None = None, priority: int | None = None, **response: Any) -> dict[str, Any]:
        """Answer calls of `method` (those whose arguments contain `args`, when given) with
        ``result=…``, ``exception={"type": …, "fields": {…}}``, ``applicationException=…``,
        ``fault=…`` or ``fixedDelayMilliseconds=…`` (the mock's Thrift stub response). A dict
        instead of a method is a whole WireMock stub (e.g. a plain REST one). Returns the stub
        as the mock stored it."""
        if isinstance(method, dict):
            return self.admin_api.add(method)
        request = MockAdmin.pattern(service=self.idl_service, method=method, args=args)
        stub: dict[str, Any] = {"request": request, "response": response}
        if priority is not None:
            stub["priority"] = priority
        return self.admin_api.add(stub)

    def verify(self, method: str, *, args: dict[str, Any] | None = None, count: int | None = None, at_least: int | None = None, at_most: int | None = None) -> int:
        """Check how often `method` was called (with arguments containing `args`); with no
        bound, at least once. Raises `VerificationError` (an AssertionError) naming the
        closest calls the mock saw. Returns the count."""
        return self.admin_api.verify(service=self.idl_service, method=method, args=args, count=count, at_least=at_least, at_most=at_most)

    def reset(self) -> None:
        """Forget stubs added since start and the calls seen."""
        self.admin_api.reset()


@pytest.fixture
def mock() -> Iterator[Callable[..., MockServed]]:
    """``mock(idl, **settings) -> MockServed``: `idl` a .thrift path (or a file the project
    ships, such as ``"echo.thrift"``); settings as the mock plugin takes them (``service``,
    ``mappings``, ``seed``, ``zookeeper=…`` to announce it). Stopped when the test ends."""
    stack: list[Any] = []

    def start(idl: str, **settings: Any) -> MockServed:
        cm = serve("mock", idl=str(idl), **settings)
        served = cm.__enter__()
        mocked = MockServed(served.host, served.name)  # the same host, with the mock's verbs
        stack.append((cm, mocked))
        return mocked

    yield start
    while stack:
        cm, mocked = stack.pop()
        mocked.close_clients()
        cm.__exit__(None, None, None)
