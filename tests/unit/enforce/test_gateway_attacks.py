"""The gateway attacked through its way upstream (session 5's review, each test failing before its
fix): a key in another case that geth reads as the method or the parameters (Go's encoding/json
matches keys regardless of case, the last wins); a pooled connection knocked out of step so that a
leftover "allowed" answers the victim's check; the pool exhausted by early head questions (a batch
of 64 sends, 64 clients, two sends on a pool of two); integers over 256 bits, which must be a
JSON-RPC error and leak no connection. The node double parses as geth does."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import rlp
from aiohttp import web
from eth_keys import keys
from eth_utils.crypto import keccak

from consortium_evm.domain.permission import transaction_question
from consortium_evm.enforce.gateway.config import GatewayConfig
from consortium_evm.enforce.gateway.server import Forward, Gateway
from tests.support.gateway_double import CHAIN_ID, FALSE, INGRESS, TRUE, new_account, send, transfer

FIELDS = ("jsonrpc", "id", "method", "params", "error", "result")
SLOW = "0x" + "51" * 20  # a contract of the attacker's whose eth_call burns gas for a while and returns 1


def go_parse(text: str) -> Any:
    """As geth's encoding/json fills rpc.jsonrpcMessage: keys matched case-insensitively, the last wins."""
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            out[k.lower() if k.lower() in FIELDS else k] = v
        return out
    return json.loads(text, object_pairs_hook=pairs)


class GethLikeNode:
    """HTTP + WebSocket on one port; parses like geth (above); subscriptions push notifications on the
    connection that subscribed, whatever method name Python saw."""

    def __init__(self) -> None:
        self.head = 16
        self.allowed: set[str] = set()
        self.sent: list[str] = []
        self.subscribers: list[web.WebSocketResponse] = []
        self.app = web.Application()
        self.app.router.add_post("/", self.http)
        self.app.router.add_get("/", self.websocket)

    async def result(self, m: dict[str, Any]) -> Any:
        method, params = m["method"], m.get("params") or []
        if method == "eth_blockNumber":
            return hex(self.head)
        if method == "eth_chainId":
            return hex(CHAIN_ID)
        if method == "web3_clientVersion":
            return "Geth/v1.13.15-stable/linux-amd64/go1.22.0"
        if method == "eth_call":
            to = params[0]["to"].lower()
            if to == SLOW:
                await asyncio.sleep(0.3)
                return TRUE
            sender = "0x" + bytes.fromhex(params[0]["data"][2:])[16:36].hex()
            return TRUE if sender in {a.lower() for a in self.allowed} else FALSE
        if method == "eth_sendRawTransaction":
            self.sent.append(params[0])
            return "0x" + "11" * 32
        raise AssertionError(method)

    async def answer(self, m: Any) -> Any:
        if isinstance(m, list):
            return [await self.answer(x) for x in m if "id" in x]
        return {"jsonrpc": "2.0", "id": m.get("id"), "result": await self.result(m)}

    async def http(self, request: web.Request) -> web.Response:
        return web.json_response(await self.answer(go_parse(await request.text())))

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)

        async def handle(m: Any) -> None:  # geth answers each message in its own goroutine
            if isinstance(m, dict) and m["method"].endswith("_subscribe"):
                self.subscribers.append(ws)
                await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": m["id"], "result": "0xfeed"}))
                return
            await ws.send_str(json.dumps(await self.answer(m)))

        tasks = []
        async for msg in ws:
            tasks.append(asyncio.create_task(handle(go_parse(msg.data))))
        await asyncio.gather(*tasks, return_exceptions=True)
        return ws

    async def new_block(self) -> None:
        self.head += 1
        note = {"jsonrpc": "2.0", "method": "eth_subscription",
                "params": {"subscription": "0xfeed", "result": {"number": hex(self.head)}}}
        for ws in self.subscribers:
            if not ws.closed:
                await ws.send_str(json.dumps(note))


Post = Callable[[Any], Awaitable[Any]]


