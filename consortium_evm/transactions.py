"""Sending contract transactions: simulate first, send, wait, and turn failures into named errors.

Every transaction is simulated with ``eth_call`` before it is sent, so that a revert comes back as
the contract's custom error (a :class:`~consortium_evm.errors.ContractRevertError`) without spending
gas. The gas of a sent transaction is always the receipt's ``gasUsed``: exact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract.contract import ContractConstructor, ContractFunction

from consortium_evm.errors import ContractRevertError, RPCError, TransactionError
from consortium_evm.revert import decode_revert, error_table, is_revert, revert_data

Sender = str | LocalAccount
"""An unlocked account address (eth-tester, a dev node) or a local signing account."""


def sender_address(sender: Sender) -> str:
    """The address of a sender."""
    return sender if isinstance(sender, str) else str(sender.address)


@dataclass(frozen=True)
class Sent:
    """A mined, successful transaction."""

    tx_hash: str
    block_number: int
    gas_used: int
    contract_address: str | None
    receipt: Any


class Transactor:
    """Sends calls and deployments for one sender, decoding reverts with the given ABIs."""

    def __init__(
        self,
        w3: Web3,
        sender: Sender,
        abis: Iterable[list[dict[str, Any]]] = (),
        *,
        gas_headroom: float = 1.25,
        timeout: float = 120.0,
    ) -> None:
        self.w3 = w3
        self.sender = sender
        self.address = sender_address(sender)
        self.errors = error_table(abis)
        self.gas_headroom = gas_headroom
        self.timeout = timeout

    def add_abi(self, abi: list[dict[str, Any]]) -> None:
        """Also decode the custom errors of ``abi``."""
        self.errors.update(error_table([abi]))

    def simulate(self, fn: ContractFunction | ContractConstructor, value: int = 0) -> Any:
        """Run ``fn`` with ``eth_call`` from the sender; a revert raises its named error."""
        try:
            if isinstance(fn, ContractConstructor):
                return self.w3.eth.call(cast(Any, {"from": self.address, "data": fn.data_in_transaction, "value": value}))
            return fn.call(cast(Any, {"from": self.address, "value": value}))
        except Exception as exc:  # noqa: BLE001 - every client raises its own types
            raise self._failure(exc) from exc

    def send(self, fn: ContractFunction | ContractConstructor, value: int = 0, gas: int | None = None) -> Sent:
        """Simulate, send and wait for ``fn``; returns the mined transaction."""
        self.simulate(fn, value)
        tx: Any = {"from": self.address, "value": value}
        try:
            if gas is None:
                estimate = self.w3.eth.estimate_gas(cast(Any, {**tx, "data": _data(fn), **_to(fn)}))
                gas = int(estimate * self.gas_headroom)
            tx["gas"] = gas
            if isinstance(self.sender, str):
                tx_hash = fn.transact(tx)
            else:
                nonce = self.w3.eth.get_transaction_count(Web3.to_checksum_address(self.address), "pending")
                built = fn.build_transaction(cast(Any, {**tx, "nonce": nonce}))
                signed = self.sender.sign_transaction(cast(Any, built))
                tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self.timeout)
        except ContractRevertError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise self._failure(exc) from exc
        if receipt["status"] != 1:
            raise TransactionError(self._mined_failure(receipt, gas))
        address = receipt.get("contractAddress")
        return Sent(
            tx_hash="0x" + bytes(receipt["transactionHash"]).hex().removeprefix("0x"),
            block_number=int(receipt["blockNumber"]),
            gas_used=int(receipt["gasUsed"]),
            contract_address=str(address) if address else None,
            receipt=receipt,
        )

    def _mined_failure(self, receipt: Any, gas: int) -> str:
        """Why a mined transaction failed: its call replayed on the state it ran on, decoded."""
        tx_hash = bytes(receipt["transactionHash"]).hex().removeprefix("0x")
        message = f"transaction 0x{tx_hash} failed in block {receipt['blockNumber']} (gas used {receipt['gasUsed']} of {gas})"
        try:
            tx = self.w3.eth.get_transaction(cast(Any, "0x" + tx_hash))
            call: dict[str, Any] = {"from": tx["from"], "data": tx["input"], "value": tx["value"]}
            if tx.get("to"):
                call["to"] = tx["to"]
            self.w3.eth.call(cast(Any, call), int(receipt["blockNumber"]) - 1)
        except Exception as exc:  # noqa: BLE001 - any client's revert
            data = revert_data(exc)
            if data:
                return f"{message}: {decode_revert(data, self.errors)}"
        return message

    def _failure(self, exc: Exception) -> Exception:
        if isinstance(exc, (ContractRevertError, TransactionError, RPCError)):
            return exc
        data = revert_data(exc)
        if data is not None or is_revert(exc):
            return decode_revert(data or b"", self.errors)
        return RPCError(f"the node refused or failed the request: {exc}")


def _data(fn: ContractFunction | ContractConstructor) -> str:
    if isinstance(fn, ContractConstructor):
        return str(fn.data_in_transaction)
    return str(fn._encode_transaction_data())


def _to(fn: ContractFunction | ContractConstructor) -> dict[str, Any]:
    return {} if isinstance(fn, ContractConstructor) else {"to": fn.address}
