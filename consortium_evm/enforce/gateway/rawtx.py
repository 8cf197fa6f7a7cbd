"""Decoding a raw transaction (legacy, EIP-2930, EIP-1559 and later typed ones eth_account knows)
and recovering its sender.

Legacy (EIP-155), EIP-2930 and EIP-1559 transactions, nearly every send, are decoded here with
``rlp`` and their sender recovered with libsecp256k1 (``coincurve``): eth_account's typed
transaction classes cost ~4 ms of CPU per decode, and it decodes twice to recover (measured in
``scripts/gateway_bench.py --profile``: 13 ms per send of the gateway's CPU). The signed payload
is the transaction's own bytes re-wrapped (no re-encoding), and the checksummed addresses and the
hash are worked out only when asked for: ~0.1 ms per transaction (docs/NOTES.md, session 5).
Other types (blob, set-code, ...) go through eth_account as before. The unit tests check the two
decoders agree field for field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import coincurve
import rlp
from rlp.codec import length_prefix
from eth_account import Account
from eth_keys.constants import SECPK1_N
from eth_account._utils.legacy_transactions import Transaction as LegacyTransaction
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_utils.address import to_checksum_address
from eth_hash.auto import keccak as _eth_hash_keccak
from hexbytes import HexBytes

from consortium_evm.errors import ConsortiumError

try:  # a C keccak (safe-pysha3, the `gateway` extra): a seventh of eth_hash's cost per call, and a send needs two
    from sha3 import keccak_256 as _keccak_256  # type: ignore[import-not-found, import-untyped, unused-ignore]
except ImportError:
    _keccak_256 = None


def keccak(data: bytes) -> bytes:
    """Keccak-256 of ``data``."""
    if _keccak_256 is not None:
        return bytes(_keccak_256(data).digest())
    return _eth_hash_keccak(data)


class MalformedTransaction(ConsortiumError):
    """A raw transaction that cannot be sent: not hex, not decodable, unsigned, or for another chain."""


@dataclass(frozen=True)
class DecodedTransaction:
    """The fields the account rule is asked about, and the sender recovered from the signature."""

    sender_bytes: bytes
    """The sender's 20 bytes (:attr:`sender` checksummed)."""
    to_bytes: bytes | None
    """The recipient's 20 bytes, ``None`` for a contract creation (:attr:`to` checksummed)."""
    value: int
    gas_price: int
    """``gasPrice``, or ``maxFeePerGas`` for EIP-1559 and later types."""
    gas: int
    data: bytes
    chain_id: int | None
    tx_type: int
    raw: bytes = field(repr=False)

    @cached_property
    def sender(self) -> str:
        """The sender, checksummed."""
        return str(to_checksum_address(self.sender_bytes))

    @cached_property
    def to(self) -> str | None:
        """The recipient, checksummed; ``None`` for a contract creation."""
        return str(to_checksum_address(self.to_bytes)) if self.to_bytes is not None else None

    @cached_property
    def tx_hash(self) -> str:
        """The transaction's hash."""
        return "0x" + keccak(self.raw).hex()


def parse_hex(param: Any) -> bytes:
    """The bytes of a ``0x``-prefixed, even-length hex string."""
    if not isinstance(param, str):
        raise MalformedTransaction(f"the raw transaction must be a 0x-prefixed hex string, got {type(param).__name__}")
    try:
        raw = bytes.fromhex(param[2:]) if param.startswith("0x") and param.isascii() else None
    except ValueError:
        raw = None
    if not raw or 2 * len(raw) + 2 != len(param):  # fromhex skips whitespace: the length says there was none
        shown = param if len(param) <= 24 else param[:21] + "..."
        raise MalformedTransaction(f"the raw transaction {shown!r} is not 0x-prefixed hex of whole bytes")
    return raw


_FIELDS = {
    # type: (number of RLP items, index of the gas price, of the gas limit, of ``to``; the signed part)
    0: (9, 1, 2, 3, 6),
    1: (11, 2, 3, 4, 8),
    2: (12, 3, 4, 5, 9),
}
_INT_FIELDS = {0: (0, 1, 2, 4, 6, 7, 8), 1: (0, 1, 2, 3, 5, 8, 9, 10), 2: (0, 1, 2, 3, 4, 6, 9, 10, 11)}


