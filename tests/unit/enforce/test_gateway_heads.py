"""The gateway's head from a ``newHeads`` subscription. By default it is the block a question is
asked at, confirmed by an ``eth_blockNumber`` in the same batch: one round trip per check, and an
answer never used once the node has a newer block, notified or not. With ``trust_new_heads`` no
``eth_blockNumber`` at all, an answer ended by the next block's notification. While the WebSocket
is down, the head is asked per request."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from consortium_evm.enforce.gateway.rules import INSURE_ABOVE
from consortium_evm.enforce.gateway.server import Gateway
from tests.support.gateway_double import CHAIN_ID, FALSE, INGRESS, TRUE, new_account, send, transfer
from consortium_evm.enforce.gateway.config import GatewayConfig


class WsNode:
    """A node double over HTTP and WebSocket on one port (as anvil serves them). ``http_methods``
    lists the requests the gateway made or forwarded, over either (a batch as ``batch:m1,m2``),
    those of the head subscription's connection apart; ``transports`` says over which."""

    def __init__(self) -> None:
        self.head = 16
        self.client_version = "anvil/v1.7.1"
        self.timestamp = int(time.time())
        """The timestamp of the next block notified."""
        self.period = 1
        """The chain's block period: the blocks before the head came on time, one period apart."""
        self.allowed: set[str] = set()
        self.http_methods: list[str] = []
        self.transports: list[str] = []
        self.call_blocks: list[str] = []
        self.sent: list[str] = []
        self.sockets: list[web.WebSocketResponse] = []
        self.subscribers: list[web.WebSocketResponse] = []
        self.app = web.Application()
        self.app.router.add_post("/", self.http)
        self.app.router.add_get("/", self.websocket)

    def result(self, request: dict[str, Any]) -> Any:
        method, params = request["method"], request.get("params", [])
        if method == "eth_blockNumber":
            return hex(self.head)
        if method == "eth_call":
            self.call_blocks.append(params[1])
            sender = "0x" + bytes.fromhex(params[0]["data"][2:])[16:36].hex()
            return TRUE if sender in {a.lower() for a in self.allowed} else FALSE
        if method == "eth_sendRawTransaction":
            self.sent.append(params[0])
            return "0x" + "11" * 32
        if method == "eth_chainId":
            return hex(CHAIN_ID)
        if method == "web3_clientVersion":
            return self.client_version
        if method == "eth_getBlockByNumber":  # a block before the next one, on time
            number = int(params[0], 16)
            return {"number": hex(number), "timestamp": hex(self.timestamp - (self.head + 1 - number) * self.period),
                    "difficulty": "0x2"}
        raise AssertionError(f"unexpected {method}")

    def answer(self, body: Any, transport: str) -> Any:
        self.transports.append(transport)
        if isinstance(body, list):
            self.http_methods.append("batch:" + ",".join(b["method"] for b in body))
            return [{"jsonrpc": "2.0", "id": b["id"], "result": self.result(b)} for b in body]
        self.http_methods.append(body["method"])
        return {"jsonrpc": "2.0", "id": body["id"], "result": self.result(body)}

    async def http(self, request: web.Request) -> web.Response:
        return web.json_response(self.answer(await request.json(), "http"))

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        subscriber = False
        async for msg in ws:
            body = json.loads(msg.data)
            if isinstance(body, dict) and body["method"] == "eth_subscribe":
                subscriber = True
                self.subscribers.append(ws)
                await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": body["id"], "result": "0xfeed"}))
            elif subscriber:
                await self.to_subscriber(ws, body)
            else:
                await ws.send_str(json.dumps(self.answer(body, "ws")))
        return ws

    async def to_subscriber(self, ws: web.WebSocketResponse, body: dict[str, Any]) -> None:
        """Answer a request of the head tracker (on its subscription's connection)."""
        await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": body["id"], "result": self.result(body)}))

    async def new_block(self, replacing: bool = False) -> None:
        """A block on top of the head (the next timestamp), or ``replacing`` the head at its height."""
        self.head += 0 if replacing else 1
        note = {"jsonrpc": "2.0", "method": "eth_subscription",
                "params": {"subscription": "0xfeed", "result": {"number": hex(self.head),
                                                                "hash": "0x" + ("33" if replacing else "22") * 32,
                                                                "timestamp": hex(self.timestamp),
                                                                "difficulty": "0x2"}}}
        for ws in self.subscribers:  # a node notifies only the connections that subscribed
            if not ws.closed:
                await ws.send_str(json.dumps(note))

    async def drop_sockets(self) -> None:
        for ws in self.sockets:
            await ws.close()


