"""Nonces: one counter per account and connection, shared by everything that sends in this process.

Several threads (and a deployment followed by a client in one script) may send from one account:
each transaction gets the next nonce, with no gap and no reuse. The counter starts at the node's
``pending`` count and starts there again after any failure that leaves the node's view unknown
(:meth:`NonceCounter.forget`).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable

from web3 import Web3


class NonceCounter:
    """The next nonce of one account on one connection, and the lock that hands it out."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.next: int | None = None

    def peek(self, pending: Callable[[], int]) -> int:
        """The next nonce (asking the node with ``pending`` when unknown); call with :attr:`lock` held."""
        if self.next is None:
            self.next = pending()
        return self.next

    def used(self, nonce: int) -> None:
        """``nonce`` was given to a transaction the node accepted; call with :attr:`lock` held."""
        self.next = max(self.next or 0, nonce + 1)

    def forget(self) -> None:
        """The node's view is unknown (a send failed oddly, another program sent): ask it again next time."""
        self.next = None


_COUNTERS: weakref.WeakKeyDictionary[Web3, dict[str, NonceCounter]] = weakref.WeakKeyDictionary()
_COUNTERS_LOCK = threading.Lock()


def nonce_counter(w3: Web3, address: str) -> NonceCounter:
    """The counter shared by everything that sends from ``address`` on ``w3`` in this process."""
    with _COUNTERS_LOCK:
        by_address = _COUNTERS.setdefault(w3, {})
        return by_address.setdefault(Web3.to_checksum_address(address), NonceCounter())


def pending_nonce(w3: Web3, address: str) -> int:
    """The node's count of ``address``'s transactions, pending ones included: the next free nonce."""
    return int(w3.eth.get_transaction_count(Web3.to_checksum_address(address), "pending"))


def forget_nonces(w3: Web3) -> None:
    """Forget every counter of ``w3`` (the chain went back: a snapshot of the embedded chain was
    restored); each asks the node again on its next transaction."""
    with _COUNTERS_LOCK:
        counters = list(_COUNTERS.get(w3, {}).values())
    for counter in counters:
        with counter.lock:
            counter.forget()