def _run(scenario: Callable[[Any, Gateway, Post], Awaitable[None]], node: Any, timeout: float = 20, **cfg: Any) -> None:
    async def main() -> None:
        node_runner = web.AppRunner(node.app)
        await node_runner.setup()
        await web.TCPSite(node_runner, "127.0.0.1", 0).start()
        port = node_runner.addresses[0][1]
        gateway = Gateway(GatewayConfig(upstream=f"http://127.0.0.1:{port}", chain_id=CHAIN_ID, ingress=INGRESS,
                                        upstream_timeout=5, **cfg))
        gw_runner = web.AppRunner(gateway.application())
        await gw_runner.setup()
        await web.TCPSite(gw_runner, "127.0.0.1", 0).start()
        gw_url = f"http://127.0.0.1:{gw_runner.addresses[0][1]}"
        async with aiohttp.ClientSession() as client:
            async def post(payload: Any) -> Any:
                data = payload if isinstance(payload, str) else json.dumps(payload)
                async with client.post(gw_url, data=data, headers={"Content-Type": "application/json"}) as resp:
                    text = await resp.text()
                    return json.loads(text) if resp.status != 500 else {"http": 500}

            try:
                await asyncio.wait_for(scenario(node, gateway, post), timeout)
            finally:
                await gw_runner.cleanup()
                await node_runner.cleanup()

    asyncio.run(main())


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


# -- 1. A method or params key in another case: screened as one request, executed by geth as another --

def test_a_method_key_in_another_case_is_not_forwarded_unscreened() -> None:
    async def main() -> None:
        gateway = Gateway(GatewayConfig(upstream="http://127.0.0.1:1", chain_id=CHAIN_ID, ingress=INGRESS))
        raw = transfer(new_account())  # a sender nobody allowed
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId",
                           "Method": "eth_sendRawTransaction", "params": [raw]})
        decision = await gateway.process(body)
        # geth reads method=eth_sendRawTransaction (encoding/json matches keys case-insensitively, last wins)
        assert not isinstance(decision, Forward), "forwarded unchanged, no permission question asked"

    asyncio.run(main())


def test_a_smuggled_send_reaches_a_geth_like_node() -> None:
    async def scenario(node: GethLikeNode, gateway: Gateway, post: Post) -> None:
        raw = transfer(new_account())
        answer = await post({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId",
                             "Method": "eth_sendRawTransaction", "params": [raw]})
        assert node.sent == [], f"an unauthorized sender's transaction reached the node: {answer}"

    _run(scenario, GethLikeNode())


# -- 2. The pool deadlocks: a confirmation holds a slot while its question waits for another --------

def test_a_batch_of_64_sends_is_answered() -> None:
    async def scenario(node: GethLikeNode, gateway: Gateway, post: Post) -> None:
        member = new_account()
        node.allowed.add(member.address.lower())
        batch = [send(transfer(member, nonce=n), rid=n) for n in range(64)]
        try:
            answers = await asyncio.wait_for(post(batch), 8)
        except TimeoutError:
            held = gateway.upstream.sockets._slots._value  # type: ignore[union-attr]
            raise AssertionError(f"the gateway hung: pool slots free = {held}") from None
        assert len(answers) == 64

    _run(scenario, GethLikeNode())


def test_two_concurrent_sends_on_a_pool_of_two_are_answered() -> None:
    async def scenario(node: GethLikeNode, gateway: Gateway, post: Post) -> None:
        member = new_account()
        node.allowed.add(member.address.lower())
        gateway.upstream.sockets._slots = asyncio.Semaphore(2)  # type: ignore[union-attr]
        gateway.upstream.sockets.size = 2  # type: ignore[union-attr]
        try:
            await asyncio.wait_for(asyncio.gather(*(post(send(transfer(member, nonce=n))) for n in range(2))), 5)
        except TimeoutError:
            raise AssertionError("two concurrent sends hang a pool of two") from None

    _run(scenario, GethLikeNode())


# -- 3. A value over 2**256: ValueError between confirm_head and allowed(), the slot never released --

def _legacy(value: int, key: keys.PrivateKey) -> str:
    fields = [0, 1, 21000, bytes.fromhex("00" * 19 + "be"), value, b""]
    digest = keccak(rlp.encode([*fields, CHAIN_ID, 0, 0]))
    sig = key.sign_msg_hash(digest)
    return "0x" + rlp.encode([*fields, 35 + 2 * CHAIN_ID + sig.v, sig.r, sig.s]).hex()


def test_an_oversized_value_is_a_json_rpc_error_and_leaks_nothing() -> None:
    async def scenario(node: GethLikeNode, gateway: Gateway, post: Post) -> None:
        key = keys.PrivateKey(b"\x07" * 32)
        answer = await post(send(_legacy(2**256, key)))
        await asyncio.sleep(0.2)
        free = gateway.upstream.sockets._slots._value  # type: ignore[union-attr]
        assert answer != {"http": 500}, "an HTTP 500, not a JSON-RPC error"
        assert free == 64, f"a pool slot leaked: {free} free"

    _run(scenario, GethLikeNode())


