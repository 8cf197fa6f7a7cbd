"""The gateway's own decoder of legacy, EIP-2930 and EIP-1559 transactions (rlp + libsecp256k1)
against eth_account's, the reference: the same fields and sender for every kind and shape, the
same refusals for broken ones."""

from __future__ import annotations

import random
from typing import Any

import pytest
import rlp
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from consortium_evm.enforce.gateway.rawtx import (
    MalformedTransaction,
    _top_items,
    decode_raw_transaction,
    decode_with_eth_account,
)

CHAIN_ID = 4242


def _transactions() -> list[tuple[str, str]]:
    rng = random.Random(16)
    made: list[tuple[str, str]] = []
    for index in range(60):
        account = Account.from_key(rng.randbytes(32))
        kind = index % 3
        tx: dict[str, Any] = {
            "nonce": rng.choice([0, 1, 255, 256, 2**40]), "gas": rng.choice([21000, 30_000_000]),
            "value": rng.choice([0, 1, 10**18, 2**200]), "chainId": CHAIN_ID,
            "data": rng.randbytes(rng.choice([0, 1, 4, 100, 300])),
        }
        if index % 5:
            tx["to"] = Account.from_key(rng.randbytes(32)).address
        if kind == 2:
            tx.update(type=2, maxFeePerGas=rng.choice([0, 7, 3 * 10**9]), maxPriorityFeePerGas=rng.choice([0, 10**9]))
        else:
            tx["gasPrice"] = rng.choice([0, 1, 2 * 10**9])
        if kind in (1, 2) and index % 2:
            tx["accessList"] = [{"address": account.address, "storageKeys": ["0x" + "ab" * 32, "0x" + "00" * 32]}]
        if kind == 1:
            tx.update(type=1, accessList=tx.get("accessList", []))
        made.append((f"type{kind}-{index}", "0x" + account.sign_transaction(tx).raw_transaction.hex()))
    return made


TRANSACTIONS = _transactions()


@pytest.mark.parametrize(("name", "raw"), TRANSACTIONS, ids=[n for n, _ in TRANSACTIONS])
def test_the_fast_decoder_agrees_with_eth_account(name: str, raw: str) -> None:
    fast = decode_raw_transaction(raw, CHAIN_ID)
    reference = decode_with_eth_account(bytes.fromhex(raw[2:]), CHAIN_ID)
    assert fast == reference
    assert fast.tx_type == int(name[4])


def test_a_wrong_chain_and_a_bad_signature_are_refused_alike() -> None:
    _, raw = TRANSACTIONS[2]  # EIP-1559
    for decode in (lambda r: decode_raw_transaction("0x" + r.hex(), CHAIN_ID), lambda r: decode_with_eth_account(r, CHAIN_ID)):
        with pytest.raises(MalformedTransaction, match="chain id 4242, this network's is 1"):
            decode_raw_transaction(raw, 1)
        items = rlp.decode(bytes.fromhex(raw[4:]))
        items[-1] = (2**256 - 1).to_bytes(32, "big")  # s out of range
        with pytest.raises(MalformedTransaction, match="does not recover a sender"):
            decode(b"\x02" + rlp.encode(items))
        items[-3] = b"\x05"  # y parity 5
        with pytest.raises(MalformedTransaction):
            decode(b"\x02" + rlp.encode(items))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda items: items[:-1],  # an item missing
        lambda items: [*items[:1], b"\x00\x01", *items[2:]],  # a chain id with a leading zero
        lambda items: [*items[:8], [b"\x01"], *items[9:]],  # an access list that is not [[address, [keys]]]
        lambda items: [*items[:5], b"\x01" * 19, *items[6:]],  # a 19-byte recipient
        lambda items: [*items[:7], [b"data"], *items[8:]],  # data that is a list
    ],
    ids=["short", "leading-zero", "access-list", "recipient", "data-list"],
)
def test_broken_eip1559_transactions_are_refused_by_both(mangle: Any) -> None:
    _, raw = TRANSACTIONS[2]
    broken = b"\x02" + rlp.encode(mangle(rlp.decode(bytes.fromhex(raw[4:]))))
    with pytest.raises(MalformedTransaction):
        decode_raw_transaction("0x" + broken.hex(), CHAIN_ID)
    with pytest.raises(MalformedTransaction):
        decode_with_eth_account(broken, CHAIN_ID)


_ITEMS = st.recursive(st.binary(max_size=8) | st.binary(min_size=50, max_size=70),
                      lambda inner: st.lists(inner, max_size=5), max_leaves=12)
"""Strings and nested lists, short and long (a long item's length has its own prefix)."""


