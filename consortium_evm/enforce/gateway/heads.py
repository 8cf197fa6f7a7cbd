"""The node's head block, learnt from a ``newHeads`` subscription on its WebSocket: the block a
screened transaction is asked at, so that the check and the head's confirmation go in one batch
(:mod:`.rules`); the head itself, unconfirmed, while no newer block can exist yet (:mod:`.blocktime`),
or always with ``trust_new_heads``.

The tracker is *live* only while its subscription is: connected, subscribed, and the head asked
once after subscribing (every block after that answer is notified). While it is not live (no
WebSocket, a dropped connection, a node that refuses subscriptions) :meth:`HeadTracker.current`
is ``None`` and the gateway guesses the last head it saw; it reconnects in the background.

Trusted unconfirmed, the head lags the node by the notification's delay: between a block's import
and its notification a request is checked at the block before (measured on anvil, docs/NOTES.md
session 4: up to a third of back-to-back sends). Hence confirmation is the default.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from typing import Any

import aiohttp

from consortium_evm.enforce.gateway.blocktime import FORK_HISTORY, Arrival, BlockClock

RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)
"""Waits between reconnections (the last repeats)."""


class Refused(ConnectionError):
    """The node answered a request with an error (it does not serve it), not a failure to answer."""


class HeadTracker:
    """Follows the node's head over ``ws_url``; :meth:`run` until cancelled."""

    def __init__(self, session: aiohttp.ClientSession, ws_url: str, timeout: float = 10.0,
                 clock: BlockClock | None = None, on_reorg: Callable[[], None] | None = None) -> None:
        self._session = session
        self.ws_url = ws_url
        self.timeout = timeout
        self.clock = clock if clock is not None else BlockClock(None)
        self._on_reorg = on_reorg
        self._head: int | None = None
        self._ids = itertools.count(1)
        self.connections = 0
        """Subscriptions made (tests and health)."""
        self.last_error: str | None = None

    def current(self) -> int | None:
        """The head block while the subscription is live, else ``None`` (ask the node)."""
        return self._head

    def settled(self) -> int | None:
        """The head while the node cannot have a newer block yet (:mod:`.blocktime`), else ``None``."""
        return self.clock.settled() if self._head is not None else None

    async def run(self) -> None:
        """Subscribe, follow, and resubscribe after any failure, until cancelled."""
        failures = 0
        while True:
            try:
                await self._follow()
                failures = 0
            except asyncio.CancelledError:
                self._head = None
                raise
            except Exception as exc:  # noqa: BLE001 - any failure: not live, try again later
                self.last_error = str(exc) or type(exc).__name__
                failures += 1
            self._head = None
            await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])

    async def _follow(self) -> None:
        async with self._session.ws_connect(self.ws_url, autoping=True, heartbeat=15.0) as ws:
            subscription = await self._request(ws, "eth_subscribe", ["newHeads"])
            # the client before the head: notifications that come while a request waits are dropped,
            # and only those before the head's answer are surely no newer than it
            version = await self._client_version(ws)
            await self._remember_history(ws)
            number = await self._request(ws, "eth_blockNumber", [])
            self.clock.restart()
            self.clock.client(version)
            self._head = int(str(number), 16)
            self.connections += 1
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    if msg.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                        break
                    continue
                arrived = self.clock.arrival()  # before parsing: the block's lead is measured at its arrival
                self._notified(json.loads(msg.data), subscription, arrived)
        raise ConnectionError("the node's WebSocket closed")

    def _notified(self, message: Any, subscription: Any, arrived: Arrival) -> None:
        if not isinstance(message, dict) or message.get("method") != "eth_subscription":
            return
        params = message.get("params")
        if not isinstance(params, dict) or params.get("subscription") != subscription:
            return
        header = params.get("result")
        number = header.get("number") if isinstance(header, dict) else None
        if not isinstance(number, str):
            raise ValueError(f"a newHeads notification without a block number: {message}")
        head = int(number, 16)
        if self._head is not None and head <= self._head and self._on_reorg is not None:
            self._on_reorg()  # the same height or lower again: another block there, answers asked there are void
        stamp = header.get("timestamp") if isinstance(header, dict) else None
        difficulty = header.get("difficulty") if isinstance(header, dict) else None
        if isinstance(stamp, str):
            self.clock.seen(head, int(stamp, 16), int(difficulty, 16) if isinstance(difficulty, str) else None,
                            arrived)
        else:
            self.clock.restart()  # a head without its time: the window is closed until the next one
        self._head = head

    async def _remember_history(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Tell the clock the block :data:`FORK_HISTORY` below the head (:meth:`BlockClock.remember`);
        asked before the head, so that no notification is lost while it is read. Not the genesis
        block: its time is the genesis file's, and block 1 comes when the network starts, however
        long after; no signer seals before that, so no fork from the genesis has earlier blocks."""
        if self.clock.period is None:
            return
        head = int(str(await self._request(ws, "eth_blockNumber", [])), 16)
        number = max(1, head - FORK_HISTORY)
        if number >= head:
            return  # a chain of one block after the genesis: nothing below the head to remember
        try:
            block = await self._request(ws, "eth_getBlockByNumber", [hex(number), False])
            timestamp = int(str(block["timestamp"]), 16)
        except (Refused, TypeError, KeyError, ValueError):
            self.clock.remember(number, None)  # not told: the window stays shut
            return
        self.clock.remember(number, timestamp)

    async def _client_version(self, ws: aiohttp.ClientWebSocketResponse) -> str | None:
        try:
            version = await self._request(ws, "web3_clientVersion", [])
        except Refused:
            return None  # not served: the client is unknown, so its blocks are never trusted by time
        # (no answer in time, or the connection lost, is no answer at all: the subscription starts over,
        # rather than turning the window off for good)
        return version if isinstance(version, str) else None

    async def _request(self, ws: aiohttp.ClientWebSocketResponse, method: str, params: list[Any]) -> Any:
        rid = next(self._ids)
        await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params}))
        async with asyncio.timeout(self.timeout):
            while True:
                msg = await ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    raise ConnectionError(f"the node's WebSocket answered {method} with {msg.type.name}")
                answer = json.loads(msg.data)
                if isinstance(answer, dict) and answer.get("id") == rid:
                    if "error" in answer or "result" not in answer:
                        raise Refused(f"{method}: {answer.get('error')}")
                    return answer["result"]
