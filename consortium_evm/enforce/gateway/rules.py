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

Where guesses are often stale (a chain that seals a block per transaction, or requests arriving
just after each block), a second round trip per check would follow; so while the recent stale rate
is above :data:`INSURE_ABOVE` the question is asked at ``latest`` instead of at the guess. The node
reads that call at the head it has when it reads it, which is after the request reached the
gateway, so its answer is fresh enough for this request whatever the order of the node's work; it
is not cached, because no block number pins it (an answer already cached at a confirmed head is
still used). The head is still confirmed, so the stale rate keeps being measured and the questions
go back to the guess when guesses come right again.
While the node cannot have a newer block than the subscription's head yet (``settled_head``,
:mod:`.blocktime`: geth's Clique, within the block period), that head is used unconfirmed: a cached
answer costs no round trip at all. (With the gateway's ``trust_new_heads`` the subscription's head is
always used so: an answer may then serve for the notification's delay into the next block.)
How each check learnt its head is counted (``note``): ``window``, ``confirmed``, ``latest`` (insured),
``asked`` (no guess: the head asked first).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from consortium_evm.domain import permission
from consortium_evm.domain.permission import ZERO_ADDRESS
from consortium_evm.errors import RPCError

STALE_WEIGHT = 0.1
"""Weight of the latest confirmation in :attr:`Permissions.stale_rate`."""
INSURE_ABOVE = 0.25
"""Above this stale rate questions are asked at ``latest`` (uncached), so a stale guess costs no second round trip."""

Head = Callable[[], "int | None"]
"""The head block a live subscription reports, or ``None`` (then the node is asked)."""
Call = Callable[[str, list[Any]], Awaitable[Any]]
"""``call(method, params)``: one JSON-RPC request to the node, its result (RPCError otherwise)."""
Batch = Callable[[list[tuple[str, list[Any]]]], Awaitable[list[Any]]]
"""``batch([(method, params), ...])``: one JSON-RPC batch, the results in order (RPCError if any failed)."""


class Started(Protocol):
    """A request already on its way to the node."""

    async def result(self) -> Any:
        """Its result (RPCError otherwise)."""

    def abandon(self) -> None:
        """Not wanted: let it finish unread."""


Begin = Callable[[str, list[Any]], Awaitable[Started]]
"""``begin(method, params)``: send a request now, read its answer later."""


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


def _block_number(result: Any) -> int:
    try:
        return int(str(result), 16)
    except ValueError:
        raise PermissionCheckFailed(f"eth_blockNumber answered {result!r}") from None


async def _head_from(answer: Awaitable[Any]) -> int:
    """The head block number in ``answer`` (an ``eth_blockNumber`` result); PermissionCheckFailed
    when the node could not answer."""
    try:
        result = await answer
    except RPCError as exc:
        raise PermissionCheckFailed(f"eth_blockNumber failed: {exc}") from exc
    return _block_number(result)


class Confirmation:
    """The node's head, asked before the question was known (:meth:`Permissions.confirm_head`)."""

    def __init__(self, started: Started) -> None:
        self._started = started
        self._read = False

    async def head(self) -> int:
        """The head block number the node answered (read once)."""
        self._read = True
        return await _head_from(self._started.result())

    def abandon(self) -> None:
        """Not wanted (the request was refused, or its check failed, before the head was read)."""
        if not self._read:
            self._read = True
            self._started.abandon()


class Permissions:
    """Asks the ingress, caching each answer for the head block it was asked at."""

    def __init__(self, call: Call, ingress: str, tracked_head: Head | None = None, batch: Batch | None = None,
                 settled_head: Head | None = None, begin: Begin | None = None,
                 note: Callable[[str], None] | None = None) -> None:
        self._call = call
        self._batch = batch
        self._begin = begin
        self.ingress = ingress
        self._tracked_head = tracked_head
        self._settled_head = settled_head
        self._note = note if note is not None else (lambda _how: None)
        self._block = -1
        self._answers: dict[bytes, asyncio.Future[bool]] = {}
        self._reorgs = 0
        """Times :meth:`forget` voided the cache: an answer asked before one is not cached after it."""
        self.asked = 0
        """``eth_call`` requests sent (for tests and the benchmark)."""
        self.stale_rate = 0.0
        """How often lately the guessed head was not the node's (a moving average, 0 to 1)."""

    async def head(self) -> int:
        """The node's head block number (asked every time: never a stale head)."""
        return await _head_from(self._call("eth_blockNumber", []))

    async def confirm_head(self) -> Confirmation | None:
        """Send the question of the node's head now, before the permission question is known (the
        gateway decodes the transaction while the node answers): give it to :meth:`allowed`, or
        :meth:`Confirmation.abandon` it. ``None`` when none is needed or none can be sent early."""
        if self._settled() is not None or self._begin is None or self._batch is None:
            return None
        if self.stale_rate > INSURE_ABOVE:
            return None  # asked at latest after the decode, its head in the same batch: one round trip, not two
        return Confirmation(await self._begin("eth_blockNumber", []))

    def _settled(self) -> int | None:
        """The head known without asking, unless a newer one was confirmed meanwhile."""
        settled = self._settled_head() if self._settled_head is not None else None
        return settled if settled is not None and settled >= self._block else None

    def forget(self) -> None:
        """Another block took the cached answers' height (a reorganisation): they are void."""
        self._answers = {}
        self._reorgs += 1

    async def allowed(self, question: bytes, confirmation: Confirmation | None = None) -> bool:
        """The answer to ``question`` (calldata) at the node's head; ``confirmation`` from
        :meth:`confirm_head` when it was started before the question was known (its caller gives it
        back with :meth:`Confirmation.abandon` whatever happens: unread, its connection is held)."""
        settled = self._settled()
        if settled is not None:
            self._note("window")
            return await self.allowed_at(settled, question)
        tracked = self._tracked_head() if self._tracked_head is not None else None
        guess = max(tracked, self._block) if tracked is not None else self._block
        if self._batch is None or guess < 0:  # nothing to guess: the head, then ask
            self._note("asked")
            head = await confirmation.head() if confirmation is not None else await self.head()
            return await self.allowed_at(head, question)
        pending = self._answers.get(question) if guess == self._block else None
        insured = self.stale_rate > INSURE_ABOVE
        self._note("latest" if insured else "confirmed")
        calls: list[tuple[str, list[Any]]] = [] if confirmation is not None else [("eth_blockNumber", [])]
        if insured:  # only at latest: the guess would be stale as often as not
            calls.append(("eth_call", self._call_params("latest", question)))
        elif pending is None:
            calls.append(("eth_call", self._call_params(guess, question)))
        reorgs = self._reorgs
        results = await self._ask_batch(calls)
        head = await confirmation.head() if confirmation is not None else _block_number(results.pop(0))
        if self._reorgs != reorgs:  # another block took a height meanwhile: what was cached there is void
            pending = None
        stale = head != guess
        self.stale_rate += ((1.0 if stale else 0.0) - self.stale_rate) * STALE_WEIGHT
        if pending is not None and not stale:
            return await asyncio.shield(pending)
        if insured:  # asked at the head the node had when it read the call: fresh, but not pinned to a block
            self._advance(head)
            return is_allowed(results[0])
        if not stale and results:  # asked at the guess (none asked when a voided cached answer was counted on)
            answer = is_allowed(results[0])
            if self._reorgs == reorgs:  # asked before a reorganisation was notified: it may be the old block's
                self._remember(guess, question, answer)
            return answer
        return await self.allowed_at(head, question)  # the node has moved on (or is behind): ask at its head

    def _advance(self, block: int) -> None:
        """A newer head: the cache starts empty there."""
        if block > self._block:
            self._block, self._answers = block, {}

    def _remember(self, block: int, question: bytes, answer: bool) -> None:
        self._advance(block)
        if block == self._block and question not in self._answers:
            done = asyncio.get_running_loop().create_future()
            done.set_result(answer)
            self._answers[question] = done

    async def _ask_batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        assert self._batch is not None
        self.asked += sum(1 for method, _ in calls if method == "eth_call")
        try:
            if len(calls) <= 1:
                return [await self._call(*call) for call in calls]
            return await self._batch(calls)
        except RPCError as exc:
            raise PermissionCheckFailed(f"the permission call failed: {exc}") from exc

    def _call_params(self, block: int | str, question: bytes) -> list[Any]:
        return [{"from": ZERO_ADDRESS, "to": self.ingress, "data": "0x" + question.hex()},
                hex(block) if isinstance(block, int) else block]

    async def allowed_at(self, block: int, question: bytes) -> bool:
        """The answer to ``question`` at ``block``, from the cache when asked at that block already."""
        self._advance(block)
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
