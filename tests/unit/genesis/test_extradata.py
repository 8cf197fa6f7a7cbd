"""IBFT 2.0 and QBFT genesis extra data against the published vectors, and decoded back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consortium_evm.errors import ConfigError
from consortium_evm.genesis.extradata import (
    clique_extra_data,
    clique_signers_from_extra_data,
    decode_bft_extra_data,
    ibft2_extra_data,
    qbft_extra_data,
)

SHARED_VECTORS = Path(__file__).resolve().parents[4] / "shared" / "vectors" / "extradata.json"

# Copied from ../shared/vectors/extradata.json (its sources: Besu's documented IBFT 2.0 genesis
# example; GoQuorum's QBFT header extra-data test, ApplyHeaderQBFTExtra), so that the test runs
# without the shared folder; when the folder is there the test also reads it.
VECTORS: dict[str, list[dict[str, Any]]] = {
    "ibft2": [
        {
            "validators": ["0xc2ab482b506de561668e07f04547232a72897daf"],
            "extraData": "0xf83ea00000000000000000000000000000000000000000000000000000000000000000d594c2ab482b506de561668e07f04547232a72897daf808400000000c0",
            "source": "Besu documentation, IBFT 2.0 genesis example",
        }
    ],
    "qbft": [
        {
            "validators": [
                "0x44add0ec310f115a0e603b2d7db9f067778eaf8a",
                "0x294fc7e8f22b3bcdcf955dd7ff3ba2ed833f8212",
                "0x6beaaed781d2d2ab6350f5c4566a2c6eaac407a6",
                "0x8be76812f765c24641ec63dc2852b378aba2b440",
            ],
            "extraData": "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f8549444add0ec310f115a0e603b2d7db9f067778eaf8a94294fc7e8f22b3bcdcf955dd7ff3ba2ed833f8212946beaaed781d2d2ab6350f5c4566a2c6eaac407a6948be76812f765c24641ec63dc2852b378aba2b440c080c0",
            "source": "GoQuorum QBFT header extra-data test (ApplyHeaderQBFTExtra)",
        }
    ],
}
QBFT_CONTRACT_MODE = "0xe5a00000000000000000000000000000000000000000000000000000000000000000c0c080c0"
"""Besu's documented QBFT genesis for contract validator selection (no validators in the extra data)."""


def vectors(kind: str) -> list[dict[str, Any]]:
    found = list(VECTORS[kind])
    if SHARED_VECTORS.is_file():
        for vector in json.loads(SHARED_VECTORS.read_text())[kind]:
            if vector not in found:
                found.append(vector)
    return found


@pytest.mark.parametrize("vector", vectors("ibft2"), ids=lambda v: v["source"])
def test_ibft2_encoding_matches_the_published_vector(vector: dict[str, Any]) -> None:
    assert ibft2_extra_data(vector["validators"]) == vector["extraData"]
    decoded = decode_bft_extra_data(vector["extraData"], "ibft2")
    assert list(decoded.validators) == vector["validators"]
    assert (decoded.vanity, decoded.vote, decoded.round, decoded.seals) == (b"\x00" * 32, None, 0, ())


@pytest.mark.parametrize("vector", vectors("qbft"), ids=lambda v: v["source"])
def test_qbft_encoding_matches_the_published_vector(vector: dict[str, Any]) -> None:
    assert qbft_extra_data(vector["validators"]) == vector["extraData"]
    decoded = decode_bft_extra_data(vector["extraData"], "qbft")
    assert list(decoded.validators) == vector["validators"]
    assert (decoded.vote, decoded.round, decoded.seals) == (None, 0, ())


def test_qbft_contract_mode_genesis_has_no_validators_as_besu_documents() -> None:
    assert qbft_extra_data([]) == QBFT_CONTRACT_MODE
    assert decode_bft_extra_data(QBFT_CONTRACT_MODE, "qbft").validators == ()


def test_the_two_encodings_are_not_interchangeable() -> None:
    ibft = VECTORS["ibft2"][0]["extraData"]
    with pytest.raises(ConfigError, match="QBFT extraData vote must be a list"):
        decode_bft_extra_data(ibft, "qbft")
    with pytest.raises(ConfigError, match="round must be 4 bytes"):
        decode_bft_extra_data(VECTORS["qbft"][0]["extraData"], "ibft2")


@pytest.mark.parametrize(
    ("extra", "message"),
    [("0xzz", "not an RLP"), ("0xc0", "list of 5 items"), ("0xc580c0c080c0", "vanity must be 32 bytes")],
)
def test_malformed_extra_data_is_refused(extra: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        decode_bft_extra_data(extra, "qbft")


def test_bad_validator_lists_are_refused() -> None:
    with pytest.raises(ConfigError, match="at least one validator"):
        ibft2_extra_data([])
    with pytest.raises(ConfigError, match="duplicates"):
        qbft_extra_data(["0x" + "11" * 20, "0x" + "11" * 20])
    with pytest.raises(ConfigError, match="not an address"):
        ibft2_extra_data(["0x1234"])


addresses = st.lists(st.binary(min_size=20, max_size=20), min_size=1, max_size=12, unique=True).map(
    lambda raw: ["0x" + r.hex() for r in raw]
)


@given(addresses, st.binary(max_size=32))
def test_ibft2_and_qbft_round_trip(validators: list[str], vanity: bytes) -> None:
    for kind, encode in (("ibft2", ibft2_extra_data), ("qbft", qbft_extra_data)):
        decoded = decode_bft_extra_data(encode(validators, vanity), kind)  # type: ignore[arg-type]
        assert list(decoded.validators) == validators
        assert decoded.vanity == vanity.ljust(32, b"\x00")


@given(addresses)
def test_clique_round_trip_through_the_shared_module(validators: list[str]) -> None:
    assert clique_signers_from_extra_data(clique_extra_data(validators)) == sorted(validators)
