"""The account rule, asked of the PermissionIngress exactly as a client asks it: ``eth_call`` from
the zero address of ``transactionAllowed(sender, target, value, gasPrice, gasLimit, payload)`` at
the node's head block (by number), allowed only for an answer of exactly 32 bytes holding 1.

Answers are cached for the block they were asked at and never longer: the cache is keyed by block
number and emptied when the head moves on, so an account removed by a proposal is refused from
the next block on. Concurrent identical questions at one block share one ``eth_call``. The head
comes from a ``newHeads`` subscription while it is live (:mod:`.heads`), else from an
``eth_blockNumber`` with each question.
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

    def __init__(self, call: Call, ingress: str, tracked_head: Head | None = None) -> None:
        self._call = call
        self.ingress = ingress
        self._tracked_head = tracked_head
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
        block = self._tracked_head() if self._tracked_head is not None else None
        return await self.allowed_at(block if block is not None else await self.head(), question)

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
            answer = await self._call(
                "eth_call", [{"from": ZERO_ADDRESS, "to": self.ingress, "data": "0x" + question.hex()}, hex(block)]
            )
        except RPCError as exc:
            raise PermissionCheckFailed(f"the permission call failed: {exc}") from exc
        return is_allowed(answer)
