"""The account rule, asked of the PermissionIngress exactly as a client asks it: ``eth_call`` from
the zero address of ``transactionAllowed(sender, target, value, gasPrice, gasLimit, payload)`` at
the node's head block (by number), allowed only for an answer of exactly 32 bytes holding 1.

Answers are cached for the block they were asked at and never longer: the cache is keyed by block
number and emptied when the head moves on, so an account removed by a proposal is refused from
the next block on. Concurrent identical questions at one block share one ``eth_call``.

The head is confirmed with every question, in the same round trip as the ``eth_call`` when the
answer is not cached: one batch ``[eth_blockNumber, eth_call(question, GUESS)]``, the guess being
the newer of the node's ``newHeads`` subscription's head (:mod:`.heads`) and the last head seen. The call
names its block, so the node's order within the batch does not matter: when the node's head *is*
the guess, the answer is the answer at the head; when it is not (a block the gateway had not heard
of yet), the question is asked again at the head. A cached answer costs one ``eth_blockNumber``.
With ``trust_tracked_head`` the subscription's head is used without confirming it (no round trip
for a cached answer; an answer may then serve for the notification's delay into the next block).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from consortium_evm.domain import permission
from consortium_evm.domain.permission import ZERO_ADDRESS
from consortium_evm.errors import RPCError

Head = Callable[[], "int | None"]
"""The head block a live subscription reports, or ``None`` (then the node is asked)."""
Call = Callable[[str, list[Any]], Awaitable[Any]]
"""``call(method, params)``: one JSON-RPC request to the node, its result (RPCError otherwise)."""
Batch = Callable[[list[tuple[str, list[Any]]]], Awaitable[list[Any]]]
"""``batch([(method, params), ...])``: one JSON-RPC batch, the results in order (RPCError if any failed)."""


def is_allowed(answer: Any) -> bool:
    """Whether an ``eth_call`` result (0x-hex) means allowed, read as :func:`permission.is_allowed`
    reads it (exactly 32 bytes holding 1)."""
    if not isinstance(answer, str) or not answer.startswith("0x"):
        return False
    try:
        return permission.is_allowed(bytes.fromhex(answer[2:]))
    except ValueError:
        return False


class PermissionCheckFailed(RPCError):
    """The node could not answer the permission question (unreachable, or an RPC error)."""


class Permissions:
    """Asks the ingress, caching each answer for the head block it was asked at."""

    def __init__(self, call: Call, ingress: str, tracked_head: Head | None = None, batch: Batch | None = None,
                 trust_tracked_head: bool = False) -> None:
        self._call = call
        self._batch = batch
        self.ingress = ingress
        self._tracked_head = tracked_head
        self.trust_tracked_head = trust_tracked_head
        self._block = -1
        self._answers: dict[bytes, asyncio.Future[bool]] = {}
        self.asked = 0
        """``eth_call`` requests sent (for tests and the benchmark)."""

    async def head(self) -> int:
        """The node's head block number (asked every time: never a stale head)."""
        try:
            result = await self._call("eth_blockNumber", [])
            return int(str(result), 16)
        except (RPCError, ValueError, TypeError) as exc:
            raise PermissionCheckFailed(f"eth_blockNumber failed: {exc}") from exc

    async def allowed(self, question: bytes) -> bool:
        """The answer to ``question`` (calldata) at the node's head."""
        tracked = self._tracked_head() if self._tracked_head is not None else None
        if tracked is not None and self.trust_tracked_head:
            return await self.allowed_at(tracked, question)
        guess = max(tracked, self._block) if tracked is not None else self._block
        if self._batch is None or guess < 0 or (guess == self._block and question in self._answers):
            return await self.allowed_at(await self.head(), question)  # cached (or nothing to guess): the head alone
        head, answer = await self._head_and_ask(guess, question)
        if head != guess:
            return await self.allowed_at(head, question)  # the node has moved on (or is behind): ask at its head
        if guess > self._block:
            self._block, self._answers = guess, {}
        if guess == self._block and question not in self._answers:
            done = asyncio.get_running_loop().create_future()
            done.set_result(answer)
            self._answers[question] = done
        return answer

    async def _head_and_ask(self, block: int, question: bytes) -> tuple[int, bool]:
        """One batch: the node's head, and the answer at ``block``."""
        assert self._batch is not None
        self.asked += 1
        try:
            number, answer = await self._batch([("eth_blockNumber", []), ("eth_call", self._call_params(block, question))])
            return int(str(number), 16), is_allowed(answer)
        except (RPCError, ValueError, TypeError) as exc:
            raise PermissionCheckFailed(f"the permission call failed: {exc}") from exc

    def _call_params(self, block: int, question: bytes) -> list[Any]:
        return [{"from": ZERO_ADDRESS, "to": self.ingress, "data": "0x" + question.hex()}, hex(block)]

    async def allowed_at(self, block: int, question: bytes) -> bool:
        """The answer to ``question`` at ``block``, from the cache when asked at that block already."""
        if block > self._block:
            self._block = block
            self._answers = {}
        if block < self._block:  # a node behind the one asked before (a load balancer): ask, keep nothing
            return await self._ask(block, question)
        pending = self._answers.get(question)
        if pending is None:
            pending = asyncio.get_running_loop().create_future()
            self._answers[question] = pending
            answers = self._answers
            try:
                pending.set_result(await self._ask(block, question))
            except BaseException as exc:
                if answers.get(question) is pending:
                    del answers[question]  # a failure is not an answer: the next request asks again
                pending.set_exception(exc)
                pending.exception()  # retrieved: no "never retrieved" warning when nobody waits
                raise
        return await asyncio.shield(pending)

    async def _ask(self, block: int, question: bytes) -> bool:
        self.asked += 1
        try:
            answer = await self._call("eth_call", self._call_params(block, question))
        except RPCError as exc:
            raise PermissionCheckFailed(f"the permission call failed: {exc}") from exc
        return is_allowed(answer)
