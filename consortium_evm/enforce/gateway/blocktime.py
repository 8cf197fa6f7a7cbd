"""When the node's head is known without asking it: the time a block's successor cannot exist yet.

A Clique block's timestamp is at least its parent's plus the chain's period (a consensus rule:
a node imports no block that breaks it), and geth imports no block whose timestamp is ahead of its
own clock (``consensus.ErrFutureBlock``; it queues such a block until its time comes). So once the
node has notified block **N** with timestamp **T**, it cannot have block N+1 before its clock reads
``T + period``: until then its head *is* N, and an answer asked at N is the answer at the head,
with no round trip to confirm it. :class:`BlockClock` says when that holds:

- the node is **geth** (not GoQuorum, whose IBFT/QBFT may be started to accept blocks ahead of its
  clock, ``--istanbul.allowedfutureblocktime``; not Besu, whose header rules accept blocks 1 s (BFT)
  or 10 s (Clique) ahead; not anvil or other development chains, which seal whenever asked), the
  chain is **Clique**, and its **period** is known (``block_period`` of networks.yaml, or the local
  network's own);
- the clock reads before ``T + period - margin - lead`` (earlier after a late block: **Forks**),
  where ``lead`` is the most any block has arrived *before* its own timestamp by the gateway's
  clock: a node whose clock runs ahead of the gateway's shows it that way, and the window shrinks
  by as much; a lead over :data:`MAX_LEAD` (clocks far apart, or timestamps in another unit, as
  Raft's nanoseconds) closes it for good;
- every block notified is a Clique block (difficulty 1 or 2), and none came sooner after an earlier
  notified block than the period allows for the blocks between them (``k`` blocks in less than
  ``k`` periods): a wrong ``block_period``, a chain that is not Clique (geth's proof of stake or
  ``--dev`` seal with difficulty 0), or a fork from before a late block turn the window off for good
  (said in ``/health``).

**Forks.** The period bounds block N+1 only on N's own chain. A fork from an earlier block A can
hold a block at N+1 as early as ``T(A) + (N+1-A) * period``, which is before ``T(N) + period``
when a block between A and N was late (sealed after its parent's time plus the period). So the
window of N ends at the earliest of those times over the last :data:`FORK_HISTORY` notified
blocks and the block that many below the head when the subscription started (read then, so that a
late first block is bounded too), not at ``T(N) + period``: on a chain whose blocks come on time
the two are the same, and after a late block the window is shorter by the delay until the late
block is that many blocks back. A fork rooted further back is not considered (Clique has no
finality; such a fork means signers withheld a minute or more of blocks). The period is held only
against blocks that may be the head's ancestors: a block at the height of a later notification or
above is on a branch the node left.

What no bound catches: a block that replaces the head at its height (Clique's out-of-turn
sibling), or a heavier branch that ends at or below the head (geth prefers, at equal weight, the
lower block), can be imported at any time, since their times are past. The gateway learns of
them from their notification: the answers asked at that height are voided (:mod:`.rules`) and a
head below a notified block is not settled (the block it left may come back). Until the
notification arrives the answers of the replaced block serve, as they do on the confirmed path for
a same-height replacement. With one or two signers Clique has no such branches (one signer may seal
each height: a signer seals at most one of any ``signers // 2 + 1`` consecutive blocks).

**Clocks.** The arrival of each notification is taken when the event loop hands the message over,
before it is parsed: a loop delayed by ``d`` makes that block's ``lead`` up to ``d`` too small (the
margin covers a short delay), and ``lead`` is the most over all blocks, so one prompt arrival sets it.

Outside the window the head is confirmed per request (:mod:`.rules`). Inside it the decision is
made at the node's head at the moment of the decision (but for the replacements above, until
notified), where a confirmed head is the head one round trip earlier; what follows the decision
(the transaction's way to the node) is the same on both paths.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

DEFAULT_MARGIN = 0.05
"""Seconds of the window given up at its end: the clocks' reading and the notification's delay."""
MAX_LEAD = 1.0
"""Seconds a block may arrive ahead of its own timestamp before the window closes for good."""
FORK_HISTORY = 64
"""Notified blocks a fork may be rooted at (the window's end is the earliest a block after the
head can be on a fork from any of them)."""
QUANTITY_LIMIT = 2**64
"""A notified block's number, timestamp and difficulty are below this (geth's are 64-bit; Clique's
difficulty is 1 or 2): a block beyond it shuts the window for good."""
CLIQUE_DIFFICULTIES = (1, 2)
"""A Clique block's difficulty: 2 sealed in turn, 1 out of turn (EIP-225)."""


