"""The gateway's aiohttp application: JSON-RPC over HTTP (``POST /``) and WebSocket (``GET /``),
``GET /health``, ``GET /metrics``, and with sign-in ``POST /auth/nonce`` and ``POST /auth/verify``.

Each request (each element of a batch) is screened: not a request, a refused method, or a raw
transaction that does not decode or whose sender the ingress refuses gets its JSON-RPC error and
is not forwarded. A request or batch with nothing refused is forwarded as the very bytes received,
and the node's answer returned as it came. In a batch with refusals, the rest is forwarded as a
batch of its own and the answers merged back in the original order.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import WSMsgType, web

from consortium_evm.enforce.gateway.auth import AuthError, Authenticator
from consortium_evm.enforce.gateway.blocktime import BlockClock
from consortium_evm.enforce.gateway.config import GatewayConfig
from consortium_evm.enforce.gateway.heads import HeadTracker
from consortium_evm.enforce.gateway.jsonrpc import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    SENDER_NOT_AUTHORIZED,
    SENDER_NOT_AUTHORIZED_MESSAGE,
    UNAUTHORIZED,
    ambiguous_member,
    error,
    is_notification,
    request_id,
)
from consortium_evm.enforce.gateway.metrics import Metrics
from consortium_evm.enforce.gateway.rawtx import MalformedTransaction, decode_raw_transaction
from consortium_evm.domain.permission import transaction_question
from consortium_evm.enforce.gateway.rules import Confirmation, PermissionCheckFailed, Permissions
from consortium_evm.enforce.gateway.sockets import Expect, answers_ids, goes_over_socket
from consortium_evm.enforce.gateway.upstream import Upstream, UpstreamUnavailable

SEND_RAW_METHODS = frozenset({"eth_sendRawTransaction", "eth_sendRawTransactionSync", "eth_sendRawTransactionConditional"})
"""Methods whose first parameter is a signed transaction the node will pool: all screened alike."""
MAX_BATCH = 1000
AUTH_BODY_LIMIT = 16 * 1024
JSON_TYPE = "application/json"


@dataclass(frozen=True)
class Answer:
    """The gateway answers itself: ``body`` is the JSON value (``None``: nothing to answer,
    a notification), ``status`` the HTTP status."""

    body: Any
    status: int = 200


@dataclass(frozen=True)
class Forward:
    """The bytes received go to the node unchanged: ``payload`` parsed from them, ``answered`` whether
    the node answers them with one message (so they may go over its WebSocket, :mod:`.sockets`)."""

    payload: Any
    answered: bool

    @property
    def expect(self) -> Expect | None:
        """The check that an answer over the WebSocket is this payload's."""
        return answers_ids(self.payload) if self.answered else None


def _forward(payload: Any) -> Forward:
    return Forward(payload, goes_over_socket(payload))


