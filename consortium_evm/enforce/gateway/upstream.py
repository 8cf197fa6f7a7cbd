"""The node behind the gateway, over aiohttp's client: its WebSocket when it has one (a pool of
connections, :mod:`.sockets`), its HTTP (one session, kept-alive connections) for what a pooled
WebSocket cannot carry and whenever the WebSocket cannot be opened."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from consortium_evm.errors import RPCError
from consortium_evm.enforce.gateway.metrics import Metrics
from consortium_evm.enforce.gateway.sockets import Expect, PendingAnswer, SocketPool, SocketUnavailable, answers_ids


JSON_HEADERS = {"Content-Type": "application/json"}


class UpstreamUnavailable(RPCError):
    """The node could not be reached or did not answer in time."""


@dataclass(frozen=True)
class Forwarded:
    """The node's answer to a forwarded body: HTTP status, body and content type, unchanged (an
    answer that came over the WebSocket: 200, JSON, as the node's HTTP answers a JSON-RPC body)."""

    status: int
    body: bytes
    content_type: str


class Upstream:
    """Forwards bodies unchanged and makes the gateway's own JSON-RPC calls."""

    def __init__(self, url: str, timeout: float, metrics: Metrics, ws_url: str | None = None) -> None:
        self.url = url
        self.timeout = timeout
        self.metrics = metrics
        self._session: aiohttp.ClientSession | None = None
        self.sockets = SocketPool(lambda: self.session, ws_url, timeout) if ws_url else None
        """The node's WebSocket as the way upstream (``None``: HTTP only)."""
        self.background: set[asyncio.Task[Any]] = set()
        """Answers abandoned, read and dropped (:meth:`PendingCall.abandon`)."""

    async def start(self) -> None:
        """Open the session (in the running loop)."""
        connector = aiohttp.TCPConnector(limit=256, keepalive_timeout=30)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=self.timeout), auto_decompress=True,
            cookie_jar=aiohttp.DummyCookieJar(),  # a node sets no cookies; none kept or sent
        )

    async def close(self) -> None:
        """Close the WebSocket pool and the session."""
        for task in self.background:
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        if self.sockets is not None:
            await self.sockets.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def way(self) -> str:
        """How requests reach the node, for ``/health``."""
        if self.sockets is None:
            return "HTTP"
        if not self.sockets.available:
            return f"HTTP (its WebSocket could not be opened: {self.sockets.last_error})"
        return "WebSocket" if self.sockets.opened else "WebSocket (none opened yet)"

    @property
    def session(self) -> aiohttp.ClientSession:
        """The client session (the WebSocket pass-through uses it too)."""
        if self._session is None:
            raise RuntimeError("the upstream session is not started")
        return self._session

    async def forward(self, body: bytes, kind: str = "forward", answered: bool = False,
                      expect: Expect | None = None) -> Forwarded:
        """``body`` to the node as it is; its answer as it is. ``answered``: the node answers it with
        one message (:func:`.sockets.goes_over_socket`), so it may go over the WebSocket, where
        ``expect`` (:func:`.sockets.answers_ids`) checks the answer is this body's."""
        started = time.perf_counter()
        try:
            if answered and self.sockets is not None and self.sockets.available:
                answer = await self._over_socket(body, expect)
                if answer is not None:
                    return answer
            return await self._over_http(body)
        finally:
            self.metrics.observe_upstream(kind, time.perf_counter() - started)

    async def _over_socket(self, body: bytes, expect: Expect | None) -> Forwarded | None:
        """The answer over the WebSocket; ``None`` when it could not carry ``body`` (then HTTP)."""
        assert self.sockets is not None
        try:
            text = body.decode()
        except UnicodeDecodeError:
            return None  # JSON in UTF-16 or -32: a WebSocket text frame is UTF-8
        try:
            answer = await self.sockets.exchange(text, expect)
        except SocketUnavailable as exc:
            if exc.sent:  # it may have reached the node: not sent a second time another way
                raise UpstreamUnavailable(f"the node did not answer: {exc}") from None
            return None
        return Forwarded(200, answer.encode(), "application/json")

    async def _over_http(self, body: bytes) -> Forwarded:
        try:
            async with self.session.post(self.url, data=body, headers=JSON_HEADERS) as resp:
                data = await resp.read()
                content_type = resp.headers.get("Content-Type", "application/json")
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise UpstreamUnavailable(f"the node did not answer: {_reason(exc)}") from exc
        return Forwarded(status, data, content_type)

    async def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """The gateway's own requests in one JSON-RPC batch; their results in order, or RPCError
        if any failed."""
        requests = [_own_request(method, params) for method, params in calls]
        answer = await self.forward(json.dumps(requests).encode(), kind="rpc", answered=True, expect=answers_ids(requests))
        decoded = _decoded("a batch", answer.body)
        if not isinstance(decoded, list):
            raise RPCError(f"a batch: the node's answer is not a JSON-RPC batch: {_short(decoded)}")
        by_id = {a.get("id"): a for a in decoded if isinstance(a, dict)}
        return [_result(r["method"], by_id.get(r["id"])) for r in requests]

    async def begin_call(self, method: str, params: list[Any]) -> PendingCall:
        """One JSON-RPC request of the gateway's own, sent now over the WebSocket (so the node
        answers while the gateway works on): await :meth:`PendingCall.result` once, or
        :meth:`PendingCall.abandon` it. Over HTTP the request is made when the result is awaited, and
        so it is while more than half the pool's connections are busy (the caller will want another
        before it reads this one: holding many while waiting for more would deadlock the pool)."""
        if self.sockets is not None and self.sockets.available and self.sockets.spare():
            request = _own_request(method, params)
            started = time.perf_counter()
            try:
                return PendingCall(method, self, await self.sockets.begin(json.dumps(request), answers_ids(request)),
                                   started)
            except SocketUnavailable:
                pass  # not sent: over HTTP
        return PendingCall(method, self, None, 0.0, params)

    async def call(self, method: str, params: list[Any]) -> Any:
        """One JSON-RPC request of the gateway's own; its result, or RPCError."""
        request = _own_request(method, params)
        answer = await self.forward(json.dumps(request).encode(), kind="rpc", answered=True, expect=answers_ids(request))
        return _result(method, _decoded(method, answer.body))


