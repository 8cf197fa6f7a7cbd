"""The Clique genesis generator against the EIP-225 extraData layout and geth's genesis format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consortium_evm.errors import ConfigError
from consortium_evm.genesis.clique import (
    SEAL_LENGTH,
    VANITY_LENGTH,
    clique_extra_data,
    clique_genesis,
    clique_signers_from_extra_data,
    fork_blocks,
    sorted_signers,
)
from consortium_evm.node.geth import CLIQUE_EVM_VERSIONS

SHARED_VECTORS = Path(__file__).resolve().parents[4] / "shared" / "vectors" / "extradata.json"

# A copy of the Clique vector in ../shared/vectors/extradata.json ("geth Clique genesis layout
# (EIP-225): vanity || signers || 65-byte seal"), so the test also runs without the shared folder.
EMBEDDED_CLIQUE_VECTORS: list[dict[str, Any]] = [
    {
        "signers": ["0xc2ab482b506de561668e07f04547232a72897daf"],
        "extraData": "0x" + "00" * 32 + "c2ab482b506de561668e07f04547232a72897daf" + "00" * 65,
        "source": "geth Clique genesis layout (EIP-225): vanity || signers || 65-byte seal",
    }
]


def _clique_vectors() -> list[dict[str, Any]]:
    if SHARED_VECTORS.is_file():
        vectors = json.loads(SHARED_VECTORS.read_text())["clique"]
        assert vectors, "the shared vectors file has no clique entries"
        return list(vectors)
    return EMBEDDED_CLIQUE_VECTORS


A = "0x" + "11" * 20
B = "0x" + "0a" * 20
C = "0x" + "ff" * 19 + "00"


@pytest.mark.parametrize("vector", _clique_vectors(), ids=lambda v: v["source"][:40])
def test_extra_data_matches_the_published_vectors(vector: dict[str, Any]) -> None:
    assert clique_extra_data(vector["signers"]) == vector["extraData"].lower()
    assert clique_signers_from_extra_data(vector["extraData"]) == sorted(s.lower() for s in vector["signers"])


def test_embedded_copy_matches_the_shared_file() -> None:
    if not SHARED_VECTORS.is_file():
        pytest.skip(f"{SHARED_VECTORS} is not here")
    shared = {v["extraData"].lower() for v in json.loads(SHARED_VECTORS.read_text())["clique"]}
    assert {v["extraData"] for v in EMBEDDED_CLIQUE_VECTORS} <= shared


def test_extra_data_layout_vanity_sorted_signers_and_zero_seal() -> None:
    extra = clique_extra_data([C, A.upper().replace("0X", "0x"), B], vanity=b"consortium")
    raw = bytes.fromhex(extra[2:])
    assert len(raw) == VANITY_LENGTH + 3 * 20 + SEAL_LENGTH
    assert raw[:VANITY_LENGTH] == b"consortium".ljust(32, b"\0")
    body = raw[VANITY_LENGTH:-SEAL_LENGTH]
    assert [body[i : i + 20] for i in range(0, 60, 20)] == sorted(
        bytes.fromhex(x[2:]) for x in (A, B, C)
    )
    assert raw[-SEAL_LENGTH:] == b"\0" * SEAL_LENGTH
    assert clique_signers_from_extra_data(extra) == [B, A, C]  # ascending bytes: 0a.. < 11.. < ff..
    assert sorted_signers([C, A, B]) == [B, A, C]


@given(st.sets(st.binary(min_size=20, max_size=20), min_size=1, max_size=12), st.binary(max_size=32))
def test_extra_data_round_trips(addresses: set[bytes], vanity: bytes) -> None:
    signers = ["0x" + a.hex().upper() for a in addresses]
    extra = clique_extra_data(signers, vanity)
    assert len(extra) == 2 + 2 * (32 + 20 * len(addresses) + 65)
    assert clique_signers_from_extra_data(extra) == ["0x" + a.hex() for a in sorted(addresses)]


@pytest.mark.parametrize(
    ("signers", "vanity", "message"),
    [
        ([], b"", "at least one signer"),
        ([B, B.upper().replace("0X", "0x")], b"", "duplicates"),
        (["0x1234"], b"", "not an address"),
        (["0x" + "zz" * 20], b"", "not an address"),
        ([A], b"x" * 33, "at most 32 bytes"),
    ],
)
def test_extra_data_rejects_bad_input(signers: list[str], vanity: bytes, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        clique_extra_data(signers, vanity)


@pytest.mark.parametrize("extra", ["0x00", "0x" + "00" * (32 + 65 + 19), "0xnothex"])
def test_parsing_rejects_what_is_not_clique_extra_data(extra: str) -> None:
    with pytest.raises(ConfigError):
        clique_signers_from_extra_data(extra)


def test_london_genesis_has_every_fork_at_zero_and_nothing_after_london() -> None:
    genesis = clique_genesis(chain_id=1337, signers=[A, B], alloc={C: 10**18}, period=1, epoch=30_000)
    config = genesis["config"]
    assert config["chainId"] == 1337
    assert config["clique"] == {"period": 1, "epoch": 30_000}
    for key in (
        "homesteadBlock", "eip150Block", "eip155Block", "eip158Block", "byzantiumBlock",
        "constantinopleBlock", "petersburgBlock", "istanbulBlock", "berlinBlock", "londonBlock",
    ):
        assert config[key] == 0, key
    assert not any(k.endswith("Time") for k in config), "no time-based (post-merge) forks"
    assert "terminalTotalDifficulty" not in config
    assert "ethash" not in config
    assert genesis["difficulty"] == "0x1"
    assert int(genesis["gasLimit"], 16) == 30_000_000
    assert genesis["baseFeePerGas"] == hex(10**9)
    assert genesis["extraData"] == clique_extra_data([A, B])
    assert genesis["alloc"] == {C: {"balance": hex(10**18)}}
    json.dumps(genesis)  # JSON-ready


def test_genesis_is_a_pure_function() -> None:
    kwargs: dict[str, Any] = {"chain_id": 99, "signers": [B, A], "alloc": {A: 5}}
    assert clique_genesis(**kwargs) == clique_genesis(**kwargs)
    assert clique_genesis(chain_id=99, signers=[A, B], alloc={A: 5}) == clique_genesis(**kwargs)


@pytest.mark.parametrize("evm_version", CLIQUE_EVM_VERSIONS)
def test_fork_blocks_stop_at_the_chosen_version(evm_version: str) -> None:
    config = clique_genesis(chain_id=5, signers=[A], evm_version=evm_version)["config"]
    keys = fork_blocks(evm_version)
    assert [k for k in config if k.endswith("Block")] == keys
    assert keys[0] == "homesteadBlock"
    assert ("londonBlock" in keys) == (evm_version == "london")
    assert ("baseFeePerGas" in clique_genesis(chain_id=5, signers=[A], evm_version=evm_version)) == (
        evm_version == "london"
    )


def test_istanbul_target_has_no_berlin_or_london() -> None:
    config = clique_genesis(chain_id=5, signers=[A], evm_version="istanbul")["config"]
    assert config["istanbulBlock"] == 0
    assert "berlinBlock" not in config and "londonBlock" not in config


@pytest.mark.parametrize("evm_version", ["paris", "shanghai", "cancun", "prague", "frontier", "London"])
def test_post_london_and_unknown_versions_are_refused(evm_version: str) -> None:
    with pytest.raises(ConfigError, match="cannot target EVM version"):
        clique_genesis(chain_id=5, signers=[A], evm_version=evm_version)


def test_alloc_accepts_code_storage_and_nonce() -> None:
    genesis = clique_genesis(
        chain_id=5,
        signers=[A],
        alloc={
            B.upper().replace("0X", "0x"): {"balance": "0x10", "code": "0x6000", "storage": {"0x01": "0x02"}, "nonce": 1},
            C: {"balance": 7},
        },
    )
    assert genesis["alloc"][B] == {
        "balance": "0x10",
        "code": "0x6000",
        "storage": {"0x" + "00" * 31 + "01": "0x" + "00" * 31 + "02"},
        "nonce": "0x1",
    }
    assert genesis["alloc"][C] == {"balance": "0x7"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"chain_id": 0}, "chain id"),
        ({"chain_id": True}, "chain id"),
        ({"chain_id": 2**63}, "chain id"),
        ({"period": -1}, "period"),
        ({"epoch": 0}, "epoch"),
        ({"gas_limit": 4_999}, "gas limit"),
        ({"alloc": {A: -1}}, "balance"),
        ({"alloc": {A: {"balance": 1, "codes": "0x"}}}, "unknown fields"),
        ({"alloc": {B: 1, B.upper().replace("0X", "0x"): 2}}, "twice"),
        ({"alloc": {"0x12": 1}}, "not an address"),
    ],
)
def test_genesis_rejects_bad_settings(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"chain_id": 5, "signers": [A], **kwargs}
    with pytest.raises(ConfigError, match=message):
        clique_genesis(**args)
