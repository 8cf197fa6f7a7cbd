"""What a remote signer returns is checked before anything is broadcast.

A remote signer gets the fields of a transaction and answers with signed bytes. Clef's rules or
its operator may change a transaction before signing it (Clef signs "the one that was returned
from the UI"), Web3Signer signs with the chain id it was started with, and a misconfigured or
compromised signer could return anything. So the bytes are decoded, every signed-over field is
compared with the one asked for, and the sender is recovered from the signature: only a
transaction that is exactly the one asked for, signed by the account, is returned.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import rlp
from eth_account import Account
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3

from consortium_evm.errors import SignerError, SignerMismatchError


@dataclass(frozen=True)
class TransactionFields:
    """The signed-over fields of a transaction, in one form for what was asked and what came back."""

    type: int
    chain_id: int | None
    nonce: int
    gas: int
    gas_price: int | None
    max_fee_per_gas: int | None
    max_priority_fee_per_gas: int | None
    to: str | None
    value: int
    data: bytes
    access_list: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class RemoteSignedTransaction:
    """A transaction a remote signer signed and that was checked: what ``sign_transaction`` of a
    :class:`~consortium_evm.tx.signer.TransactionSigner` returns."""

    raw_transaction: bytes
    hash: bytes
    sender: str


_REQUIRED = ("nonce", "gas", "chainId")


def requested_fields(transaction: Any, *, url: str, account: str) -> TransactionFields:
    """The fields of a transaction to sign (as the pipeline passes them: ``nonce``, ``gas``, the fee
    fields, ``chainId``, ``to``, ``value``, ``data``), checked to be complete enough to verify."""
    tx = dict(transaction)
    missing = [k for k in _REQUIRED if tx.get(k) is None]
    if "gasPrice" not in tx and "maxFeePerGas" not in tx:
        missing.append("gasPrice or maxFeePerGas")
    if missing:
        raise SignerError(
            f"a transaction for the remote signer at {url} (account {account}) lacks {', '.join(missing)}: "
            "a remote signer is given complete transactions only",
            url, account,
        )
    dynamic = tx.get("maxFeePerGas") is not None
    access = tx.get("accessList")
    kind = 2 if dynamic else (1 if access else 0)
    if "type" in tx and _int(tx["type"]) != kind:
        kind = _int(tx["type"])
    to = tx.get("to")
    return TransactionFields(
        type=kind,
        chain_id=_int(tx["chainId"]),
        nonce=_int(tx["nonce"]),
        gas=_int(tx["gas"]),
        gas_price=None if dynamic else _int(tx.get("gasPrice", 0)),
        max_fee_per_gas=_int(tx["maxFeePerGas"]) if dynamic else None,
        max_priority_fee_per_gas=_int(tx.get("maxPriorityFeePerGas", 0)) if dynamic else None,
        to=Web3.to_checksum_address(to) if to else None,
        value=_int(tx.get("value", 0)),
        data=bytes(HexBytes(tx.get("data", tx.get("input", b"")) or b"")),
        access_list=_access_list(access or ()),
    )


def decode_signed(raw: bytes) -> tuple[TransactionFields, str]:
    """The fields of a signed transaction and its recovered sender; a ValueError when the bytes are
    not a signed legacy, EIP-2930 or EIP-1559 transaction."""
    if not raw:
        raise ValueError("empty transaction")
    sender = str(Account.recover_transaction(raw))
    if raw[0] >= 0xC0:  # legacy: an RLP list
        items = rlp.decode(raw)
        if not isinstance(items, list) or len(items) != 9:
            raise ValueError("not a legacy transaction")
        nonce, gas_price, gas, to, value, data, v = (bytes(x) for x in items[:7])
        v_int = _be(v)
        chain_id = (v_int - 35) // 2 if v_int >= 35 else None
        return TransactionFields(
            type=0, chain_id=chain_id, nonce=_be(nonce), gas=_be(gas), gas_price=_be(gas_price),
            max_fee_per_gas=None, max_priority_fee_per_gas=None,
            to=Web3.to_checksum_address(to) if to else None, value=_be(value), data=data,
        ), sender
    decoded = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
    kind = int(decoded["type"])
    if kind not in (1, 2):
        raise ValueError(f"a transaction of type {kind}")
    to_bytes = bytes(decoded.get("to") or b"")
    return TransactionFields(
        type=kind,
        chain_id=int(decoded["chainId"]),
        nonce=int(decoded["nonce"]),
        gas=int(decoded["gas"]),
        gas_price=int(decoded["gasPrice"]) if kind == 1 else None,
        max_fee_per_gas=int(decoded["maxFeePerGas"]) if kind == 2 else None,
        max_priority_fee_per_gas=int(decoded["maxPriorityFeePerGas"]) if kind == 2 else None,
        to=Web3.to_checksum_address(to_bytes) if to_bytes else None,
        value=int(decoded["value"]),
        data=bytes(decoded["data"]),
        access_list=_access_list(decoded.get("accessList") or ()),
    ), sender


def check_signed(raw: bytes, asked: TransactionFields, *, url: str, account: str, what: str) -> RemoteSignedTransaction:
    """``raw`` as a checked transaction: exactly ``asked``, signed by ``account``; else a
    SignerMismatchError naming each difference (``what`` names the signer: "the Clef signer")."""
    try:
        got, sender = decode_signed(raw)
    except Exception as exc:  # noqa: BLE001 - rlp, eth-account and hexbytes raise their own types
        raise SignerMismatchError(
            f"{what} at {url} returned bytes that are not a signed transaction for account {account} "
            f"({exc}); nothing was sent",
            url, account,
        ) from None
    differences = [
        f"{f.name} (asked {getattr(asked, f.name)!r}, signed {getattr(got, f.name)!r})"
        for f in fields(TransactionFields)
        if getattr(asked, f.name) != getattr(got, f.name)
    ]
    if differences:
        hint = ""
        if asked.chain_id != got.chain_id:
            hint = f"; configure the signer for chain id {asked.chain_id}"
        raise SignerMismatchError(
            f"{what} at {url} signed another transaction than asked for account {account}: "
            f"{'; '.join(differences)}{hint}; nothing was sent",
            url, account,
        )
    if sender.lower() != account.lower():
        raise SignerMismatchError(
            f"{what} at {url} returned a transaction signed by {sender}, not by account {account}; "
            "nothing was sent",
            url, account,
        )
    return RemoteSignedTransaction(raw_transaction=raw, hash=bytes(keccak(raw)), sender=Web3.to_checksum_address(sender))


def _int(value: Any) -> int:
    if isinstance(value, str):
        return int(value, 16) if value.lower().startswith("0x") else int(value)
    return int(value)


def _be(data: bytes) -> int:
    return int.from_bytes(data, "big")


def _access_list(entries: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    out = []
    for entry in entries:
        address = Web3.to_checksum_address(entry["address"])
        keys = tuple("0x" + bytes(HexBytes(k)).hex() for k in entry.get("storageKeys", ()))
        out.append((address, keys))
    return tuple(out)
