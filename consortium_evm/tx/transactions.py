"""Sending contract transactions: simulate, price, number, send, wait, and name every failure.

A :class:`Transactor` sends for one account (a local signing account, or an address the node
unlocks, as on the embedded chain):

1. **Simulate** with ``eth_call``: a revert comes back as the contract's custom error (a class of
   :mod:`consortium_evm.contract_errors`) before any gas is spent.
2. **Gas**: ``eth_estimateGas`` times a headroom (default 1.25), unless given. The gas a transaction
   used is always its receipt's ``gasUsed``: exact.
3. **Fees** by the network's gas price policy (:func:`consortium_evm.tx.fees.transaction_fees`).
4. **Nonce** from a per-account counter guarded by a lock, shared by every Transactor of that
   account on the same Web3 in this process: several threads may send at once, and each transaction
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

import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import requests
from web3 import Web3
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.exceptions import TransactionNotFound

from consortium_evm.domain.revert import decode_revert, error_table, is_revert, revert_data
from consortium_evm.errors import ConsortiumError, RPCError, TransactionError, TransactionTimeoutError
from consortium_evm.tx.signer import Sender, TransactionSigner, sender_address

Fees = Mapping[str, int] | Callable[[], Mapping[str, int]]
"""Fee fields for each transaction (``gasPrice``, or ``maxFeePerGas`` and ``maxPriorityFeePerGas``),
or a function giving them for the next transaction."""

DEFAULT_GAS_HEADROOM = 1.25
DEFAULT_SEND_RETRIES = 4
DEFAULT_BACKOFF = 0.25
_RETRY_STATUS = frozenset({408, 429, 502, 503, 504})


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is a fault worth retrying: the node may answer next time."""
    if isinstance(exc, requests.HTTPError):
        response = exc.response
        return response is not None and response.status_code in _RETRY_STATUS
    return isinstance(exc, (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError))


@dataclass(frozen=True)
class Sent:
    """A mined, successful transaction."""

    tx_hash: str
    block_number: int
    gas_used: int
    contract_address: str | None
    receipt: Any = field(repr=False, compare=False)
    nonce: int | None = None