async def _until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"timed out waiting for {what}")


async def _subscribed_member(node: WsNode, gateway: Gateway) -> Any:
    """Once the gateway follows the node's head (block 16): a new account the rules allow."""
    await _until(lambda: gateway.heads is not None and gateway.heads.current() == 16, "the subscription")
    member = new_account()
    node.allowed.add(member.address.lower())
    return member


def _run(scenario: Callable[[WsNode, Gateway, Callable[[str], Awaitable[dict[str, Any]]]], Awaitable[None]],
         trust: bool = False, client_version: str = "anvil/v1.7.1", timestamp: int | None = None,
         **settings: Any) -> None:
    """``timestamp``: the next block's (the node's history before it follows: ``WsNode.period``)."""
    async def main() -> None:
        node = WsNode()
        node.client_version = client_version
        node.period = settings.get("block_period") or 1
        if timestamp is not None:
            node.timestamp = timestamp
        node_runner = web.AppRunner(node.app)
        await node_runner.setup()
        node_site = web.TCPSite(node_runner, "127.0.0.1", 0)
        await node_site.start()
        port = node_runner.addresses[0][1]
        gateway = Gateway(GatewayConfig(upstream=f"http://127.0.0.1:{port}", chain_id=CHAIN_ID, ingress=INGRESS,
                                        upstream_timeout=5, trust_new_heads=trust, **settings))
        gw_runner = web.AppRunner(gateway.application())
        await gw_runner.setup()
        gw_site = web.TCPSite(gw_runner, "127.0.0.1", 0)
        await gw_site.start()
        gw_url = f"http://127.0.0.1:{gw_runner.addresses[0][1]}"
        async with aiohttp.ClientSession() as client:
            async def post(raw: str) -> dict[str, Any]:
                async with client.post(gw_url, json=send(raw)) as resp:
                    return await resp.json()  # type: ignore[no-any-return]

            try:
                await scenario(node, gateway, post)
            finally:
                await gw_runner.cleanup()
                await node_runner.cleanup()

    asyncio.run(main())


def test_the_head_is_confirmed_while_the_transaction_is_decoded_and_an_unnotified_block_ends_the_answer() -> None:
    async def scenario(node: WsNode, gateway: Gateway, post: Callable[[str], Awaitable[dict[str, Any]]]) -> None:
        member = await _subscribed_member(node, gateway)
        raw = transfer(member)
        assert "result" in await post(raw)
        assert "result" in await post(raw)  # cached at block 16, which the node confirms is still its head
        # the head asked as the send arrives, the question at the guessed head beside it; then only the head
        assert sorted(node.http_methods[:2]) == ["eth_blockNumber", "eth_call"]
        assert node.http_methods[2:] == ["eth_sendRawTransaction", "eth_blockNumber", "eth_sendRawTransaction"]
        assert set(node.transports) == {"ws"}  # the node has a WebSocket: everything goes over it
        node.allowed.clear()
        node.head += 1  # block 17 removes the account; its notification has not come yet
        assert (await post(raw))["error"]["code"] == -32007
        assert node.call_blocks == [hex(16), hex(17)]
        other = new_account()
        node.allowed.add(other.address.lower())
        node.head += 1  # block 18, not notified: asked at 17, the node says 18, asked again there
        assert "result" in await post(transfer(other))
        assert node.call_blocks == [hex(16), hex(17), hex(17), hex(18)]
        assert gateway.permissions.stale_rate > 0

    _run(scenario)