def decode_raw_transaction(param: Any, chain_id: int) -> DecodedTransaction:
    """Decode ``param`` (the first parameter of ``eth_sendRawTransaction``) and recover its
    sender; a transaction for another chain, or a legacy one without a chain id (replayable on any
    chain), is refused as malformed."""
    raw = parse_hex(param)
    if raw and (raw[0] >= 0xC0 or raw[0] in (1, 2)):
        return _decode_common(raw, chain_id)
    return decode_with_eth_account(raw, chain_id)


def _decode_common(raw: bytes, chain_id: int) -> DecodedTransaction:
    """Legacy, EIP-2930 and EIP-1559 transactions, decoded with ``rlp``, the sender recovered with
    libsecp256k1."""
    tx_type = 0 if raw[0] >= 0xC0 else raw[0]
    count, price_at, gas_at, to_at, signed = _FIELDS[tx_type]
    payload = raw if tx_type == 0 else raw[1:]
    try:
        items, ends = _top_items(payload)
    except Exception as exc:  # noqa: BLE001 - rlp raises several kinds for bad bytes
        raise MalformedTransaction(f"the raw transaction does not decode: {_reason(exc)}") from None
    if len(items) != count:
        raise MalformedTransaction(f"the raw transaction does not decode: a type-{tx_type} transaction is a list of "
                                   f"{count} items")
    numbers = [0] * count
    for index in _INT_FIELDS[tx_type]:
        item = items[index]
        if not isinstance(item, bytes) or item[:1] == b"\x00":
            raise MalformedTransaction("the raw transaction does not decode: an integer field is not a "
                                       "canonical big-endian number")
        if len(item) > 32:
            raise MalformedTransaction("the raw transaction does not decode: an integer field is over 256 bits")
        numbers[index] = int.from_bytes(item, "big")
    if not isinstance(items[to_at], bytes) or not isinstance(items[to_at + 2], bytes):  # the recipient, the data
        raise MalformedTransaction("the raw transaction does not decode: a field that holds bytes is a list")
    if tx_type:
        _check_access_list(items[count - 4])
    v, r, s = numbers[-3:]
    if r == 0 or s == 0:
        raise MalformedTransaction("the raw transaction is not signed")
    if tx_type == 0:
        if v < 35:
            raise MalformedTransaction(
                "the raw transaction has no chain id (a pre-EIP-155 signature, valid on any chain): sign it with "
                f"chain id {chain_id}"
            )
        tx_chain, parity = (v - 35) // 2, (v - 35) % 2
        unsigned = _rewrap(payload, ends[5], bytes(rlp.encode(tx_chain)) + b"\x80\x80")
    else:
        tx_chain, parity = numbers[0], v
        if parity > 1:
            raise MalformedTransaction(f"the raw transaction's signature does not recover a sender: y parity {parity}")
        unsigned = bytes([tx_type]) + _rewrap(payload, ends[signed - 1], b"")
    if tx_chain != chain_id:
        raise MalformedTransaction(f"the raw transaction is for chain id {tx_chain}, this network's is {chain_id}")
    if r >= SECPK1_N or s >= SECPK1_N:
        raise MalformedTransaction("the raw transaction's signature does not recover a sender: r or s is out of range")
    try:
        public = coincurve.PublicKey.from_signature_and_message(
            r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([parity]), keccak(unsigned), hasher=None
        )
    except Exception as exc:  # noqa: BLE001 - libsecp256k1 reports a bad signature as ValueError or similar
        raise MalformedTransaction(f"the raw transaction's signature does not recover a sender: {_reason(exc)}") from None
    to_bytes = items[to_at]
    if to_bytes and len(to_bytes) != 20:
        raise MalformedTransaction(f"the raw transaction's recipient is {len(to_bytes)} bytes long, not 20")
    return DecodedTransaction(
        sender_bytes=bytes(keccak(public.format(compressed=False)[1:])[12:]),
        to_bytes=bytes(to_bytes) if to_bytes else None,
        value=numbers[to_at + 1],
        gas_price=numbers[price_at],
        gas=numbers[gas_at],
        data=bytes(items[to_at + 2]),
        chain_id=tx_chain,
        tx_type=tx_type,
        raw=raw,
    )