@dataclass(frozen=True)
class Refusal:
    """Why a caller may not go on: HTTP status, JSON-RPC error and the metric's reason."""

    status: int
    code: int
    message: str
    reason: str


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class Gateway:
    """One gateway in front of one node. :meth:`application` builds the aiohttp app."""

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.metrics = Metrics(config.max_metric_methods)
        self.upstream = Upstream(config.upstream, config.upstream_timeout, self.metrics,
                                 ws_url=config.ws_url if config.forward_over_websocket else None)
        self.heads: HeadTracker | None = None
        self._heads_task: asyncio.Task[None] | None = None
        self.permissions = Permissions(self.upstream.call, config.ingress, self._tracked_head, self.upstream.batch,
                                       settled_head=self._settled_head, begin=self.upstream.begin_call,
                                       note=self.metrics.check)
        self.auth = Authenticator(config.auth, config.chain_id) if config.auth is not None else None
        self._sockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()

    # -- the application ---------------------------------------------------------------------------

    def application(self) -> web.Application:
        """The aiohttp application (the node's session opens at start-up, closes at clean-up)."""
        app = web.Application(client_max_size=self.config.max_body)
        app.router.add_post("/", self.handle_http)
        app.router.add_get("/", self.handle_websocket)
        app.router.add_get("/health", self.handle_health)
        app.router.add_get("/metrics", self.handle_metrics)
        app.router.add_post("/auth/nonce", self.handle_nonce)
        app.router.add_post("/auth/verify", self.handle_verify)
        app.on_startup.append(self._start)
        app.on_shutdown.append(self._close_sockets)
        app.on_cleanup.append(self._stop)
        return app

    async def _start(self, _app: web.Application) -> None:
        await self.upstream.start()
        if self.config.head_subscription:
            clock = BlockClock(self.config.block_period, self.config.head_margin)
            self.heads = HeadTracker(self.upstream.session, self.config.ws_url, timeout=self.config.upstream_timeout,
                                     clock=clock, on_reorg=self.permissions.forget)
            self._heads_task = asyncio.create_task(self.heads.run())

    async def _stop(self, _app: web.Application) -> None:
        if self._heads_task is not None:
            self._heads_task.cancel()
            await asyncio.gather(self._heads_task, return_exceptions=True)
            self._heads_task = None
        await self.upstream.close()

    def _tracked_head(self) -> int | None:
        return self.heads.current() if self.heads is not None else None

    def _settled_head(self) -> int | None:
        if self.heads is None:
            return None
        return self.heads.current() if self.config.trust_new_heads else self.heads.settled()

    async def _close_sockets(self, _app: web.Application) -> None:
        for ws in list(self._sockets):
            await ws.close(code=aiohttp.WSCloseCode.GOING_AWAY, message=b"gateway shutting down")

    # -- screening ---------------------------------------------------------------------------------

    def _refuse(self, request: Any, code: int, message: str, reason: str, data: Any = None) -> dict[str, Any]:
        self.metrics.refusal(reason)
        return error(request_id(request), code, message, data)

    async def screen(self, request: Any) -> dict[str, Any] | None:
        """The error that refuses ``request`` (one JSON-RPC request), or ``None`` to forward it."""
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            self.metrics.request(None)
            return self._refuse(request, INVALID_REQUEST, "not a JSON-RPC request: expected an object with a "
                                "string method", "invalid_request")
        method = request["method"]
        self.metrics.request(method)
        twin = ambiguous_member(request)
        if twin is not None:
            return self._refuse(request, INVALID_REQUEST, f"not a JSON-RPC request: the key {twin!r} is read by nodes as "
                                f"{twin.casefold()!r}; spell the members exactly once", "invalid_request")
        why = self.config.method_refusal(method)
        if why is not None:
            reason = "send_transaction" if method == "eth_sendTransaction" else "method_not_allowed"
            return self._refuse(request, METHOD_NOT_FOUND, why, reason)
        if method in SEND_RAW_METHODS:
            return await self._screen_send(request)
        return None

    async def _screen_send(self, request: dict[str, Any]) -> dict[str, Any] | None:
        params = request.get("params")
        if not isinstance(params, list) or not params:
            return self._refuse(request, INVALID_PARAMS, f"{request['method']} expects the signed transaction as its "
                                "first parameter", "malformed_transaction")
        confirmation = await self.permissions.confirm_head()  # the node answers while the transaction is decoded
        try:
            return await self._check_send(request, params[0], confirmation)
        finally:
            if confirmation is not None:
                confirmation.abandon()  # unread (refused before its question, or a failure): its connection back

    async def _check_send(self, request: dict[str, Any], raw: Any, confirmation: Confirmation | None) -> dict[str, Any] | None:
        try:
            tx = decode_raw_transaction(raw, self.config.chain_id)
            question = transaction_question(tx.sender_bytes, tx.to_bytes, tx.value, tx.gas_price, tx.gas, tx.data)
        except (MalformedTransaction, ValueError) as exc:
            return self._refuse(request, INVALID_PARAMS, str(exc), "malformed_transaction")
        try:
            allowed = await self.permissions.allowed(question, confirmation)
        except PermissionCheckFailed as exc:
            return self._refuse(request, INTERNAL_ERROR, f"the gateway could not ask the consortium's rules, so the "
                                f"transaction was not sent: {exc}", "permission_check_failed")
        if not allowed:
            return self._refuse(request, SENDER_NOT_AUTHORIZED, SENDER_NOT_AUTHORIZED_MESSAGE, "sender_not_authorized",
                                {"sender": tx.sender})
        return None

    async def process(self, body: bytes | str) -> Answer | Forward:
        """Screen a body: :class:`Forward` it unchanged, or the gateway's :class:`Answer`."""
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            self.metrics.request(None)
            self.metrics.refusal("bad_json")
            return Answer(error(None, PARSE_ERROR, f"parse error: the body is not JSON ({exc})"))
        if isinstance(payload, list):
            return await self._process_batch(payload)
        refused = await self.screen(payload)
        if refused is None:
            return _forward(payload)
        return Answer(None if is_notification(payload) else refused)

    async def _process_batch(self, batch: list[Any]) -> Answer | Forward:
        if not batch or len(batch) > MAX_BATCH:
            self.metrics.request(None)
            self.metrics.refusal("invalid_request")
            what = "an empty batch" if not batch else f"a batch of more than {MAX_BATCH} requests"
            return Answer(error(None, INVALID_REQUEST, f"invalid request: {what}"))
        verdicts = await asyncio.gather(*(self.screen(r) for r in batch))
        if all(v is None for v in verdicts):
            return _forward(batch)
        allowed = [r for r, v in zip(batch, verdicts) if v is None]
        answers: list[Any] = []
        if allowed:
            try:
                rest = _forward(allowed)
                forwarded = await self.upstream.forward(_dumps(allowed), kind="batch", answered=rest.answered,
                                                        expect=rest.expect)
                decoded = json.loads(forwarded.body)
                answers = decoded if isinstance(decoded, list) else [decoded]
            except (UpstreamUnavailable, ValueError) as exc:
                answers = [error(request_id(r), INTERNAL_ERROR, f"the node did not answer: {exc}")
                           for r in allowed if not is_notification(r)]
        return Answer(_merge(batch, verdicts, answers) or None)

    # -- HTTP --------------------------------------------------------------------------------------

    async def handle_http(self, request: web.Request) -> web.StreamResponse:
        """JSON-RPC over HTTP."""
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            self.metrics.request(None)
            self.metrics.refusal("body_too_large")
            return _json(error(None, INVALID_REQUEST, f"the request body is over {self.config.max_body} bytes"), 413)
        if self.auth is not None:
            refusal = await self.authorize(request.headers.get("Authorization"))
            if refusal is not None:
                self.metrics.request(None)
                self.metrics.refusal(refusal.reason)
                return _json(error(None, refusal.code, refusal.message), refusal.status)
        decision = await self.process(body)
        if isinstance(decision, Answer):
            if decision.body is None:
                return web.Response(status=200)
            return _json(decision.body, decision.status)
        try:
            forwarded = await self.upstream.forward(body, answered=decision.answered, expect=decision.expect)
        except UpstreamUnavailable as exc:
            self.metrics.refusal("upstream_unavailable")
            payload = decision.payload
            if isinstance(payload, list):
                return _json([error(request_id(r), INTERNAL_ERROR, str(exc)) for r in payload], 502)
            return _json(error(request_id(payload), INTERNAL_ERROR, str(exc)), 502)
        return web.Response(body=forwarded.body, status=forwarded.status,
                            headers={"Content-Type": forwarded.content_type})

    async def authorize(self, header: str | None) -> Refusal | None:
        """Why a caller with this ``Authorization`` header may not go on, or ``None``."""
        assert self.auth is not None
        if not header or not header.startswith("Bearer "):
            return Refusal(401, UNAUTHORIZED, "this gateway serves consortium members only: sign in with Ethereum "
                           "(POST /auth/nonce, then POST /auth/verify) and send Authorization: Bearer TOKEN",
                           "unauthenticated")
        try:
            token = self.auth.check(header[len("Bearer "):].strip())
        except AuthError as exc:
            return Refusal(401, UNAUTHORIZED, str(exc), "token_invalid")
        return await self._account_refusal(token.account)

    async def _account_refusal(self, account: str) -> Refusal | None:
        question = transaction_question(account, self.config.ingress, 0, 0, 0, b"")
        try:
            allowed = await self.permissions.allowed(question)
        except PermissionCheckFailed as exc:
            return Refusal(503, INTERNAL_ERROR, f"the gateway could not ask the consortium's rules: {exc}",
                           "permission_check_failed")
        if not allowed:
            return Refusal(403, UNAUTHORIZED, f"the account {account} is not allowed by the consortium's rules",
                           "account_not_allowed")
        return None

    async def handle_health(self, _request: web.Request) -> web.Response:
        """The node reachable, its head, the ingress address."""
        from consortium_evm.chain.connect import redact_url

        status: dict[str, Any] = {
            "network": self.config.network_name, "node": redact_url(self.config.upstream),
            "chainId": self.config.chain_id, "ingress": self.config.ingress, "auth": self.auth is not None,
            "headFrom": self._head_from(),
            "upstream": self.upstream.way(),
        }
        try:
            status["head"] = await self.permissions.head()
        except PermissionCheckFailed as exc:
            return _json({**status, "status": "node unreachable", "error": str(exc)}, 503)
        return _json({**status, "status": "ok"})

    def _head_from(self) -> str:
        if self.heads is None or self._tracked_head() is None:
            return "eth_blockNumber"
        if self.config.trust_new_heads:
            return "newHeads"
        window = self.heads.clock.window()
        if window.open:
            return f"newHeads, unconfirmed in {window.reason}, else confirmed per request"
        return f"newHeads, confirmed per request ({window.reason})"

    async def handle_metrics(self, _request: web.Request) -> web.Response:
        """Prometheus' text format."""
        return web.Response(body=self.metrics.render(), headers={"Content-Type": self.metrics.content_type})

    async def handle_nonce(self, _request: web.Request) -> web.Response:
        """A fresh sign-in nonce."""
        if self.auth is None:
            return _json({"error": "sign-in is not enabled on this gateway"}, 404)
        return _json({"nonce": self.auth.nonce(), "domain": self.auth.config.domain, "chainId": self.config.chain_id,
                      "expiresIn": self.auth.config.nonce_ttl})

    async def handle_verify(self, request: web.Request) -> web.Response:
        """``{"message", "signature"}`` → ``{"token", "account", "expiresAt"}``."""
        if self.auth is None:
            return _json({"error": "sign-in is not enabled on this gateway"}, 404)
        if (request.content_length or 0) > AUTH_BODY_LIMIT:
            self.metrics.refusal("body_too_large")
            return _json({"error": f"the body is over {AUTH_BODY_LIMIT} bytes"}, 413)
        try:
            payload = json.loads(await request.read())
            message, signature = payload["message"], payload["signature"]
            if not isinstance(message, str) or not isinstance(signature, str):
                raise TypeError
        except (ValueError, KeyError, TypeError, web.HTTPRequestEntityTooLarge):
            self.metrics.refusal("sign_in_refused")
            return _json({"error": 'expected a JSON object {"message": "...", "signature": "0x..."}'}, 400)
        try:
            parsed = self.auth.verify(message, signature)
        except AuthError as exc:
            self.metrics.refusal("sign_in_refused")
            return _json({"error": str(exc)}, 401)
        refusal = await self._account_refusal(parsed.address)
        if refusal is not None:
            self.metrics.refusal(refusal.reason)
            return _json({"error": refusal.message}, refusal.status)
        token, expires = self.auth.issue(parsed)
        return _json({"token": token, "account": parsed.address, "expiresAt": int(expires)})

    # -- WebSocket ---------------------------------------------------------------------------------

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        """JSON-RPC over WebSocket, subscriptions included, to the node's WebSocket."""
        probe = web.WebSocketResponse()
        if not probe.can_prepare(request).ok:
            return web.Response(text="consortium-evm gateway: JSON-RPC by POST /, or a WebSocket on GET /\n")
        header: str | None = None
        if self.auth is not None:
            header = request.headers.get("Authorization")
            if header is None and "access_token" in request.query:
                header = "Bearer " + request.query["access_token"]
            refusal = await self.authorize(header)
            if refusal is not None:
                self.metrics.refusal(refusal.reason)
                return _json(error(None, refusal.code, refusal.message), refusal.status)
        try:
            node = await self.upstream.session.ws_connect(self.config.ws_url, max_msg_size=0, autoping=True)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            self.metrics.refusal("upstream_unavailable")
            return _json(error(None, INTERNAL_ERROR, f"the node's WebSocket at {self.config.ws_url} did not "
                               f"answer: {exc}"), 502)
        ws = web.WebSocketResponse(max_msg_size=self.config.ws_limit)
        await ws.prepare(request)
        self._sockets.add(ws)
        tasks = [asyncio.create_task(self._client_to_node(ws, node, header)),
                 asyncio.create_task(self._node_to_client(node, ws))]
        if header is not None and self.auth is not None:
            tasks.append(asyncio.create_task(self._recheck(ws, header)))
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await node.close()
            await ws.close()
        return ws

    async def _client_to_node(self, ws: web.WebSocketResponse, node: aiohttp.ClientWebSocketResponse,
                              header: str | None) -> None:
        async for msg in ws:
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                continue
            data: str | bytes = msg.data
            if len(data) > self.config.max_body:
                self.metrics.request(None)
                self.metrics.refusal("body_too_large")
                await ws.send_str(json.dumps(error(None, INVALID_REQUEST,
                                                   f"the message is over {self.config.max_body} bytes")))
                continue
            if header is not None and self.auth is not None:
                refusal = await self.authorize(header)
                if refusal is not None:
                    self.metrics.refusal(refusal.reason)
                    await ws.send_str(json.dumps(error(None, refusal.code, refusal.message)))
                    await ws.close(code=4003, message=refusal.reason.encode())
                    return
            decision = await self.process(data)
            if isinstance(decision, Forward):
                if isinstance(data, str):
                    await node.send_str(data)
                else:
                    await node.send_bytes(data)
            elif decision.body is not None:
                await ws.send_str(json.dumps(decision.body))

    async def _node_to_client(self, node: aiohttp.ClientWebSocketResponse, ws: web.WebSocketResponse) -> None:
        async for msg in node:
            if msg.type == WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type == WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
            elif msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR):
                break

    async def _recheck(self, ws: web.WebSocketResponse, header: str) -> None:
        assert self.auth is not None
        while True:
            await asyncio.sleep(self.auth.config.ws_recheck)
            refusal = await self.authorize(header)
            if refusal is not None:
                self.metrics.refusal(refusal.reason)
                await ws.send_str(json.dumps(error(None, refusal.code, refusal.message)))
                await ws.close(code=4003, message=refusal.reason.encode())
                return


def _json(value: Any, status: int = 200) -> web.Response:
    return web.Response(body=_dumps(value), status=status, content_type=JSON_TYPE)


def _merge(batch: list[Any], verdicts: list[dict[str, Any] | None], answers: list[Any]) -> list[Any]:
    """The batch's answers in the original order: each refusal where its request was, each of the
    node's answers where the request with its id was (in order when ids repeat or are missing)."""
    by_id: dict[str, list[Any]] = {}
    for answer in answers:
        key = json.dumps(answer.get("id") if isinstance(answer, dict) else None)
        by_id.setdefault(key, []).append(answer)
    merged: list[Any] = []
    for request, verdict in zip(batch, verdicts):
        if verdict is not None:
            if not is_notification(request):
                merged.append(verdict)
            continue
        if is_notification(request):
            continue
        queue = by_id.get(json.dumps(request_id(request)))
        if queue:
            merged.append(queue.pop(0))
    merged.extend(a for queue in by_id.values() for a in queue)  # answers matching no request: kept
    return merged