def _own_request(method: str, params: list[Any]) -> dict[str, Any]:
    """One of the gateway's own requests. Its id is random, so no caller can make an answer that
    passes for it (:func:`.sockets.answers_ids`)."""
    return {"jsonrpc": "2.0", "id": "gw-" + secrets.token_hex(16), "method": method, "params": params}


def _decoded(what: str, body: bytes | str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise RPCError(f"{what}: the node's answer is not JSON") from None


class PendingCall:
    """A request of the gateway's own, sent or to be sent (:meth:`Upstream.begin_call`)."""

    def __init__(self, method: str, upstream: Upstream, pending: PendingAnswer | None, started: float,
                 params: list[Any] | None = None) -> None:
        self._method = method
        self._upstream = upstream
        self._pending = pending
        self._started = started
        self._params = params or []

    async def result(self) -> Any:
        """Its result, or RPCError (UpstreamUnavailable when the node did not answer)."""
        if self._pending is None:
            return await self._upstream.call(self._method, self._params)
        try:
            text = await self._pending.answer()
        except SocketUnavailable as exc:
            raise UpstreamUnavailable(f"the node did not answer: {exc}") from None
        finally:
            self._upstream.metrics.observe_upstream("rpc", time.perf_counter() - self._started)
        return _result(self._method, _decoded(self._method, text))

    def abandon(self) -> None:
        """Not wanted after all: its answer is read (and dropped) in the background, so the
        connection it holds goes back to the pool."""
        if self._pending is not None:
            task = asyncio.ensure_future(self.result())
            self._upstream.background.add(task)
            task.add_done_callback(self._dropped)

    def _dropped(self, task: asyncio.Task[Any]) -> None:
        self._upstream.background.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: nobody wanted it


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
