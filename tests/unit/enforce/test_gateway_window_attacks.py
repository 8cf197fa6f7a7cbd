"""Attacks on the head known without asking (the block-period window, the reorganisation's voided
answers, the tracker's subscription): each test is a way an answer asked at an older block could
serve once the node has a newer one."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from consortium_evm.enforce.gateway.blocktime import BlockClock
from consortium_evm.enforce.gateway.heads import HeadTracker
from consortium_evm.enforce.gateway.rules import Permissions
from consortium_evm.enforce.gateway.server import Gateway
from tests.support.gateway_double import FALSE, INGRESS, TRUE
from tests.unit.enforce import test_gateway_heads as heads_tests
from tests.unit.enforce.test_gateway_heads import WsNode, _until

GETH = "Geth/v1.13.15-stable-c5ba367e/linux-amd64/go1.22.0"
QUESTION = b"\x01" * 36


class NodeMovingWhileAskedItsClient(WsNode):
    """A node that imports block 17 (and notifies it) between the tracker's ``eth_blockNumber``
    and its ``web3_clientVersion``: the notification reaches the tracker before that answer."""

    async def to_subscriber(self, ws: web.WebSocketResponse, body: dict[str, Any]) -> None:
        if body["method"] == "web3_clientVersion" and self.head == 16:
            await self.new_block()  # block 17, notified before the answer
        await super().to_subscriber(ws, body)


def test_a_block_notified_while_the_client_version_is_asked_is_not_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario(node: WsNode, gateway: Gateway) -> None:
        await _until(lambda: gateway.heads is not None and gateway.heads.connections == 1, "the subscription")
        assert node.head == 17
        # lost, the tracker would say 16 until block 18, and trust_new_heads would ask there for a whole block
        await _until(lambda: gateway.heads is not None and gateway.heads.current() == 17, "block 17 followed")

    monkeypatch.setattr(heads_tests, "WsNode", NodeMovingWhileAskedItsClient)  # the node _run starts
    heads_tests._run(lambda node, gateway, _post: scenario(node, gateway), trust=True, client_version=GETH)


def test_an_answer_asked_before_a_reorganisation_is_not_cached_after_it() -> None:
    async def main() -> None:
        answers = {"now": TRUE}  # the ingress at the node's block 17, whichever block 17 that is

        async def call(method: str, params: list[Any]) -> Any:
            return hex(17) if method == "eth_blockNumber" else answers["now"]

        async def batch(calls: list[tuple[str, list[Any]]]) -> list[Any]:
            results = [await call(method, params) for method, params in calls]
            # while the batch is answered, the node switches to another block 17 (notified: forget),
            # in which the account is removed
            permissions.forget()
            answers["now"] = FALSE
            return results

        permissions = Permissions(call, INGRESS, tracked_head=lambda: 17, batch=batch)
        assert await permissions.allowed(QUESTION) is True  # decided before the switch was known
        assert await permissions.allowed(QUESTION) is False  # the old block 17's answer is void

    asyncio.run(main())


def test_a_cached_answer_voided_during_the_heads_confirmation_is_asked_again() -> None:
    async def main() -> None:
        answers = {"now": TRUE}
        confirmations = 0

        async def call(method: str, params: list[Any]) -> Any:
            nonlocal confirmations
            if method != "eth_blockNumber":
                return answers["now"]
            confirmations += 1
            if confirmations == 2:  # the reorganisation's notification comes while the head is confirmed
                permissions.forget()
                answers["now"] = FALSE
            return hex(17)

        async def batch(calls: list[tuple[str, list[Any]]]) -> list[Any]:
            return [await call(method, params) for method, params in calls]

        permissions = Permissions(call, INGRESS, tracked_head=lambda: 17, batch=batch)
        assert await permissions.allowed(QUESTION) is True
        assert await permissions.allowed(QUESTION) is False  # not the voided answer: asked again

    asyncio.run(main())


def test_the_gateways_clock_stepped_back_does_not_stretch_the_window() -> None:
    wall, mono = [1_000.2], [50.0]
    clock = BlockClock(5, 0.1, now=lambda: wall[0])
    clock.monotonic = lambda: mono[0]
    clock.client(GETH)
    clock.seen(17, 1_000, 2)
    assert clock.settled() == 17
    mono[0] += 4.95  # 4.95 s on: block 18 may exist at 1_005 by the node's clock ...
    wall[0] = 995.15  # ... but the gateway's wall clock was stepped back 10 s (NTP) meanwhile
    assert clock.settled() is None



class NodeSlowToTellItsClient(WsNode):
    """A node that, on the tracker's first connection, answers ``web3_clientVersion`` only after the
    tracker gave up waiting (a moment of load), and everything else at once."""

    slow = True
    late: asyncio.Task[None] | None = None

    async def to_subscriber(self, ws: web.WebSocketResponse, body: dict[str, Any]) -> None:
        if body["method"] == "web3_clientVersion" and self.slow:
            self.slow = False
            answer = json.dumps({"jsonrpc": "2.0", "id": body["id"], "result": self.result(body)})
            self.late = asyncio.create_task(self._later(ws, answer))
            return
        await super().to_subscriber(ws, body)

    async def _later(self, ws: web.WebSocketResponse, answer: str) -> None:
        await asyncio.sleep(0.5)
        if not ws.closed:
            await ws.send_str(answer)


@contextlib.asynccontextmanager
async def _tracking(node: WsNode, clock: BlockClock, timeout: float) -> AsyncIterator[HeadTracker]:
    """A head tracker following ``node`` (served on a free port) with ``clock``, until the block ends."""
    runner = web.AppRunner(node.app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    async with aiohttp.ClientSession() as session:
        tracker = HeadTracker(session, f"ws://127.0.0.1:{runner.addresses[0][1]}", timeout=timeout, clock=clock)
        task = asyncio.create_task(tracker.run())
        try:
            yield tracker
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await runner.cleanup()


def test_a_client_version_answered_late_once_does_not_turn_the_window_off_for_good() -> None:
    async def main() -> None:
        node = NodeSlowToTellItsClient()
        node.client_version = GETH
        node.timestamp, node.period = 1_000, 30  # block 17 at 1_000, the blocks before it on time
        now = [1_000.2]
        clock = BlockClock(30, 0.1, now=lambda: now[0])
        async with _tracking(node, clock, timeout=0.2) as tracker:
            await _until(lambda: tracker.connections >= 1, "the subscription")
            await _until(lambda: tracker.connections >= 2 or clock.window().open, "the client known")
            assert clock.window().open, clock.window().reason  # geth: it said so, late
            await node.new_block()
            await _until(lambda: tracker.settled() == 17, "block 17 settled")

    asyncio.run(main())


class NodeRefusingToTellItsClient(WsNode):
    """A node that answers ``web3_clientVersion`` with an error (it does not serve it)."""

    async def to_subscriber(self, ws: web.WebSocketResponse, body: dict[str, Any]) -> None:
        if body["method"] == "web3_clientVersion":
            await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": body["id"],
                                          "error": {"code": -32601, "message": "method not found"}}))
            return
        await super().to_subscriber(ws, body)


def test_a_node_refusing_to_tell_its_client_is_followed_without_the_window() -> None:
    async def main() -> None:
        async with _tracking(NodeRefusingToTellItsClient(), clock := BlockClock(30, 0.1), timeout=1.0) as tracker:
            await _until(lambda: tracker.current() == 16, "the subscription")
            assert tracker.connections == 1 and "unknown client" in clock.window().reason

    asyncio.run(main())


def test_the_first_block_notified_after_a_start_is_not_trusted_past_a_fork_from_before_it() -> None:
    async def scenario(node: WsNode, gateway: Gateway) -> None:
        await _until(lambda: gateway.heads is not None and gateway.heads.current() == 16, "the subscription")
        assert gateway.heads is not None
        now = [1_008.1]
        gateway.heads.clock.now = lambda: now[0]
        node.timestamp = 1_008
        await node.new_block()  # block 17, 3 s late: a fork from block 16 may hold a block 18 at 1_010
        await _until(lambda: gateway.heads is not None and gateway.heads.current() == 17, "block 17")
        now[0] = 1_010.5  # had the gateway been notified of block 16, the window would have ended at 1_009.95
        assert gateway.heads.settled() is None

    # the blocks up to 16 on time, 5 s apart, block 16 at 1_000 (the node double's history)
    heads_tests._run(lambda node, gateway, _post: scenario(node, gateway), client_version=GETH, block_period=5,
                     timestamp=1_005)