def _top_items(payload: bytes) -> tuple[list[Any], list[int]]:
    """The items of the RLP list ``payload`` (bytes, or a nested list decoded by ``rlp``), and
    where each ends, in one walk over the list's own encoding. Anything but exactly one list,
    canonically encoded, raises ``rlp.DecodingError``, as ``rlp.decode`` would (a property test
    holds the two to the same answers). Written out because ``rlp.decode`` also rebuilds every
    item's encoding, which the check never reads: it was half of the decode's time."""
    size = len(payload)
    length, position = _prefix(payload, 0, size)
    if length < 0 or position + length != size:
        raise rlp.DecodingError("not exactly one RLP list", payload)
    items: list[Any] = []
    ends: list[int] = []
    while position < size:
        b0 = payload[position]
        if b0 < 0x80:  # a byte below 0x80 is itself (the common cases inline: this loop is the decode's hot path)
            start, end, nested = position, position + 1, False
        elif b0 < 0xB8 and b0 != 0x81:  # a short string (0x81 needs the canonical check of _prefix)
            start = position + 1
            end, nested = start + b0 - 0x80, False
        else:
            length, start = _prefix(payload, position, size)
            end, nested = start + (length if length >= 0 else -1 - length), length >= 0
        if end > size:
            raise rlp.DecodingError("an item runs past the end of its list", payload)
        items.append(rlp.decode(payload[position:end]) if nested else payload[start:end])
        ends.append(end)
        position = end
    return items, ends


def _prefix(data: bytes, at: int, size: int) -> tuple[int, int]:
    """The RLP prefix at ``at``: the payload's length (a list's as is, a string's as ``-1 -
    length``) and where the payload starts; a non-canonical prefix raises."""
    b0 = data[at]
    if b0 < 0x80:
        return -2, at  # a single byte is its own payload
    if b0 < 0xB8:
        if b0 == 0x81 and (at + 1 >= size or data[at + 1] < 0x80):
            raise rlp.DecodingError("a single byte below 0x80 encoded as a string", data)
        return -1 - (b0 - 0x80), at + 1
    if 0xC0 <= b0 < 0xF8:
        return b0 - 0xC0, at + 1
    count = b0 - (0xB7 if b0 < 0xC0 else 0xF7)
    if at + 1 + count > size or data[at + 1] == 0:
        raise rlp.DecodingError("a long length that is cut short or starts with zero", data)
    length = int.from_bytes(data[at + 1:at + 1 + count], "big")
    if length < 56:
        raise rlp.DecodingError("a long length prefix for a short item", data)
    return (length if b0 >= 0xC0 else -1 - length), at + 1 + count


def _rewrap(payload: bytes, last_end: int, tail: bytes) -> bytes:
    """The RLP list of the items of the list ``payload`` up to the one ending at ``last_end`` (as
    they are encoded there) followed by the encoded ``tail``: a signed transaction's signing
    payload, taken from its own bytes instead of encoded again."""
    _, start = _prefix(payload, 0, len(payload))
    body = payload[start:last_end] + tail
    return bytes(length_prefix(len(body), 0xC0)) + body


def _check_access_list(access_list: Any) -> None:
    if not isinstance(access_list, list) or any(
        not isinstance(entry, list) or len(entry) != 2 or not isinstance(entry[0], bytes) or len(entry[0]) != 20
        or not isinstance(entry[1], list) or any(not isinstance(k, bytes) or len(k) != 32 for k in entry[1])
        for entry in access_list
    ):
        raise MalformedTransaction("the raw transaction does not decode: its access list is not a list of "
                                   "[address, [storage keys]]")


def decode_with_eth_account(raw: bytes, chain_id: int) -> DecodedTransaction:
    """The same, with eth_account doing the decoding and the recovery (every type it knows; the
    reference the fast path is tested against)."""
    if not raw:
        raise MalformedTransaction("the raw transaction does not decode: it is empty")
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
        sender_bytes=bytes.fromhex(sender[2:]),
        to_bytes=to_bytes or None,
        value=int(fields.get("value", 0)),
        gas_price=int(gas_price),
        gas=int(fields.get("gas", 0)),
        data=bytes(fields.get("data") or b""),
        chain_id=tx_chain,
        tx_type=tx_type,
        raw=raw,
    )


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
