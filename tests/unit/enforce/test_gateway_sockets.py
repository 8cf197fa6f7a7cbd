"""The gateway's way upstream over the node's WebSocket (a pool, one message per connection at a
time), against a node double that can answer late, close, stay silent or have no WebSocket at all:
every answer reaches the request it belongs to, a connection the node closed while idle is
replaced without the caller noticing, a message that may have reached the node is never sent a
second time another way, and what a pooled connection cannot carry goes over HTTP."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from consortium_evm.enforce.gateway import sockets
from consortium_evm.enforce.gateway.metrics import Metrics
from consortium_evm.enforce.gateway.sockets import answers_ids, goes_over_socket
from consortium_evm.enforce.gateway.upstream import Upstream, UpstreamUnavailable


class Node:
    """JSON-RPC over HTTP and (unless ``websocket`` is False) WebSocket on one port. ``mode``:
    ``answer`` (after a random few milliseconds), ``close-after-one`` (answers, then closes every
    connection), ``close-unanswered`` (reads a message, closes without answering), ``silent``,
    ``out-of-step`` (answers with another request's answer: an "allowed" for id 424242)."""

    def __init__(self, websocket: bool = True) -> None:
        self.mode = "answer"
        self.websocket = websocket
        self.ws_messages: list[Any] = []
        self.http_messages: list[Any] = []
        self.connections: list[web.WebSocketResponse] = []
        self.app = web.Application()
        self.app.router.add_route("*", "/", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.method == "POST":
            body = await request.json()
            self.http_messages.append(body)
            return web.json_response(self.answer(body))
        if not self.websocket:
            return web.Response(status=405, text="no WebSocket here")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connections.append(ws)
        async for msg in ws:
            body = json.loads(msg.data)
            self.ws_messages.append(body)
            if self.mode == "silent":
                continue
            if self.mode == "close-unanswered":
                await ws.close()
                break
            if self.mode == "out-of-step":  # the answer to some other request
                await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": 424242, "result": "0x" + "00" * 31 + "01"}))
                continue
            await asyncio.sleep(random.uniform(0, 0.005))
            await ws.send_str(json.dumps(self.answer(body)))
            if self.mode == "close-after-one":
                await ws.close()
                break
        return ws

    @staticmethod
    def answer(body: Any) -> Any:
        if isinstance(body, list):
            return [Node.answer(b) for b in body if "id" in b]
        return {"jsonrpc": "2.0", "id": body.get("id"), "result": body.get("params", [None])[0]}


Scenario = Callable[[Node, Upstream], Awaitable[None]]


def _run(scenario: Scenario, node: Node | None = None, timeout: float = 5.0) -> None:
    async def main() -> None:
        double = node or Node()
        runner = web.AppRunner(double.app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        upstream = Upstream(url, timeout, Metrics(), ws_url=url.replace("http", "ws"))
        await upstream.start()
        try:
            await scenario(double, upstream)
        finally:
            await upstream.close()
            await runner.cleanup()

    asyncio.run(main())


def _request(rid: Any, value: Any = None, method: str = "echo") -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": [value]}).encode()


def test_concurrent_requests_each_get_their_own_answer_over_the_websocket() -> None:
    async def scenario(node: Node, upstream: Upstream) -> None:
        answers = await asyncio.gather(*(upstream.forward(_request(i, f"v{i}"), answered=True) for i in range(40)))
        for i, answer in enumerate(answers):
            assert answer.status == 200 and json.loads(answer.body) == {"jsonrpc": "2.0", "id": i, "result": f"v{i}"}
        assert len(node.ws_messages) == 40 and not node.http_messages
        assert upstream.sockets is not None and 1 <= upstream.sockets.opened <= 40
        opened = upstream.sockets.opened
        await upstream.forward(_request(99), answered=True)
        assert upstream.sockets.opened == opened  # kept and reused
        assert upstream.way() == "WebSocket"

    _run(scenario)


def test_the_bytes_go_as_they_came_and_the_answer_comes_back_as_the_node_wrote_it() -> None:
    async def scenario(node: Node, upstream: Upstream) -> None:
        body = b'{"id":"a-string-id","method":"echo","params":[{"nested":[1,2]}],"jsonrpc":"2.0"}'
        answer = await upstream.forward(body, answered=True)
        assert node.ws_messages == [json.loads(body)]
        assert json.loads(answer.body)["id"] == "a-string-id"

    _run(scenario)


def test_a_connection_the_node_closed_while_idle_is_replaced_once_without_the_caller_noticing() -> None:
    async def scenario(node: Node, upstream: Upstream) -> None:
        node.mode = "close-after-one"
        assert json.loads((await upstream.forward(_request(1, "one"), answered=True)).body)["result"] == "one"
        await asyncio.sleep(0.05)  # the node has closed it; the pool does not know yet
        assert json.loads((await upstream.forward(_request(2, "two"), answered=True)).body)["result"] == "two"
        assert [m["id"] for m in node.ws_messages] == [1, 2]  # each sent once
        assert upstream.sockets is not None and upstream.sockets.opened == 2

    _run(scenario)


def test_a_message_the_node_may_have_read_is_not_sent_again_another_way() -> None:
    async def scenario(node: Node, upstream: Upstream) -> None:
        node.mode = "close-unanswered"
        with pytest.raises(UpstreamUnavailable, match="closed its WebSocket before answering"):
            await upstream.forward(_request(7), answered=True)
        assert [m["id"] for m in node.ws_messages] == [7] and not node.http_messages

    _run(scenario)


def test_an_answer_to_another_request_is_never_believed_and_its_connection_is_closed() -> None:
    async def scenario(node: Node, upstream: Upstream) -> None:
        node.mode = "out-of-step"
        with pytest.raises(UpstreamUnavailable, match="not the answer to the request sent"):
            await upstream.call("eth_call", [{"to": "0x" + "11" * 20}, "latest"])  # a permission question
        with pytest.raises(UpstreamUnavailable, match="not the answer to the request sent"):
            await upstream.forward(_request(5), answered=True, expect=answers_ids(json.loads(_request(5))))
        with pytest.raises(UpstreamUnavailable):
            await upstream.batch([("eth_blockNumber", []), ("eth_call", [{}, "latest"])])
        pending = await upstream.begin_call("eth_blockNumber", [])
        with pytest.raises(UpstreamUnavailable):
            await pending.result()
        assert upstream.sockets is not None and not upstream.sockets._idle  # none kept: each closed
        node.mode = "answer"
        assert await upstream.call("echo", ["back in step"]) == "back in step"

    _run(scenario)


def test_a_silent_node_is_unavailable_after_the_timeout_and_its_connection_is_not_reused() -> None:
    async def scenario(node: Node, upstream: Upstream) -> None:
        node.mode = "silent"
        with pytest.raises(UpstreamUnavailable, match="did not answer on its WebSocket within 0.3 s"):
            await upstream.forward(_request(1), answered=True)
        node.mode = "answer"
        assert json.loads((await upstream.forward(_request(2, "late"), answered=True)).body)["result"] == "late"
        assert upstream.sockets is not None and upstream.sockets.opened == 2  # the silent one was dropped

    _run(scenario, timeout=0.3)


def test_without_a_websocket_everything_goes_over_http_and_the_health_says_why() -> None:
    async def scenario(node: Node, upstream: Upstream) -> None:
        assert json.loads((await upstream.forward(_request(1, "x"), answered=True)).body)["result"] == "x"
        assert await upstream.call("echo", ["y"]) == "y"
        assert len(node.http_messages) == 2 and not node.ws_messages
        assert upstream.sockets is not None and not upstream.sockets.available  # not tried again for a while
        assert upstream.way().startswith("HTTP (its WebSocket could not be opened")

    _run(scenario, node=Node(websocket=False))


def test_what_a_pooled_connection_cannot_carry_goes_over_http() -> None:
    async def scenario(node: Node, upstream: Upstream) -> None:
        notification = json.dumps({"jsonrpc": "2.0", "method": "echo", "params": [1]}).encode()
        subscribe = _request(3, "newHeads", method="eth_subscribe")
        for body in (notification, subscribe, _request(None)):
            await upstream.forward(body, answered=goes_over_socket(json.loads(body)))
        assert len(node.http_messages) == 3 and not node.ws_messages

    _run(scenario)


def test_connections_idle_too_long_are_closed_not_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sockets, "IDLE_SECONDS", 0.0)

    async def scenario(node: Node, upstream: Upstream) -> None:
        for i in range(3):
            await upstream.forward(_request(i), answered=True)
            await asyncio.sleep(0.01)
        assert upstream.sockets is not None and upstream.sockets.opened == 3
        await asyncio.sleep(0.05)
        assert sum(1 for ws in node.connections if ws.closed) >= 2

    _run(scenario)


def test_an_abandoned_early_request_gives_its_connection_back() -> None:
    async def scenario(node: Node, upstream: Upstream) -> None:
        pending = await upstream.begin_call("echo", ["early"])
        pending.abandon()
        assert await upstream.call("echo", ["next"]) == "next"
        await asyncio.sleep(0.05)
        assert upstream.sockets is not None and len(upstream.sockets._idle) == 2 and not upstream.background
        kept = await upstream.begin_call("echo", ["kept"])
        assert await kept.result() == "kept"

    _run(scenario)


def test_a_pool_at_its_size_makes_the_next_request_wait_for_a_connection() -> None:
    async def scenario(node: Node, upstream: Upstream) -> None:
        assert upstream.sockets is not None
        upstream.sockets._slots, upstream.sockets.size = asyncio.Semaphore(2), 2
        answers = await asyncio.gather(*(upstream.call("echo", [i]) for i in range(10)))
        assert answers == list(range(10)) and upstream.sockets.opened <= 2

    _run(scenario)


@pytest.mark.parametrize(("payload", "over_socket"), [
    ({"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"}, True),
    ({"jsonrpc": "2.0", "id": "x", "method": "eth_call"}, True),
    ({"jsonrpc": "2.0", "method": "eth_blockNumber"}, False),  # a notification: no answer would come
    ({"jsonrpc": "2.0", "id": None, "method": "eth_blockNumber"}, False),  # clients differ on a null id
    ({"jsonrpc": "2.0", "id": True, "method": "eth_blockNumber"}, False),
    ({"jsonrpc": "2.0", "id": 1.5, "method": "eth_blockNumber"}, False),
    ({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe"}, False),  # notifications would follow
    ({"jsonrpc": "2.0", "id": 1, "method": "eth_unsubscribe"}, False),
    ([{"jsonrpc": "2.0", "id": 1, "method": "a"}, {"jsonrpc": "2.0", "method": "b"}], True),
    ([{"jsonrpc": "2.0", "method": "a"}, {"jsonrpc": "2.0", "method": "b"}], False),  # nothing answered
    ([{"jsonrpc": "2.0", "id": 1, "method": "a"}, 5], False),
    ("not a request", False),
])
def test_which_messages_go_over_a_pooled_connection(payload: Any, over_socket: bool) -> None:
    assert goes_over_socket(payload) is over_socket


@pytest.mark.parametrize(("payload", "answer", "believed"), [
    ({"id": 1, "method": "m"}, {"id": 1, "result": "0x1"}, True),
    ({"id": "a", "method": "m"}, {"id": "a", "result": "0x1"}, True),
    ({"id": 1, "method": "m"}, {"id": 2, "result": "0x1"}, False),
    ({"id": 1, "method": "m"}, {"id": "1", "result": "0x1"}, False),
    ({"id": 1, "method": "m"}, {"id": None, "error": {"code": -32600}}, True),  # the node's own parse error
    ({"id": 1, "method": "m"}, {"id": None, "result": "0x1"}, False),  # a result is always some request's
    ({"id": 1, "method": "m"}, {"method": "eth_subscription", "params": {}}, False),  # a notification
    ({"id": 1, "method": "m"}, {"id": 1, "result": "0x" + "00" * 70_000}, True),  # any size is checked
    ({"id": 1, "method": "m"}, {"id": 2, "result": "0x" + "00" * 70_000}, False),
    ({"id": 1, "method": "m"}, [{"id": 1, "result": "0x1"}], False),
    ([{"id": 1, "method": "m"}, {"id": 2, "method": "m"}], [{"id": 2}, {"id": 1}], True),
    ([{"id": 1, "method": "m"}, {"id": 2, "method": "m"}], [{"id": 1}, {"id": 3}], False),
    ([{"id": 1, "method": "m"}], [], False),
])
def test_an_answer_is_believed_only_with_the_ids_sent(payload: Any, answer: Any, believed: bool) -> None:
    expect = answers_ids(payload)
    assert expect is not None and expect(json.dumps(answer)) is believed
    assert expect("not json") is False
