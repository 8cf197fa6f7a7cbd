"""The gateway's own decoder of legacy, EIP-2930 and EIP-1559 transactions (rlp + libsecp256k1)
against eth_account's, the reference: the same fields and sender for every kind and shape, the
same refusals for broken ones."""

from __future__ import annotations

import random
from typing import Any

import pytest
import rlp
from eth_account import Account

from consortium_evm.enforce.gateway.rawtx import MalformedTransaction, decode_raw_transaction, decode_with_eth_account

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
