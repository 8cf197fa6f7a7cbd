"""Sending contract transactions: simulate, price, number, send, wait, and name every failure.

A :class:`Transactor` sends for one account (a signer: a local key or a remote signer; or an
address the node unlocks, as on the embedded chain), through the phases of
:mod:`consortium_evm.tx.pipeline`, which the deployment uses too:

1. **Simulate** with ``eth_call``: a revert comes back as the contract's custom error (a class of
   :mod:`consortium_evm.contract_errors`) before any gas is spent.
2. **Gas**: ``eth_estimateGas`` times a headroom (default 1.25), unless given. The gas a transaction
   used is always its receipt's ``gasUsed``: exact.
3. **Fees** by the network's gas price policy (:func:`consortium_evm.tx.fees.transaction_fees`).
4. **Nonce** from a per-account counter guarded by a lock (:mod:`consortium_evm.tx.nonces`), shared
   by every Transactor of that account on the same Web3 in this process, and by the deployment: several threads may send at once, and each transaction
   gets the next nonce, with no gap and no reuse. The counter starts at the node's ``pending`` count;
   it starts again from there after any failure that leaves the node's view unknown, and when the
   node says a nonce was already used (another program sent from the account), in which case the
   transaction, refused outright, is sent once more under the fresh nonce.
5. **Send** the signed transaction; on a transient fault (connection dropped, timeout, HTTP 429 or
   5xx) the *same signed bytes* are sent again, a bounded number of times with exponential backoff.
   A transaction is never re-sent under a new nonce: if the node's answer to a retry shows that an
   earlier attempt got through (``already known``, ``nonce too low``), the transaction is looked up
   by its hash and counted as sent.
6. **Wait** for the receipt and the network's confirmations (the including block counts as one;
   the receipt is read again at the end to make sure its block was not replaced).

Reads of the node are retried by the HTTP provider itself (see :func:`consortium_evm.chain.connect.http_web3`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from web3 import Web3
from web3.contract.contract import ContractConstructor, ContractFunction

from consortium_evm.domain.revert import error_table
from consortium_evm.errors import TransactionError
from consortium_evm.tx import pipeline
from consortium_evm.tx.answers import request_failure
from consortium_evm.tx.nonces import nonce_counter, pending_nonce
from consortium_evm.tx.pipeline import (
    DEFAULT_BACKOFF,
    DEFAULT_GAS_HEADROOM,
    DEFAULT_SEND_RETRIES,
    NonceTaken,
    replayed_revert,
)
from consortium_evm.tx.signer import Sender, sender_address

__all__ = [
    "DEFAULT_BACKOFF",
    "DEFAULT_GAS_HEADROOM",
    "DEFAULT_SEND_RETRIES",
    "Fees",
    "Sent",
    "Transactor",
    "replayed_revert",
]

Fees = Mapping[str, int] | Callable[[], Mapping[str, int]]
"""Fee fields for each transaction (``gasPrice``, or ``maxFeePerGas`` and ``maxPriorityFeePerGas``),
or a function giving them for the next transaction."""


@dataclass(frozen=True)
class Sent:
    """A mined, successful transaction."""

    tx_hash: str
    block_number: int
    gas_used: int
    contract_address: str | None
    receipt: Any = field(repr=False, compare=False)
    nonce: int | None = None


class Transactor:
    """Sends calls and deployments for one sender, decoding reverts with the given ABIs.

    ``fees`` are the fee fields of each transaction, or a function returning them (default: the
    node's suggestion, EIP-1559 where blocks have a base fee). ``confirmations`` counts the
    including block. ``retries`` bounds how often the same signed transaction is sent again after a
    transient fault, waiting ``backoff`` seconds, doubled each time.
    """

    def __init__(
        self,
        w3: Web3,
        sender: Sender,
        abis: Iterable[list[dict[str, Any]]] = (),
        *,
        gas_headroom: float = DEFAULT_GAS_HEADROOM,
        timeout: float = 120.0,
        fees: Fees | None = None,
        confirmations: int = 1,
        retries: int = DEFAULT_SEND_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        poll_interval: float = 0.1,
    ) -> None:
        self.w3 = w3
        self.sender = sender
        self.address = Web3.to_checksum_address(sender_address(sender))
        self.errors = error_table(abis)
        self.gas_headroom = gas_headroom
        self.timeout = timeout
        self.fees = fees
        self.confirmations = max(1, int(confirmations))
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self.poll_interval = poll_interval
        self._nonces = nonce_counter(w3, self.address)
        self._chain_id: int | None = None

    def add_abi(self, abi: list[dict[str, Any]]) -> None:
        """Also decode the custom errors of ``abi``."""
        self.errors.update(error_table([abi]))

    # -- simulate --------------------------------------------------------------------------------

    def simulate(self, fn: ContractFunction | ContractConstructor, value: int = 0) -> Any:
        """Run ``fn`` with ``eth_call`` from the sender and return its result; a revert raises its
        named error."""
        try:
            if isinstance(fn, ContractConstructor):
                return self.w3.eth.call(cast(Any, {"from": self.address, "data": fn.data_in_transaction, "value": value}))
            return fn.call(cast(Any, {"from": self.address, "value": value}))
        except Exception as exc:  # noqa: BLE001 - every client raises its own types
            raise request_failure(exc, self.errors) from exc

    # -- send ------------------------------------------------------------------------------------

    def send(self, fn: ContractFunction | ContractConstructor, value: int = 0, gas: int | None = None) -> Sent:
        """Simulate, send and wait for ``fn``; returns the mined transaction."""
        tx: dict[str, Any] = {"from": self.address, "value": value, "data": _data(fn), **_to(fn)}
        pipeline.simulate(self.w3, tx, self.errors)
        return self._send_and_wait(tx, gas)

    def transact(self, to: str | None, data: bytes | str = b"", value: int = 0, gas: int | None = None) -> Sent:
        """Simulate, send and wait for a transaction with raw ``data`` (a contract creation when
        ``to`` is None)."""
        payload = data if isinstance(data, str) else "0x" + bytes(data).hex()
        tx: dict[str, Any] = {"from": self.address, "value": value, "data": payload}
        if to is not None:
            tx["to"] = Web3.to_checksum_address(to)
        pipeline.simulate(self.w3, tx, self.errors)
        return self._send_and_wait(tx, gas)

    def _send_and_wait(self, tx: dict[str, Any], gas: int | None) -> Sent:
        pipeline.prepare(
            self.w3, tx, self.errors, fees=self._fee_fields(), gas=gas, headroom=self.gas_headroom,
            chain_id=self._chain(),
        )
        tx_hash, nonce = self._submit(tx)
        receipt = self.wait(tx_hash)
        if receipt["status"] != 1:
            raise TransactionError(pipeline.mined_failure(self.w3, tx_hash, receipt, self.errors, gas=int(tx["gas"])))
        address = receipt.get("contractAddress")
        return Sent(
            tx_hash=tx_hash,
            block_number=int(receipt["blockNumber"]),
            gas_used=int(receipt["gasUsed"]),
            contract_address=str(address) if address else None,
            receipt=receipt,
            nonce=nonce,
        )

    def _fee_fields(self) -> dict[str, int]:
        if self.fees is None:
            from consortium_evm.config.fields import AutoGasPrice
            from consortium_evm.tx.fees import transaction_fees

            return transaction_fees(self.w3, AutoGasPrice())
        return dict(self.fees() if callable(self.fees) else self.fees)

    def _chain(self) -> int:
        if self._chain_id is None:
            try:
                self._chain_id = int(self.w3.eth.chain_id)
            except Exception as exc:  # noqa: BLE001
                raise request_failure(exc, self.errors) from exc
        return self._chain_id

    # -- number, sign, broadcast -----------------------------------------------------------------

    def _submit(self, tx: dict[str, Any]) -> tuple[str, int]:
        """Give ``tx`` the next nonce, sign it and broadcast it; returns its hash and nonce. One at
        a time per account."""
        counter = self._nonces
        with counter.lock:
            for attempt in (1, 2):
                try:
                    tx["nonce"] = counter.peek(lambda: pending_nonce(self.w3, self.address))
                    if isinstance(self.sender, str):
                        tx_hash = pipeline.send_unlocked(self.w3, tx, self.errors)
                    else:
                        signed = pipeline.sign(self.sender, tx)
                        pipeline.broadcast(
                            self.w3, signed, self.address, self.errors, retries=self.retries, backoff=self.backoff
                        )
                        tx_hash = signed.tx_hash
                except NonceTaken:
                    # The node refused the nonce outright (another process used this account): the
                    # transaction is not in the pool, so it may go again under a fresh nonce, once.
                    counter.forget()
                    if attempt == 2:
                        raise TransactionError(
                            f"account {self.address}: the node refused nonce {tx['nonce']} twice as already used; "
                            "is another program sending from this account?"
                        ) from None
                    continue
                except Exception:
                    counter.forget()  # the node's view is unknown: ask it again next time
                    raise
                counter.used(int(tx["nonce"]))
                return tx_hash, int(tx["nonce"])
        raise AssertionError("unreachable")  # pragma: no cover

    # -- await -----------------------------------------------------------------------------------

    def wait(self, tx_hash: str) -> Any:
        """The receipt of ``tx_hash`` once it has its confirmations (the including block is one)."""
        return pipeline.await_receipt(
            self.w3, tx_hash, sender=self.address, confirmations=self.confirmations, timeout=self.timeout,
            poll_interval=self.poll_interval,
        )


def _data(fn: ContractFunction | ContractConstructor) -> str:
    if isinstance(fn, ContractConstructor):
        return str(fn.data_in_transaction)
    return str(fn._encode_transaction_data())


def _to(fn: ContractFunction | ContractConstructor) -> dict[str, Any]:
    return {} if isinstance(fn, ContractConstructor) else {"to": fn.address}