def test_64_oversized_values_do_not_stop_the_gateway() -> None:
    async def scenario(node: GethLikeNode, gateway: Gateway, post: Post) -> None:
        key = keys.PrivateKey(b"\x07" * 32)
        await post([send(_legacy(2**256, key), rid=i) for i in range(64)])  # one request
        try:
            await asyncio.wait_for(post({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}), 3)
        except TimeoutError:
            raise AssertionError("after one batch of 64 oversized sends, every pooled request hangs") from None

    _run(scenario, GethLikeNode())


# -- 4. Desync via a smuggled subscription + an answer with a null id believed: "allowed" read wrongly --

def _question(member: str) -> dict[str, Any]:
    return {"to": INGRESS, "data": "0x" + transaction_question(member, INGRESS, 0, 0, 0, b"").hex()}


def test_trusted_heads_an_unauthorized_send_is_never_forwarded_after_a_desync() -> None:
    async def scenario(node: GethLikeNode, gateway: Gateway, post: Post) -> None:
        member, attacker = new_account(), new_account()
        node.allowed.add(member.address.lower())
        await _until(lambda: gateway.heads is not None and gateway.heads.current() == 16)
        # 1. a subscription on a pooled connection (Python saw eth_chainId)
        await post({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "Method": "eth_subscribe", "params": ["newHeads"]})
        await node.new_block()  # 2. a notification waits on that idle connection
        await _until(lambda: gateway.heads.current() == 17)  # type: ignore[union-attr]
        # 3. a read takes the notification as its answer (a null id is believed); its own answer, id null in
        #    geth's eyes ("ID": null) and the word 1, now waits on the connection
        await post({"jsonrpc": "2.0", "id": 2, "ID": None, "method": "eth_call", "params": [_question(member.address), "latest"]})
        # 4. the gateway's own question takes that connection and reads "allowed"
        answer = await post(send(transfer(attacker)))
        assert node.sent == [], f"the unauthorized send was forwarded (client saw {answer})"

    _run(scenario, GethLikeNode(), trust_new_heads=True)


def test_default_mode_an_unauthorized_send_is_never_forwarded_after_a_desync() -> None:
    async def scenario(node: GethLikeNode, gateway: Gateway, post: Post) -> None:
        attacker = new_account()
        await _until(lambda: gateway.heads is not None and gateway.heads.current() == 16)
        # 1. D: a pooled connection with a subscription (Python saw eth_chainId); D alone idle
        await post({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "Method": "eth_subscribe", "params": ["newHeads"]})

        def slow_one(rid: int) -> dict[str, Any]:  # geth answers it with "id": null and the word 1, after 0.3 s
            return {"jsonrpc": "2.0", "id": rid, "ID": None, "method": "eth_call", "params": [{"to": SLOW}, "latest"]}

        a = asyncio.create_task(post(slow_one(2)))  # 2. takes D
        await asyncio.sleep(0.05)
        b = asyncio.create_task(post(slow_one(3)))  # 3. D busy: takes a new connection C
        await asyncio.sleep(0.05)
        await node.new_block()  # 4. the notification on D is a's "answer": D idle early, a's real answer still to come
        await asyncio.gather(a, b)  # 5. b's answer on C: C idle on top of D
        await asyncio.sleep(0.4)  # D now holds {"id":null,"result":"0x..01"}
        answer = await post(send(transfer(attacker)))  # 6. confirmation on C (the true head), question on D
        assert node.sent == [], f"the unauthorized send was forwarded (client saw {answer})"

    _run(scenario, GethLikeNode())


def test_64_concurrent_clients_sending_are_answered() -> None:
    async def scenario(node: GethLikeNode, gateway: Gateway, post: Post) -> None:
        member = new_account()
        node.allowed.add(member.address.lower())
        try:
            await asyncio.wait_for(asyncio.gather(*(post(send(transfer(member, nonce=n))) for n in range(64))), 8)
        except TimeoutError:
            raise AssertionError("64 concurrent single sends hang the gateway") from None

    _run(scenario, GethLikeNode())


def test_an_answer_that_is_not_an_error_is_believed_only_with_the_request_s_id() -> None:
    from consortium_evm.enforce.gateway.sockets import answers_ids
    expect = answers_ids({"jsonrpc": "2.0", "id": 41, "method": "eth_call"})
    assert expect is not None
    assert not expect(json.dumps({"jsonrpc": "2.0", "id": None, "result": TRUE})), "a null-id result is believed"
    assert not expect(json.dumps({"jsonrpc": "2.0", "method": "eth_subscription", "params": {}})), "a notification"
    big = json.dumps({"jsonrpc": "2.0", "id": "A" * 70000, "result": TRUE})
    assert not expect(big), "an answer over 64 KiB is believed whatever its id"