class _NonceCounter:
    """The next nonce of one account on one connection, and the lock that hands it out."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.next: int | None = None


_COUNTERS: weakref.WeakKeyDictionary[Web3, dict[str, _NonceCounter]] = weakref.WeakKeyDictionary()
_COUNTERS_LOCK = threading.Lock()


def _nonce_counter(w3: Web3, address: str) -> _NonceCounter:
    """The counter shared by every Transactor of ``address`` on ``w3`` in this process."""
    with _COUNTERS_LOCK:
        by_address = _COUNTERS.setdefault(w3, {})
        return by_address.setdefault(address, _NonceCounter())


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
        self._nonces = _nonce_counter(w3, self.address)
        self._chain_id: int | None = None

    def add_abi(self, abi: list[dict[str, Any]]) -> None:
        """Also decode the custom errors of ``abi``."""
        self.errors.update(error_table([abi]))

    # -- simulate --------------------------------------------------------------------------------

    def simulate(self, fn: ContractFunction | ContractConstructor, value: int = 0) -> Any:
        """Run ``fn`` with ``eth_call`` from the sender; a revert raises its named error."""
        try:
            if isinstance(fn, ContractConstructor):
                return self.w3.eth.call(cast(Any, {"from": self.address, "data": fn.data_in_transaction, "value": value}))
            return fn.call(cast(Any, {"from": self.address, "value": value}))
        except Exception as exc:  # noqa: BLE001 - every client raises its own types
            raise self._failure(exc) from exc

    # -- send ------------------------------------------------------------------------------------

    def send(self, fn: ContractFunction | ContractConstructor, value: int = 0, gas: int | None = None) -> Sent:
        """Simulate, send and wait for ``fn``; returns the mined transaction."""
        tx: dict[str, Any] = {"from": self.address, "value": value, "data": _data(fn), **_to(fn)}
        self._simulate_tx(tx)
        return self._send_and_wait(tx, gas)

    def transact(self, to: str | None, data: bytes | str = b"", value: int = 0, gas: int | None = None) -> Sent:
        """Simulate, send and wait for a transaction with raw ``data`` (a contract creation when
        ``to`` is None)."""
        payload = data if isinstance(data, str) else "0x" + bytes(data).hex()
        tx: dict[str, Any] = {"from": self.address, "value": value, "data": payload}
        if to is not None:
            tx["to"] = Web3.to_checksum_address(to)
        self._simulate_tx(tx)
        return self._send_and_wait(tx, gas)

    def _simulate_tx(self, tx: dict[str, Any]) -> None:
        """``eth_call`` of the encoded transaction (its result is not needed: only a revert, raised
        as its named error). Cheaper than the contract function's ``call``, which encodes the data
        again and decodes the result."""
        try:
            self.w3.eth.call(cast(Any, dict(tx)))
        except Exception as exc:  # noqa: BLE001 - every client raises its own types
            raise self._failure(exc) from exc

    def _send_and_wait(self, tx: dict[str, Any], gas: int | None) -> Sent:
        try:
            if gas is None:
                gas = int(int(self.w3.eth.estimate_gas(cast(Any, tx))) * self.gas_headroom)
            tx["gas"] = gas
            tx.update(self._fee_fields())
            tx.setdefault("chainId", self._chain())
        except Exception as exc:  # noqa: BLE001
            raise self._failure(exc) from exc
        tx_hash, nonce = self._submit(tx)
        receipt = self.wait(tx_hash)
        if receipt["status"] != 1:
            raise TransactionError(self._mined_failure(receipt, gas))
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
            from consortium_evm.tx.fees import transaction_fees
            from consortium_evm.config.fields import AutoGasPrice

            return transaction_fees(self.w3, AutoGasPrice())
        return dict(self.fees() if callable(self.fees) else self.fees)

    def _chain(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    # -- nonces ----------------------------------------------------------------------------------

    def _pending_nonce(self) -> int:
        return int(self.w3.eth.get_transaction_count(self.address, "pending"))

    def _submit(self, tx: dict[str, Any]) -> tuple[str, int]:
        """Give ``tx`` the next nonce and send it; returns its hash and nonce. One at a time."""
        counter = self._nonces
        with counter.lock:
            for attempt in (1, 2):
                try:
                    if counter.next is None:
                        counter.next = self._pending_nonce()
                    nonce = counter.next
                    tx["nonce"] = nonce
                    tx_hash = self._send_signed(tx) if not isinstance(self.sender, str) else self._send_unlocked(tx)
                except _NonceTaken:
                    # The node refused the nonce outright (another process used this account): the
                    # transaction is not in the pool, so it may go again under a fresh nonce, once.
                    counter.next = None
                    if attempt == 2:
                        raise TransactionError(
                            f"account {self.address}: the node refused nonce {tx['nonce']} twice as already used; "
                            "is another program sending from this account?"
                        ) from None
                    continue
                except Exception:
                    counter.next = None  # the node's view is unknown: ask it again next time
                    raise
                counter.next = nonce + 1
                return tx_hash, nonce
        raise AssertionError("unreachable")  # pragma: no cover

    def _send_unlocked(self, tx: dict[str, Any]) -> str:
        """An account the node holds: one attempt (its hash is not known before the node answers)."""
        try:
            sent = self.w3.eth.send_transaction(cast(Any, tx))
        except Exception as exc:  # noqa: BLE001
            if _nonce_too_low(exc):
                raise _NonceTaken() from exc
            raise self._send_failure(exc, None) from exc
        return "0x" + bytes(sent).hex().removeprefix("0x")

    def _send_signed(self, tx: dict[str, Any]) -> str:
        """Sign once, then send those bytes until the node has them (bounded retries)."""
        unsigned = {k: v for k, v in tx.items() if k != "from"}
        signed = cast(TransactionSigner, self.sender).sign_transaction(unsigned)
        tx_hash = "0x" + bytes(signed.hash).hex()
        for attempt in range(self.retries + 1):
            try:
                self.w3.eth.send_raw_transaction(signed.raw_transaction)
                return tx_hash
            except Exception as exc:  # noqa: BLE001
                if is_transient(exc):
                    if attempt < self.retries:
                        time.sleep(self.backoff * 2**attempt)
                        continue
                    # Every answer was lost; one attempt may still have got through (the node did
                    # the work and the answer never came back). Ask once before giving up.
                    if self._known_quietly(tx_hash):
                        return tx_hash
                    raise RPCError(
                        f"could not reach the node to send transaction {tx_hash} (nonce {tx['nonce']}) after "
                        f"{attempt + 1} attempts: {exc}. It may or may not have reached the node's pool: look "
                        "it up by its hash before sending anything else from this account"
                    ) from exc
                if attempt > 0 or _already_known(exc) or _nonce_too_low(exc):
                    # These very bytes may have got through already, their answer lost: an earlier
                    # attempt, or one the transport repeated. On an instant-mining node they are
                    # mined by now and the node says "nonce too low": that is ours, not another
                    # program's, so it must not be sent again under a new nonce (a duplicate).
                    if self._known(tx_hash, exc):
                        return tx_hash
                if _nonce_too_low(exc):
                    raise _NonceTaken() from exc
                raise self._send_failure(exc, tx_hash) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _known(self, tx_hash: str, cause: BaseException | None = None) -> bool:
        """Whether the node has ``tx_hash`` (in its pool or mined)."""
        try:
            self.w3.eth.get_transaction(cast(Any, tx_hash))
            return True
        except TransactionNotFound:
            return False
        except Exception as exc:  # noqa: BLE001 - the node failed the look-up itself
            after = f" after it answered the send with: {cause}" if cause is not None else ""
            raise RPCError(
                f"could not look transaction {tx_hash} up{after}: {exc}. It may or may not have reached the "
                "node's pool: look it up by its hash before sending anything else from this account"
            ) from exc

    def _known_quietly(self, tx_hash: str) -> bool:
        """Whether the node has ``tx_hash``; False also when it cannot be asked."""
        try:
            return self._known(tx_hash)
        except RPCError:
            return False

    def _send_failure(self, exc: Exception, tx_hash: str | None) -> Exception:
        text = str(exc).lower()
        if "insufficient funds" in text:
            return TransactionError(f"account {self.address} has too little ether to pay for the transaction ({exc})")
        failure = self._failure(exc)
        if isinstance(failure, RPCError):
            shown = f" {tx_hash}" if tx_hash else ""
            return RPCError(f"the node refused transaction{shown} from {self.address}: {exc}")
        return failure

    # -- wait ------------------------------------------------------------------------------------

    def wait(self, tx_hash: str) -> Any:
        """The receipt of ``tx_hash`` once it has its confirmations (the including block is one)."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                receipt = self._receipt(tx_hash)
                if receipt is not None:
                    if self.confirmations == 1:
                        return receipt
                    if int(self.w3.eth.block_number) >= int(receipt["blockNumber"]) + self.confirmations - 1:
                        again = self._receipt(tx_hash)
                        if again is not None and again["blockHash"] == receipt["blockHash"]:
                            return again
            except Exception as exc:  # noqa: BLE001
                raise RPCError(
                    f"lost the node while waiting for transaction {tx_hash}: {exc}; it may still be mined"
                ) from exc
            if time.monotonic() > deadline:
                raise TransactionTimeoutError(
                    f"transaction {tx_hash} from {self.address} was not mined with {self.confirmations} "
                    f"confirmation(s) within {self.timeout:g} s; it may still be: look it up by its hash",
                    tx_hash,
                )
            self._tick()

    def _receipt(self, tx_hash: str) -> Any | None:
        try:
            return self.w3.eth.get_transaction_receipt(cast(Any, tx_hash))
        except TransactionNotFound:
            return None

    def _tick(self) -> None:
        tester = getattr(self.w3.provider, "ethereum_tester", None)
        if tester is not None:  # the embedded chain mines on demand
            tester.mine_blocks()
        else:
            time.sleep(self.poll_interval)

    # -- failures --------------------------------------------------------------------------------

    def _mined_failure(self, receipt: Any, gas: int) -> str:
        """Why a mined transaction failed: its call replayed on the state it ran on, decoded."""
        tx_hash = "0x" + bytes(receipt["transactionHash"]).hex().removeprefix("0x")
        message = f"transaction {tx_hash} failed in block {receipt['blockNumber']} (gas used {receipt['gasUsed']} of {gas})"
        reason = replayed_revert(self.w3, tx_hash, int(receipt["blockNumber"]), self.errors)
        return f"{message}: {reason}" if reason else message

    def _failure(self, exc: Exception) -> Exception:
        if isinstance(exc, ConsortiumError):  # ours already (a named revert, a fee policy refused, ...)
            return exc
        data = revert_data(exc)
        if data is not None or is_revert(exc):
            return decode_revert(data or b"", self.errors)
        return RPCError(f"the node refused or failed the request: {exc}")


