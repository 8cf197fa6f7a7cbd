"""The node behind the gateway, over aiohttp's client (one session, kept-alive connections)."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from consortium_evm.errors import RPCError
from consortium_evm.enforce.gateway.metrics import Metrics


JSON_HEADERS = {"Content-Type": "application/json"}


class UpstreamUnavailable(RPCError):
    """The node could not be reached or did not answer in time."""


@dataclass(frozen=True)
class Forwarded:
    """The node's answer to a forwarded body: HTTP status, body and content type, unchanged."""

    status: int
    body: bytes
    content_type: str


class Upstream:
    """Forwards bodies unchanged and makes the gateway's own JSON-RPC calls."""

    def __init__(self, url: str, timeout: float, metrics: Metrics) -> None:
        self.url = url
        self.timeout = timeout
        self.metrics = metrics
        self._session: aiohttp.ClientSession | None = None
        self._ids = itertools.count(1)

    async def start(self) -> None:
        """Open the session (in the running loop)."""
        connector = aiohttp.TCPConnector(limit=256, keepalive_timeout=30)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=self.timeout), auto_decompress=True,
            cookie_jar=aiohttp.DummyCookieJar(),  # a node sets no cookies; none kept or sent
        )

    async def close(self) -> None:
        """Close the session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The client session (the WebSocket pass-through uses it too)."""
        if self._session is None:
            raise RuntimeError("the upstream session is not started")
        return self._session

    async def forward(self, body: bytes, kind: str = "forward") -> Forwarded:
        """POST ``body`` to the node as it is; its answer as it is."""
        started = time.perf_counter()
        try:
            async with self.session.post(self.url, data=body, headers=JSON_HEADERS) as resp:
                data = await resp.read()
                content_type = resp.headers.get("Content-Type", "application/json")
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise UpstreamUnavailable(f"the node did not answer: {_reason(exc)}") from exc
        finally:
            self.metrics.observe_upstream(kind, time.perf_counter() - started)
        return Forwarded(status, data, content_type)

    async def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """The gateway's own requests in one JSON-RPC batch; their results in order, or RPCError
        if any failed."""
        ids = [next(self._ids) for _ in calls]
        body = json.dumps([{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in zip(ids, calls)])
        answer = await self.forward(body.encode(), kind="rpc")
        try:
            decoded = json.loads(answer.body)
        except ValueError:
            raise RPCError(f"a batch: the node answered HTTP {answer.status} with a body that is not JSON") from None
        if not isinstance(decoded, list):
            raise RPCError(f"a batch: the node's answer is not a JSON-RPC batch: {_short(decoded)}")
        by_id = {a.get("id"): a for a in decoded if isinstance(a, dict)}
        return [_result(method, by_id.get(i)) for i, (method, _) in zip(ids, calls)]

    async def call(self, method: str, params: list[Any]) -> Any:
        """One JSON-RPC request of the gateway's own; its result, or RPCError."""
        body = json.dumps({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}).encode()
        answer = await self.forward(body, kind="rpc")
        try:
            decoded = json.loads(answer.body)
        except ValueError:
            raise RPCError(f"{method}: the node answered HTTP {answer.status} with a body that is not JSON") from None
        return _result(method, decoded)


def _result(method: str, decoded: Any) -> Any:
    if not isinstance(decoded, dict):
        raise RPCError(f"{method}: the node's answer is not a JSON-RPC response")
    if "error" in decoded:
        err = decoded["error"]
        message = err.get("message") if isinstance(err, dict) else err
        raise RPCError(f"{method}: the node answered with an error: {message}")
    if "result" not in decoded:
        raise RPCError(f"{method}: the node's answer has no result")
    return decoded["result"]


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 200 else text[:197] + "..."


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__