@settings(max_examples=200, deadline=None)
@given(st.lists(_ITEMS, max_size=14))
def test_the_list_walk_reads_what_rlp_decodes(items: list[Any]) -> None:
    """The decoder's own walk over a transaction's list gives ``rlp.decode``'s items, and each
    item's end, for any list of strings and nested lists (long ones included)."""
    encoded = rlp.encode(items)
    got, ends = _top_items(encoded)
    assert got == rlp.decode(encoded)
    assert len(ends) == len(items) and (not ends or ends[-1] == len(encoded))
    for index, end in enumerate(ends):
        start = ends[index - 1] if index else len(encoded) - len(b"".join(rlp.encode(i) for i in items))
        assert rlp.decode(encoded[start:end]) == items[index]


@settings(max_examples=300, deadline=None)
@given(st.lists(_ITEMS, min_size=1, max_size=6), st.data())
def test_the_list_walk_refuses_what_rlp_refuses(items: list[Any], data: st.DataObject) -> None:
    """A byte changed, cut or added anywhere: the walk refuses exactly what ``rlp.decode`` refuses
    as one list, and reads the same items from what it accepts."""
    encoded = bytearray(rlp.encode(items))
    how = data.draw(st.sampled_from(["change", "cut", "add"]))
    at = data.draw(st.integers(0, len(encoded) - 1))
    if how == "change":
        encoded[at] = data.draw(st.integers(0, 255))
    elif how == "cut":
        del encoded[at:]
    else:
        encoded.insert(at, data.draw(st.integers(0, 255)))
    try:
        expected = rlp.decode(bytes(encoded))
    except Exception:  # noqa: BLE001 - rlp refuses in several ways
        expected = None
    try:
        got: Any = _top_items(bytes(encoded))[0]
    except Exception:  # noqa: BLE001
        got = None
    if not isinstance(expected, list):
        expected = None  # a lone string is not a transaction: the walk refuses it
    assert got == expected


def _encode_oddly(item: Any, data: st.DataObject) -> bytes:
    """``item`` encoded canonically or, as ``data`` picks, in one of the forms RLP forbids (a byte
    below 0x80 as a string, a long prefix for a short item, a length with a leading zero)."""
    if isinstance(item, list):
        body, base, short = b"".join(_encode_oddly(i, data) for i in item), 0xC0, 0xF7
    else:
        body, base, short = item, 0x80, 0xB7
        if len(item) == 1 and item[0] < 0x80 and data.draw(st.booleans()):
            return b"\x81" + item
    form = data.draw(st.sampled_from(["canonical", "canonical", "long", "zero"]))
    if form == "canonical" and not (base == 0x80 and len(body) == 1 and body[0] < 0x80):
        return bytes(rlp.codec.length_prefix(len(body), base)) + body
    if form == "canonical":
        return body
    size = len(body).to_bytes(max(1, (len(body).bit_length() + 7) // 8), "big")
    if form == "zero":
        size = b"\x00" + size
    return bytes([short + len(size)]) + size + body


@settings(max_examples=300, deadline=None)
@given(st.lists(_ITEMS, min_size=1, max_size=6), st.data())
def test_the_list_walk_refuses_the_encodings_rlp_forbids(items: list[Any], data: st.DataObject) -> None:
    """Items (and the list) encoded in forms RLP forbids: the walk refuses where ``rlp.decode``
    refuses, and reads the same items where it reads them."""
    encoded = _encode_oddly(items, data)
    try:
        expected = rlp.decode(encoded)
    except Exception:  # noqa: BLE001 - rlp refuses in several ways
        expected = None
    try:
        got: Any = _top_items(encoded)[0]
    except Exception:  # noqa: BLE001
        got = None
    assert got == expected


@pytest.mark.parametrize("encoded", [
    "c28105",  # a byte below 0x80 written as a one-byte string
    "c3b80141",  # a long string prefix for a one-byte string
    "f83bb900" + "38" + "41" * 56,  # a long string's length with a leading zero
    "f80105",  # a long list prefix for a short list
    "f90038" + "05" * 56,  # a long list's length with a leading zero
    "c28301",  # an item that runs past the end of its list
    "c10506",  # a byte after the list
    "c0c0",  # two lists
    "",  # nothing
    "c1b8",  # a long prefix cut short
], ids=lambda e: e[:12] or "empty")
def test_the_list_walk_refuses_each_encoding_rlp_forbids(encoded: str) -> None:
    with pytest.raises(Exception):
        rlp.decode(bytes.fromhex(encoded))
    with pytest.raises(rlp.DecodingError if encoded else IndexError):
        _top_items(bytes.fromhex(encoded))


def test_the_sender_is_the_same_with_either_keccak(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the `gateway` extra's C keccak (safe-pysha3) and without it (eth_hash), the same sender."""
    from consortium_evm.enforce.gateway import rawtx

    _, raw = TRANSACTIONS[0]
    with_extra = decode_raw_transaction(raw, CHAIN_ID)
    monkeypatch.setattr(rawtx, "_keccak_256", None)
    assert decode_raw_transaction(raw, CHAIN_ID) == with_extra