def replayed_revert(w3: Web3, tx_hash: str, block_number: int, errors: dict[bytes, dict[str, Any]]) -> str | None:
    """Why transaction ``tx_hash``, mined in ``block_number``, reverted: its call replayed on the
    state before that block, its revert decoded with ``errors``; None when the replay says nothing.
    (The state before the block, not before the transaction: close enough for a named error.)"""
    try:
        tx = w3.eth.get_transaction(cast(Any, tx_hash))
        call: dict[str, Any] = {"from": tx["from"], "data": tx["input"], "value": tx["value"]}
        if tx.get("to"):
            call["to"] = tx["to"]
        w3.eth.call(cast(Any, call), block_number - 1)
    except Exception as exc:  # noqa: BLE001 - any client's revert
        data = revert_data(exc)
        if data:
            return str(decode_revert(data, errors))
    return None


class _NonceTaken(Exception):
    """The node refused a transaction because its nonce was already used."""


def _already_known(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "already known" in text or "known transaction" in text or "already imported" in text


def _nonce_too_low(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(
        marker in text
        for marker in ("nonce too low", "nonce is too low", "replacement transaction underpriced", "invalid transaction nonce")
    )


def _data(fn: ContractFunction | ContractConstructor) -> str:
    if isinstance(fn, ContractConstructor):
        return str(fn.data_in_transaction)
    return str(fn._encode_transaction_data())


def _to(fn: ContractFunction | ContractConstructor) -> dict[str, Any]:
    return {} if isinstance(fn, ContractConstructor) else {"to": fn.address}
