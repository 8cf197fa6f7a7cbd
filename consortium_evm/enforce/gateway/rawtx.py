"""Decoding a raw transaction (legacy, EIP-2930, EIP-1559 and later typed ones eth_account knows)
and recovering its sender, with eth_account doing both."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account._utils.legacy_transactions import Transaction as LegacyTransaction
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from consortium_evm.errors import ConsortiumError

_HEX = re.compile(r"0x(?:[0-9a-fA-F]{2})+")


class MalformedTransaction(ConsortiumError):
    """A raw transaction that cannot be sent: not hex, not decodable, unsigned, or for another chain."""


@dataclass(frozen=True)
class DecodedTransaction:
    """The fields the account rule is asked about, and the sender recovered from the signature."""

    sender: str
    to: str | None
    """``None`` for a contract creation."""
    value: int
    gas_price: int
    """``gasPrice``, or ``maxFeePerGas`` for EIP-1559 and later types."""
    gas: int
    data: bytes
    chain_id: int | None
    tx_type: int
    tx_hash: str


def parse_hex(param: Any) -> bytes:
    """The bytes of a ``0x``-prefixed, even-length hex string."""
    if not isinstance(param, str):
        raise MalformedTransaction(f"the raw transaction must be a 0x-prefixed hex string, got {type(param).__name__}")
    if not _HEX.fullmatch(param):
        shown = param if len(param) <= 24 else param[:21] + "..."
        raise MalformedTransaction(f"the raw transaction {shown!r} is not 0x-prefixed hex of whole bytes")
    return bytes.fromhex(param[2:])


def decode_raw_transaction(param: Any, chain_id: int) -> DecodedTransaction:
    """Decode ``param`` (the first parameter of ``eth_sendRawTransaction``) and recover its
    sender; a transaction for another chain, or a legacy one without a chain id (replayable on any
    chain), is refused as malformed."""
    raw = parse_hex(param)
    fields: dict[str, Any]
    try:
        if raw[0] <= 0x7F:
            typed = TypedTransaction.from_bytes(HexBytes(raw))
            fields = dict(typed.as_dict())
            tx_type = int(typed.transaction_type)
            tx_chain: int | None = int(fields["chainId"])
        else:
            fields = dict(LegacyTransaction.from_bytes(raw).as_dict())
            tx_type = 0
            v = int(fields["v"])
            tx_chain = (v - 35) // 2 if v >= 35 else None
    except Exception as exc:  # noqa: BLE001 - rlp and eth_account raise many types for bad bytes
        raise MalformedTransaction(f"the raw transaction does not decode: {_reason(exc)}") from None
    if int(fields.get("r", 0)) == 0 or int(fields.get("s", 0)) == 0:
        raise MalformedTransaction("the raw transaction is not signed")
    if tx_chain is None:
        raise MalformedTransaction(
            "the raw transaction has no chain id (a pre-EIP-155 signature, valid on any chain): sign it with "
            f"chain id {chain_id}"
        )
    if tx_chain != chain_id:
        raise MalformedTransaction(f"the raw transaction is for chain id {tx_chain}, this network's is {chain_id}")
    try:
        sender = str(Account.recover_transaction(raw))
    except Exception as exc:  # noqa: BLE001 - a bad signature is reported in several ways
        raise MalformedTransaction(f"the raw transaction's signature does not recover a sender: {_reason(exc)}") from None
    to_bytes = bytes(fields.get("to") or b"")
    if to_bytes and len(to_bytes) != 20:
        raise MalformedTransaction(f"the raw transaction's recipient is {len(to_bytes)} bytes long, not 20")
    gas_price = fields["gasPrice"] if "gasPrice" in fields else fields.get("maxFeePerGas", 0)
    return DecodedTransaction(
        sender=sender,
        to=to_checksum_address(to_bytes) if to_bytes else None,
        value=int(fields.get("value", 0)),
        gas_price=int(gas_price),
        gas=int(fields.get("gas", 0)),
        data=bytes(fields.get("data") or b""),
        chain_id=tx_chain,
        tx_type=tx_type,
        tx_hash="0x" + keccak(raw).hex(),
    )


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
