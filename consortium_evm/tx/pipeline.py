"""The phases every transaction goes through: simulate, prepare, sign, broadcast, await.

Both senders use them: the :class:`~consortium_evm.tx.transactions.Transactor` (a member's
transactions, one at a time) and the deployment (:mod:`consortium_evm.deploy.suite`, which signs
every step first, journals them, then broadcasts and awaits them). Each phase names its failures
the same way for both; the node's answers are read by :mod:`consortium_evm.tx.answers`.

1. **simulate**: ``eth_call`` of the transaction; a revert raises the contract's named error
   before anything is spent.
2. **prepare**: the gas limit (``eth_estimateGas`` times a headroom, unless given), the fee
   fields, the chain id.
3. **sign**: a :class:`~consortium_evm.tx.signer.TransactionSigner` turns the fields into bytes
   whose hash is known before they are sent (an account the node unlocks has no such phase).
4. **broadcast**: the same signed bytes, sent again on a transient fault a bounded number of times;
   an answer showing that an earlier attempt got through (``already known``, or ``nonce too low``
   for a hash the node has) counts as sent; a nonce used by another transaction raises
   :class:`NonceTaken`.
5. **await**: the receipt, then the confirmations (the including block counts as one; the receipt
   is read again at the end to make sure its block was not replaced).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from eth_typing import HexStr
from web3 import Web3
from web3.exceptions import TransactionNotFound

from consortium_evm.domain.revert import ErrorTable, decode_revert, revert_data
from consortium_evm.errors import ConsortiumError, RPCError, TransactionError, TransactionTimeoutError
from consortium_evm.tx.answers import already_known, insufficient_funds, is_transient, nonce_taken, request_failure
from consortium_evm.tx.signer import TransactionSigner

DEFAULT_GAS_HEADROOM = 1.25
DEFAULT_SEND_RETRIES = 4
DEFAULT_BACKOFF = 0.25

class NonceTaken(Exception):
    """The node refused a transaction because its nonce was used by another transaction."""


@dataclass(frozen=True)
class SignedTx:
    """A signed transaction, ready to broadcast (and to journal first)."""

    tx_hash: str
    raw: str
    """The signed bytes, ``0x``-hex."""
    nonce: int


# -- 1. simulate -----------------------------------------------------------------------------------


def simulate(w3: Web3, tx: Mapping[str, Any], errors: ErrorTable) -> None:
    """``eth_call`` of ``tx`` (its result is not needed); a revert raises its named error, any other
    failure an RPCError."""
    try:
        w3.eth.call(cast(Any, dict(tx)))
    except Exception as exc:  # noqa: BLE001 - every client raises its own types
        raise request_failure(exc, errors) from exc


# -- 2. prepare ------------------------------------------------------------------------------------


def prepare(
    w3: Web3,
    tx: dict[str, Any],
    errors: ErrorTable,
    *,
    fees: Mapping[str, int],
    gas: int | None = None,
    headroom: float = DEFAULT_GAS_HEADROOM,
    chain_id: int | None = None,
) -> dict[str, Any]:
    """``tx`` with its gas limit (``gas``, or the node's estimate times ``headroom``), ``fees`` and
    chain id; a revert during the estimate raises its named error."""
    try:
        if gas is None:
            gas = int(int(w3.eth.estimate_gas(cast(Any, tx))) * headroom)
        tx["gas"] = gas
        tx.update(fees)
        tx.setdefault("chainId", chain_id if chain_id is not None else int(w3.eth.chain_id))
    except Exception as exc:  # noqa: BLE001
        raise request_failure(exc, errors) from exc
    return tx


# -- 3. sign ---------------------------------------------------------------------------------------


def sign(signer: TransactionSigner, tx: Mapping[str, Any]) -> SignedTx:
    """``tx`` (with its nonce) signed by ``signer``."""
    unsigned = {key: value for key, value in tx.items() if key != "from"}
    signed = signer.sign_transaction(unsigned)
    return SignedTx("0x" + bytes(signed.hash).hex(), "0x" + bytes(signed.raw_transaction).hex(), int(tx["nonce"]))


# -- 4. broadcast ----------------------------------------------------------------------------------


def broadcast(
    w3: Web3,
    signed: SignedTx,
    sender: str,
    errors: ErrorTable,
    *,
    retries: int = DEFAULT_SEND_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    label: str = "",
) -> None:
    """Send ``signed``'s bytes until the node has them (bounded retries on transient faults).

    Never re-signs: if an answer shows that these bytes got through already (an earlier attempt,
    one the transport repeated, or mined at once on an instant-mining node, which then says "nonce
    too low"), they count as sent. A nonce another transaction used raises :class:`NonceTaken`."""
    prefix = f"{label}: " if label else ""
    for attempt in range(retries + 1):
        try:
            w3.eth.send_raw_transaction(HexStr(signed.raw))
            return
        except Exception as exc:  # noqa: BLE001 - every client raises its own types
            if is_transient(exc):
                if attempt < retries:
                    time.sleep(backoff * 2**attempt)
                    continue
                # Every answer was lost; one attempt may still have got through (the node did the
                # work and the answer never came back). Ask once before giving up.
                if is_known_quietly(w3, signed.tx_hash):
                    return
                raise RPCError(
                    f"{prefix}could not reach the node to send transaction {signed.tx_hash} (nonce {signed.nonce}) "
                    f"after {attempt + 1} attempts: {exc}. It may or may not have reached the node's pool: look "
                    "it up by its hash before sending anything else from this account"
                ) from exc
            if already_known(exc):
                return
            if attempt > 0 or nonce_taken(exc):
                if is_known(w3, signed.tx_hash, exc):
                    return
            if nonce_taken(exc):
                raise NonceTaken(str(exc)) from exc
            raise send_failure(exc, sender, signed.tx_hash, errors, prefix) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def send_unlocked(w3: Web3, tx: Mapping[str, Any], errors: ErrorTable) -> str:
    """Send ``tx`` from an account the node holds; one attempt (its hash is known only from the
    node's answer). Returns the hash; a used nonce raises :class:`NonceTaken`."""
    try:
        sent = w3.eth.send_transaction(cast(Any, dict(tx)))
    except Exception as exc:  # noqa: BLE001
        if nonce_taken(exc):
            raise NonceTaken(str(exc)) from exc
        raise send_failure(exc, str(tx["from"]), None, errors) from exc
    return "0x" + bytes(sent).hex().removeprefix("0x")


def send_failure(exc: Exception, sender: str, tx_hash: str | None, errors: ErrorTable, prefix: str = "") -> Exception:
    """The error for a send the node refused."""
    if insufficient_funds(exc):
        return TransactionError(f"{prefix}account {sender} has too little ether to pay for the transaction ({exc})")
    failure = request_failure(exc, errors)
    if isinstance(failure, RPCError):
        shown = f" {tx_hash}" if tx_hash else ""
        return RPCError(f"{prefix}the node refused transaction{shown} from {sender}: {exc}")
    return failure


def is_known(w3: Web3, tx_hash: str, cause: BaseException | None = None) -> bool:
    """Whether the node has ``tx_hash`` (in its pool or mined); RPCError when it cannot say."""
    try:
        w3.eth.get_transaction(cast(Any, tx_hash))
        return True
    except TransactionNotFound:
        return False
    except Exception as exc:  # noqa: BLE001 - the node failed the look-up itself
        after = f" after it answered the send with: {cause}" if cause is not None else ""
        raise RPCError(
            f"could not look transaction {tx_hash} up{after}: {exc}. It may or may not have reached the "
            "node's pool: look it up by its hash before sending anything else from this account"
        ) from exc


def is_known_quietly(w3: Web3, tx_hash: str) -> bool:
    """Whether the node has ``tx_hash``; False also when it cannot be asked."""
    try:
        return is_known(w3, tx_hash)
    except RPCError:
        return False


# -- 5. await --------------------------------------------------------------------------------------


def receipt_of(w3: Web3, tx_hash: str) -> Any | None:
    """The receipt of ``tx_hash``, None while it is not mined."""
    try:
        return w3.eth.get_transaction_receipt(cast(Any, tx_hash))
    except TransactionNotFound:
        return None


def tick(w3: Web3, poll_interval: float) -> None:
    """Let time pass before asking again: the embedded chain mines on demand, a node is waited for."""
    tester = getattr(w3.provider, "ethereum_tester", None)
    if tester is not None:
        tester.mine_blocks()
    else:
        time.sleep(poll_interval)


def await_receipt(
    w3: Web3,
    tx_hash: str,
    *,
    sender: str,
    confirmations: int = 1,
    timeout: float = 120.0,
    poll_interval: float = 0.1,
    when_missing: Callable[[], None] | None = None,
    label: str = "",
) -> Any:
    """The receipt of ``tx_hash`` once it has ``confirmations`` (the including block is one).

    ``when_missing`` is called once, the first time the transaction is neither mined nor known to
    the node (a node restarted without its pool, say): the deployment re-broadcasts its journaled
    bytes there.
    A node lost meanwhile raises RPCError; no receipt in ``timeout`` seconds raises
    TransactionTimeoutError (the transaction may still be mined)."""
    prefix = f"{label}: " if label else ""
    confirmations = max(1, int(confirmations))
    deadline = time.monotonic() + timeout
    while True:
        try:
            receipt = receipt_of(w3, tx_hash)
            if receipt is None and when_missing is not None and not is_known(w3, tx_hash):
                missing, when_missing = when_missing, None
                missing()
            if receipt is not None:
                if confirmations == 1:
                    return receipt
                if int(w3.eth.block_number) >= int(receipt["blockNumber"]) + confirmations - 1:
                    again = receipt_of(w3, tx_hash)
                    if again is not None and again["blockHash"] == receipt["blockHash"]:
                        return again
        except ConsortiumError:  # ours, from ``when_missing`` or a look-up: already named
            raise
        except Exception as exc:  # noqa: BLE001
            raise RPCError(
                f"{prefix}lost the node while waiting for transaction {tx_hash}: {exc}; it may still be mined"
            ) from exc
        if time.monotonic() > deadline:
            raise TransactionTimeoutError(
                f"{prefix}transaction {tx_hash} from {sender} was not mined with {confirmations} "
                f"confirmation(s) within {timeout:g} s; it may still be: look it up by its hash",
                tx_hash,
            )
        tick(w3, poll_interval)


def replayed_revert(w3: Web3, tx_hash: str, block_number: int, errors: ErrorTable) -> str | None:
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


def mined_failure(
    w3: Web3, tx_hash: str, receipt: Any, errors: ErrorTable, label: str = "", gas: int | None = None, hint: str = ""
) -> str:
    """Why a mined transaction failed: its call replayed on the state it ran on, decoded.
    ``label`` (``step 'x'``) names it; ``gas`` is its gas limit, when known; ``hint`` is added when
    the replay gives no reason."""
    used = f"gas used {receipt['gasUsed']}" + (f" of {gas}" if gas is not None else "")
    if label:
        message = f"{label} failed in block {receipt['blockNumber']} (transaction {tx_hash}, {used})"
    else:
        message = f"transaction {tx_hash} failed in block {receipt['blockNumber']} ({used})"
    reason = replayed_revert(w3, tx_hash, int(receipt["blockNumber"]), errors)
    return f"{message}: {reason}" if reason else message + hint