def refuses_future_blocks(client_version: str) -> bool:
    """Whether the node (its ``web3_clientVersion``) imports no block ahead of its clock: geth's
    Clique does; GoQuorum (a geth fork naming itself ``quorum``) is not trusted to, nor any other."""
    name = client_version.lower()
    return name.startswith("geth/") and "quorum" not in name


class _Block(NamedTuple):
    """A block the clock remembers."""

    number: int
    timestamp: int
    ancestor: bool
    """Whether it may be an ancestor of the head: not once a block at its height or below was notified
    after it (the node left its branch). The period is checked only against such blocks; the window's
    end counts them all (the node may go back to any)."""


@dataclass(frozen=True)
class Arrival:
    """When a notification arrived: the wall clock (as block timestamps) and the monotonic clock."""

    wall: float
    monotonic: float


@dataclass(frozen=True)
class Window:
    """Whether the head is known without asking, and why not (``/health``)."""

    open: bool
    reason: str


class BlockClock:
    """Follows the heads a subscription notifies and says while the latest is surely the node's.
    ``period`` ``None``: never (the chain's period unknown)."""

    def __init__(self, period: float | None, margin: float = DEFAULT_MARGIN,
                 now: Callable[[], float] = time.time) -> None:
        self.period = period
        self.margin = margin
        self.now = now
        """The gateway's clock (seconds since the epoch, as block timestamps)."""
        self.monotonic: Callable[[], float] = time.monotonic
        """A clock no one sets: the time since the head's arrival, whatever steps :attr:`now` takes."""
        self._arrived = Arrival(0.0, 0.0)
        self._client_ok: bool | None = None
        self._off: str | None = None if period is not None else "the chain's block period is not configured"
        self._number: int | None = None
        self._blocks: deque[_Block] = deque(maxlen=FORK_HISTORY)
        """The last notified blocks (siblings and blocks the node left included), and the block
        :data:`FORK_HISTORY` below the head when a subscription started (:meth:`remember`)."""
        self._next_block_at = 0.0
        """The earliest time (the node's clock) a block after the head can exist, on any fork."""
        self.lead = 0.0
        """The most a block has arrived ahead of its own timestamp (seconds, the gateway's clock)."""

    def client(self, version: str | None) -> None:
        """The node's ``web3_clientVersion`` (``None``: it did not say)."""
        self._client_ok = version is not None and refuses_future_blocks(version)
        if not self._client_ok and self._off is None:
            self._off = f"the node ({version or 'unknown client'}) may import blocks ahead of its clock"

    def restart(self) -> None:
        """A new subscription: nothing notified yet (what was learnt of the chain is kept)."""
        self._number = None

    def remember(self, number: int, timestamp: int | None) -> None:
        """A block of the chain read, not notified: at a new subscription, the block :data:`FORK_HISTORY`
        below the head, so that forks from before the first notified block bound its window too (along
        one chain ``timestamp - number * period`` never decreases, so that block bounds every fork from
        the blocks between it and the head). ``timestamp`` ``None``: the node did not give it, and
        the window shuts for good."""
        if timestamp is not None and 0 <= number < QUANTITY_LIMIT and 0 <= timestamp < QUANTITY_LIMIT:
            self._blocks.append(_Block(number, timestamp, True))
        elif self._off is None:
            self._off = (f"the node did not give block {number}'s timestamp: forks from before the first "
                         f"notified block cannot be bounded")

    def arrival(self) -> Arrival:
        """Now, on both clocks: when a notification arrived (take it before parsing the message)."""
        return Arrival(self.now(), self.monotonic())

    def seen(self, number: int, timestamp: int, difficulty: int | None, arrived: Arrival | None = None) -> None:
        """Block ``number`` with ``timestamp`` and ``difficulty`` notified ``arrived`` (now if ``None``)."""
        if not (0 <= number < QUANTITY_LIMIT and 0 <= timestamp < QUANTITY_LIMIT
                and (difficulty is None or 0 <= difficulty < QUANTITY_LIMIT)):
            # no block's (geth's are 64-bit): beyond a float's range they would break the arithmetic below,
            # beyond 4300 digits even the reason's text, on every notification and request that follows
            self._off = self._off or "a notified block's number, timestamp or difficulty is out of range"
            self._number = None
            return
        self._arrived = arrived if arrived is not None else self.arrival()
        self.lead = max(self.lead, timestamp - self._arrived.wall)
        if self._off is None:
            self._off = self._refusal(number, timestamp, difficulty)
        if any(block.number >= number and block.ancestor for block in self._blocks):  # the node left them
            self._blocks = deque((block._replace(ancestor=block.ancestor and block.number < number)
                                  for block in self._blocks), maxlen=FORK_HISTORY)
        self._blocks.append(_Block(number, timestamp, True))
        self._number = number
        self._next_block_at = self._earliest_after(number)

    def _refusal(self, number: int, timestamp: int, difficulty: int | None) -> str | None:
        """Why the window must shut for good at this block, or ``None``."""
        if self.lead > MAX_LEAD:
            return (f"block {number} arrived {self.lead:.1f} s before its own timestamp: the node's clock is far "
                    f"ahead of the gateway's, or its timestamps are not seconds")
        if difficulty not in CLIQUE_DIFFICULTIES:
            return f"block {number} has difficulty {difficulty}: not a Clique block (in turn 2, out of turn 1)"
        assert self.period is not None  # no period: off from the start
        for earlier, earlier_time, ancestor in self._blocks:
            if ancestor and earlier < number and timestamp - earlier_time < (number - earlier) * self.period:
                return (f"block {number} came {timestamp - earlier_time} s after block {earlier}, less than the "
                        f"configured block period of {self.period:g} s allows for {number - earlier} block(s) "
                        f"(a wrong block_period, or a fork from before a late block)")
        return None

    def _earliest_after(self, head: int) -> float:
        """The earliest timestamp a block above ``head`` can have on a fork from any remembered block
        (a remembered block above the head, which the node may go back to, gives a time already past)."""
        period = self.period or 0.0  # no period: never settled anyway
        return min(stamp + (head + 1 - number) * period for number, stamp, _ in self._blocks)

    def settled(self) -> int | None:
        """The notified head while the node cannot have a newer one, else ``None``."""
        if self._off is not None or not self._client_ok or self._number is None:
            return None
        # the later of the wall clock and the arrival plus the time since: a wall clock stepped back
        # (NTP) after the arrival must not stretch the window past the node's next block
        arrived = self._arrived
        now = max(self.now(), arrived.wall + self.monotonic() - arrived.monotonic)
        if now < self._next_block_at - self.margin - self.lead:
            return self._number
        return None

    def window(self) -> Window:
        """Whether the window is in use, or why not."""
        if self._off is not None:
            return Window(False, self._off)
        if self._client_ok is None:
            return Window(False, "the node's client is not known yet")
        first = max(0.0, (self.period or 0) - self.margin - self.lead)
        return Window(True, f"each block's first {first:.2f} s (less for {FORK_HISTORY} blocks after a late block)")