def test_where_guesses_are_often_stale_the_question_goes_at_latest_and_needs_no_second_round_trip() -> None:
    async def scenario(node: WsNode, gateway: Gateway, post: Callable[[str], Awaitable[dict[str, Any]]]) -> None:
        member = await _subscribed_member(node, gateway)
        for nonce in range(12):  # a chain that seals a block per transaction, faster than its notifications
            node.head += 1
            assert "result" in await post(transfer(member, nonce=nonce))
        assert gateway.permissions.stale_rate > INSURE_ABOVE
        assert node.call_blocks[-1] == "latest"  # insured: asked at latest, not at the stale guess
        node.http_methods.clear()
        node.head += 1
        node.allowed.clear()  # the account removed in a block the gateway was not told of
        answer = await post(transfer(member, nonce=12))
        assert answer["error"]["code"] == -32007
        assert node.http_methods == ["batch:eth_blockNumber,eth_call"]  # one round trip, after the decode
        node.allowed.add(member.address.lower())
        assert "result" in await post(transfer(member, nonce=13))  # not cached: asked again
        for nonce in range(14, 40):  # the chain calms down: the head stays, guesses come right again
            assert "result" in await post(transfer(member, nonce=nonce))
        assert gateway.permissions.stale_rate < INSURE_ABOVE
        assert node.call_blocks[-1] != "latest"  # back to the guess, whose answers are cached

    _run(scenario)


def test_trusted_new_heads_save_the_head_request_and_a_notified_block_ends_the_cached_answer() -> None:
    async def scenario(node: WsNode, gateway: Gateway, post: Callable[[str], Awaitable[dict[str, Any]]]) -> None:
        member = await _subscribed_member(node, gateway)
        raw = transfer(member)
        assert "result" in await post(raw)
        assert "result" in await post(raw)  # the same question in the same block: the cached answer
        assert node.http_methods == ["eth_call", "eth_sendRawTransaction", "eth_sendRawTransaction"]
        assert node.call_blocks == [hex(16)]
        node.allowed.clear()  # a proposal executed in block 17 removes the account
        await node.new_block()
        await _until(lambda: gateway.heads is not None and gateway.heads.current() == 17, "block 17's notification")
        answer = await post(raw)
        assert answer["error"]["code"] == -32007
        assert node.call_blocks == [hex(16), hex(17)] and len(node.sent) == 2
        assert "eth_blockNumber" not in node.http_methods

    _run(scenario, trust=True)


def test_without_the_subscription_the_head_is_asked_with_each_request() -> None:
    async def scenario(node: WsNode, gateway: Gateway, post: Callable[[str], Awaitable[dict[str, Any]]]) -> None:
        await _until(lambda: gateway.heads is not None and gateway.heads.current() == 16, "the subscription")
        await node.drop_sockets()
        await _until(lambda: gateway.heads is not None and gateway.heads.current() is None, "the tracker to stop")
        node.head = 40  # blocks the gateway was not told of
        member = new_account()
        node.allowed.add(member.address.lower())
        assert "result" in await post(transfer(member))
        assert node.http_methods[:2] == ["eth_blockNumber", "eth_call"] and node.call_blocks == [hex(40)]
        await _until(lambda: gateway.heads is not None and gateway.heads.current() == 40, "the resubscription")

    _run(scenario)


GETH = "Geth/v1.13.15-stable-c5ba367e/linux-amd64/go1.22.0"


