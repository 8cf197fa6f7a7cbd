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
- the clock reads before ``T + period - margin - lead``, where ``lead`` is the most any block has
  arrived *before* its own timestamp by the gateway's clock: a node whose clock runs ahead of the
  gateway's shows it that way, and the window shrinks by as much; a lead over :data:`MAX_LEAD`
  (clocks far apart, or timestamps in another unit, as Raft's nanoseconds) closes it for good;
- no two consecutive blocks have come closer than the period: a wrong ``block_period`` turns the
  window off for good (said in ``/health``).

Outside the window the head is confirmed per request (:mod:`.rules`). Inside it the decision is
made at the node's head at the moment of the decision, which is fresher than a confirmed head (that
one is the head one round trip earlier); what follows the decision (the transaction's way to the
node) is the same on both paths.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_MARGIN = 0.05
"""Seconds of the window given up at its end: the clocks' reading and the notification's delay."""
MAX_LEAD = 1.0
"""Seconds a block may arrive ahead of its own timestamp before the window closes for good."""


def refuses_future_blocks(client_version: str) -> bool:
    """Whether the node (its ``web3_clientVersion``) imports no block ahead of its clock: geth's
    Clique does; GoQuorum (a geth fork naming itself ``quorum``) is not trusted to, nor any other."""
    name = client_version.lower()
    return name.startswith("geth/") and "quorum" not in name


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
        self._arrived = 0.0
        self._arrived_monotonic = 0.0
        self._client_ok: bool | None = None
        self._off: str | None = None if period is not None else "the chain's block period is not configured"
        self._number: int | None = None
        self._timestamp = 0
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

    def seen(self, number: int, timestamp: int) -> None:
        """Block ``number`` with ``timestamp`` notified now."""
        arrived = self.now()
        self._arrived, self._arrived_monotonic = arrived, self.monotonic()
        self.lead = max(self.lead, timestamp - arrived)
        if self.lead > MAX_LEAD and self._off is None:
            self._off = (f"block {number} arrived {timestamp - arrived:.1f} s before its own timestamp: the node's "
                         f"clock is far ahead of the gateway's, or its timestamps are not seconds")
        if (self._off is None and self.period is not None and self._number is not None
                and number == self._number + 1 and timestamp - self._timestamp < self.period):
            self._off = (f"block {number} came {timestamp - self._timestamp} s after its parent, less than the "
                         f"configured block period of {self.period:g} s")
        self._number, self._timestamp = number, timestamp

    def settled(self) -> int | None:
        """The notified head while the node cannot have a newer one, else ``None``."""
        if self._off is not None or not self._client_ok or self._number is None or self.period is None:
            return None
        # the later of the wall clock and the arrival plus the time since: a wall clock stepped back
        # (NTP) after the arrival must not stretch the window past the node's next block
        now = max(self.now(), self._arrived + self.monotonic() - self._arrived_monotonic)
        if now < self._timestamp + self.period - self.margin - self.lead:
            return self._number
        return None

    def window(self) -> Window:
        """Whether the window is in use, or why not."""
        if self._off is not None:
            return Window(False, self._off)
        if self._client_ok is None:
            return Window(False, "the node's client is not known yet")
        return Window(True, f"each block's first {max(0.0, (self.period or 0) - self.margin - self.lead):.2f} s")
