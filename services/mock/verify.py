"""Verify calls to a running mock from a test: ``MockAdmin(url).verify(...)``.

    admin = MockAdmin("http://127.0.0.1:8888")
    admin.verify(service="Echo", method="repeat", args={"text": "hi"}, count=2)
    admin.verify(method="GET", url_path="/users/7", at_least=1)

A Thrift call is described by `service`, `method` and optionally `args` (a JSON object the
call's arguments must contain); an HTTP request by `method`, one of `url`, `url_path`,
`url_pattern`, `url_path_pattern`, and optionally `headers`, `query`, `body_patterns` (WireMock
matchers). `verify` raises `VerificationError` (an AssertionError, so pytest shows it as a
failed check) listing the closest requests the mock did see. Standard library only.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

__all__ = ["MockAdmin", "VerificationError"]


class VerificationError(AssertionError):
    pass


class MockAdmin:
    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s

    # -- HTTP ----------------------------------------------------------------------------------
    def _call(self, verb: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}/__admin{path}", data=data, method=verb, headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as r:
                raw = r.read()
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{verb} /__admin{path}: {e.code} {e.read().decode('utf-8', 'replace')}") from None
        return json.loads(raw) if raw else None

    # -- patterns ------------------------------------------------------------------------------
    @staticmethod
    def pattern(
        *,
        service: str | None = None,
        method: str | None = None,
        args: dict[str, Any] | None = None,
        url: str | None = None,
        url_path: str | None = None,
        url_pattern: str | None = None,
        url_path_pattern: str | None = None,
        headers: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
        body_patterns: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A WireMock request pattern from keyword arguments (plain values mean equalTo)."""
        p: dict[str, Any] = {}
        if service is not None:
            p["service"] = service
        if method is not None:
            p["method"] = method
        for key, value in (("url", url), ("urlPath", url_path), ("urlPattern", url_pattern), ("urlPathPattern", url_path_pattern)):
            if value is not None:
                p[key] = value
        for key, table in (("headers", headers), ("queryParameters", query)):
            if table:
                p[key] = {k: v if isinstance(v, dict) else {"equalTo": str(v)} for k, v in table.items()}
        bodies = list(body_patterns or [])
        if args is not None:
            bodies.append({"equalToJson": args, "ignoreExtraElements": True})
        if bodies:
            p["bodyPatterns"] = bodies
        return p

    # -- the API -------------------------------------------------------------------------------
    def count(self, **pattern: Any) -> int:
        return int(self._call("POST", "/requests/count", self.pattern(**pattern))["count"])

    def find(self, **pattern: Any) -> list[dict[str, Any]]:
        return list(self._call("POST", "/requests/find", self.pattern(**pattern))["requests"])

    def verify(self, *, count: int | None = None, at_least: int | None = None, at_most: int | None = None, **pattern: Any) -> int:
        """Check how often the mock saw a request; with no bound, at least once. Returns the count."""
        n = self.count(**pattern)
        if count is None and at_least is None and at_most is None:
            at_least = 1
        ok = (count is None or n == count) and (at_least is None or n >= at_least) and (at_most is None or n <= at_most)
        if not ok:
            want = " and ".join(
                s for s in (f"exactly {count}" if count is not None else "", f"at least {at_least}" if at_least is not None else "",
                            f"at most {at_most}" if at_most is not None else "") if s
            )  # fmt: skip
            near = self._call("POST", "/near-misses/request-pattern", self.pattern(**pattern))["nearMisses"]
            seen = "\n".join(f"  {m['request'].get('service', '')} {m['request']['method']} {m['request']['url']} {m['request']['body'][:200]} (differs in {', '.join(d['field'] for d in m['diff'])})" for m in near)
            raise VerificationError(f"expected {want} request(s) matching {json.dumps(self.pattern(**pattern))}, the mock saw {n}" + (f"; closest:\n{seen}" if seen else ""))
        return n

    def mappings(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/mappings")["mappings"])

    def add(self, stub: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", "/mappings", stub))

    def remove(self, stub_id: str) -> None:
        self._call("DELETE", f"/mappings/{stub_id}")

    def requests(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/requests")["requests"])

    def unmatched(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/requests/unmatched")["requests"])

    def scenarios(self) -> dict[str, str]:
        return {s["name"]: s["state"] for s in self._call("GET", "/scenarios")["scenarios"]}

    def set_scenario(self, name: str, state: str) -> None:
        self._call("PUT", f"/scenarios/{name}/state", {"state": state})

    def reset_scenario(self, name: str | None = None) -> None:
        self._call("POST", "/scenarios/reset" if name is None else f"/scenarios/{name}/reset", {})

    def start_recording(self, target: str | None = None, persist: bool = False) -> None:
        body: dict[str, Any] = {"persist": persist}
        if target:
            body["targetBaseUrl"] = target
        self._call("POST", "/recordings/start", body)

    def stop_recording(self) -> list[dict[str, Any]]:
        return list(self._call("POST", "/recordings/stop", {})["mappings"])

    def reset(self) -> None:
        self._call("POST", "/reset", {})
