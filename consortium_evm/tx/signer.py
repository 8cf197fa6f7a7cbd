"""Who signs a transaction: the one interface every signer meets.

A sender is either the address of an account the node itself holds and unlocks (the embedded
chain, a development node), or a :class:`TransactionSigner`: anything with an ``address`` that
turns a transaction's fields into signed bytes. An eth-account ``LocalAccount`` (a keystore, a key
from the environment, a development key) is one as it is; a remote signer (Clef, Web3Signer, an
HSM or KMS behind them) is one by implementing the two members below. The transaction pipeline
(:mod:`consortium_evm.tx.transactions`) and the deployment use only this interface.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


class SignedTransaction(Protocol):
    """A signed transaction: the bytes to broadcast and their hash (known before broadcasting)."""

    @property
    def raw_transaction(self) -> bytes:
        """The RLP (typed) transaction, as ``eth_sendRawTransaction`` takes it."""
        ...

    @property
    def hash(self) -> bytes:
        """The transaction's hash: keccak of :attr:`raw_transaction`."""
        ...


@runtime_checkable
class TransactionSigner(Protocol):
    """Signs transactions for one account."""

    @property
    def address(self) -> str:
        """The account's address (EIP-55)."""
        ...

    def sign_transaction(self, transaction_dict: Any) -> SignedTransaction:
        """Sign a transaction given as its fields (``nonce``, ``gas``, fee fields, ``chainId``,
        ``to``, ``value``, ``data``; no ``from``). Raises a
        :class:`~consortium_evm.errors.ConsortiumError` naming why it was not signed (the signer
        refused, is unreachable, ...)."""
        ...


Sender = str | TransactionSigner
"""An unlocked account address (eth-tester, a dev node) or a signer."""


def sender_address(sender: Sender) -> str:
    """The address of a sender."""
    return sender if isinstance(sender, str) else str(sender.address)