def test_within_the_block_period_on_geth_the_notified_head_needs_no_confirmation() -> None:
    async def scenario(node: WsNode, gateway: Gateway, post: Callable[[str], Awaitable[dict[str, Any]]]) -> None:
        member = await _subscribed_member(node, gateway)
        assert gateway.heads is not None
        clock = gateway.heads.clock
        now = [1_000.2]
        clock.now = lambda: now[0]
        await node.new_block()  # block 17 at 1_000: no block 18 before 1_030
        await _until(lambda: gateway.heads is not None and gateway.heads.settled() == 17, "block 17 settled")
        raw = transfer(member)
        assert "result" in await post(raw)
        now[0] = 1_029.8
        assert "result" in await post(raw)  # the same question in the same block: the cached answer
        assert node.http_methods == ["eth_call", "eth_sendRawTransaction", "eth_sendRawTransaction"]
        assert node.call_blocks == [hex(17)]
        node.allowed.clear()  # a proposal executed in block 18 removes the account
        node.timestamp, now[0] = 1_030, 1_030.05
        await node.new_block()
        await _until(lambda: gateway.heads is not None and gateway.heads.current() == 18, "block 18's notification")
        assert (await post(raw))["error"]["code"] == -32007
        assert node.call_blocks == [hex(17), hex(18)] and len(node.sent) == 2
        assert "eth_blockNumber" not in node.http_methods
        assert 'gateway_checks_total{head="window"} 3.0' in gateway.metrics.render().decode()

    _run(scenario, client_version=GETH, block_period=30, timestamp=1_000)


def test_once_the_block_period_has_passed_the_head_is_confirmed_again() -> None:
    async def scenario(node: WsNode, gateway: Gateway, post: Callable[[str], Awaitable[dict[str, Any]]]) -> None:
        member = await _subscribed_member(node, gateway)
        await node.new_block()  # block 17 was sealed 5 s ago: block 18 may exist by now
        await _until(lambda: gateway.heads is not None and gateway.heads.current() == 17, "block 17")
        node.head += 1  # the node has block 18, which removes the account; its notification is late
        node.allowed.clear()
        assert (await post(transfer(member)))["error"]["code"] == -32007
        assert "eth_blockNumber" in node.http_methods or any("eth_blockNumber" in m for m in node.http_methods)
        assert node.call_blocks[-1] == hex(18)
        assert gateway.heads is not None and gateway.heads.clock.window().open  # open, but past its end

    _run(scenario, client_version=GETH, block_period=1, timestamp=int(time.time()) - 5)


@pytest.mark.parametrize("client_version, period", [("besu/v24.3.0/linux-x86_64", 30), (GETH, None)])
def test_other_clients_and_unknown_periods_confirm_every_head(client_version: str, period: int | None) -> None:
    async def scenario(node: WsNode, gateway: Gateway, post: Callable[[str], Awaitable[dict[str, Any]]]) -> None:
        member = await _subscribed_member(node, gateway)
        node.timestamp = int(time.time())
        await node.new_block()
        await _until(lambda: gateway.heads is not None and gateway.heads.current() == 17, "block 17")
        node.head += 1  # a block the gateway was not told of, within what would be the window
        node.allowed.clear()
        assert (await post(transfer(member)))["error"]["code"] == -32007
        assert gateway.heads is not None and gateway.heads.settled() is None
        assert not gateway.heads.clock.window().open

    _run(scenario, client_version=client_version, block_period=period)


def test_another_block_at_the_same_height_voids_the_answers_asked_there() -> None:
    async def scenario(node: WsNode, gateway: Gateway, post: Callable[[str], Awaitable[dict[str, Any]]]) -> None:
        member = await _subscribed_member(node, gateway)
        node.timestamp = int(time.time())
        await node.new_block()
        await _until(lambda: gateway.heads is not None and gateway.heads.settled() == 17, "block 17 settled")
        raw = transfer(member)
        assert "result" in await post(raw)
        node.allowed.clear()  # the node switches to another block 17, in which the account is removed
        await node.new_block(replacing=True)
        await _until(lambda: not gateway.permissions._answers, "the answers at block 17 voided")
        assert (await post(raw))["error"]["code"] == -32007
        assert node.call_blocks == [hex(17), hex(17)]

    _run(scenario, client_version=GETH, block_period=30)
