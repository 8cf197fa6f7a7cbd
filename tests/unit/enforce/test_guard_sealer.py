"""The guard's sealer of a block by consensus: Clique's signer and GoQuorum IBFT's proposer
recovered from the header, the QBFT / IBFT 2.0 proposer from the coinbase; the header rebuilt
from a block's fields checked against GoQuorum's own hash vector; never a wrong signer."""

from __future__ import annotations

from typing import Any

import coincurve
import pytest
import rlp
from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from consortium_evm.enforce.guard.sealer import HEADER_FIELDS, block_sealer, header_fields, header_hash, sealer_method
from consortium_evm.genesis.extradata import IstanbulExtraData, decode_istanbul_extra_data

ISTANBUL_DIGEST = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
# GoQuorum's (and go-ethereum's) core/types/block_test.go TestBlockEncoding, "SimpleTx" of the
# Ethereum block tests: a real header and its hash.
SIMPLE_TX_BLOCK = (
    "f90260f901f9a083cafc574e1f51ba9dc0568fc617a08ea2429fb384059c972f13b19fa1c8dd55a01dcc4de8dec75d7aab85b567b6ccd4"
    "1ad312451b948a7413f0a142fd40d49347948888f1f195afa192cfee860698584c030f4c9db1a0ef1552a40b7165c3cd773806b9e0c165"
    "b75356e0314bf0706f279c729f51e017a05fe50b260da6308036625b850b5d6ced6d0a9f814c0688bc91ffb7b7a3a54b67a0bc37d79753"
    "ad738a6dac4921e57392f145d8887476de3f783dfa7edae9283e52b9010000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000008302000001832fefd8825208845506eb0780a0bd4472abb6659ebe3ee06ee4d7b72a00a9f4d001caca513420"
    "01075469aff49888a13a5a8c8f2bb1c4f861f85f800a82c35094095e7baea6a6c7c4c2dfeb977efac326af552d870a801ba09bea4c4daa"
    "c7c7c52e093e6a4c35dbbcf8856f1af7b059ba20253e70848d094fa08a8fae537ce25ed8cb5af9adac3f141af69bd515bd2ba031522df0"
    "9b97dd72b1c0"
)
SIMPLE_TX_HASH = "0x0a5843ac1cb04865017cb35a57b50b07084e5fcee39b5acadade33149f4fff9e"
KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
SIGNER = Account.from_key(KEY).address


def zero_header(**changes: Any) -> dict[str, Any]:
    """A JSON-RPC block of zero values (GoQuorum's Go zero header), with ``changes``."""
    block: dict[str, Any] = {name: "0x" + "00" * 32 for name in HEADER_FIELDS}
    block.update(miner="0x" + "00" * 20, logsBloom="0x" + "00" * 256, nonce="0x" + "00" * 8, extraData="0x",
                 difficulty="0x0", number="0x0", gasLimit="0x0", gasUsed="0x0", timestamp="0x0")
    block.update(changes)
    return block


def sign(digest: bytes) -> bytes:
    return bytes(coincurve.PrivateKey(KEY).sign_recoverable(digest, hasher=None))


def test_a_real_header_is_rebuilt_from_its_json_fields() -> None:
    items = rlp.decode(bytes.fromhex(SIMPLE_TX_BLOCK))[0]
    assert keccak(rlp.encode(items)).hex() == SIMPLE_TX_HASH[2:]
    block = {name: "0x" + (item.hex() if name not in ("difficulty", "number", "gasLimit", "gasUsed", "timestamp")
                           else hex(int.from_bytes(item, "big"))[2:]) for name, item in zip(HEADER_FIELDS, items)}
    assert block["miner"] == "0x8888f1f195afa192cfee860698584c030f4c9db1" and block["gasUsed"] == "0x5208"
    assert "0x" + header_hash(header_fields(block), "clique").hex() == SIMPLE_TX_HASH
    assert block_sealer({**block, "hash": SIMPLE_TX_HASH}, "clique") is None  # no Clique seal in it: cannot tell


def goquorum_ibft_block(committed_seals: list[bytes]) -> dict[str, Any]:
    """GoQuorum's vector, sealed by KEY as its IBFT engine seals (sign keccak(sigHash)), with
    ``committed_seals`` added after the hash as the commit round adds them."""
    validators = [Account.from_key(bytes([n]) * 32).address.lower() for n in range(1, 5)]
    unsealed = IstanbulExtraData(bytes(32), tuple(validators), b"", ())
    block = zero_header(mixHash=ISTANBUL_DIGEST, number="0x2a", difficulty="0x1", gasLimit="0x1c9c380",
                        timestamp="0x6553f100", baseFeePerGas="0x0",
                        extraData="0x" + unsealed.encode(seal=False).hex())
    fields = header_fields(block)
    seal = sign(keccak(keccak(rlp.encode(fields))))
    sealed = type(unsealed)(unsealed.vanity, unsealed.validators, seal, tuple(committed_seals))
    block["extraData"] = "0x" + sealed.encode().hex()
    block["hash"] = "0x" + header_hash(header_fields(block), "istanbul").hex()
    return block


def test_goquorum_ibft_names_the_proposer_from_its_seal() -> None:
    block = goquorum_ibft_block([b"\x01" * 65, b"\x02" * 65])
    extra = decode_istanbul_extra_data(bytes.fromhex(block["extraData"][2:]))
    assert len(extra.validators) == 4 and len(extra.committed_seals) == 2 and len(extra.seal) == 65
    assert "0x" + extra.encode().hex() == block["extraData"]
    assert block_sealer(block, "istanbul") == SIGNER
    # the committed seals are not in the hash: other seals, the same block and proposer
    other = goquorum_ibft_block([b"\x03" * 65])
    assert other["hash"] == block["hash"] and block_sealer(other, "istanbul") == SIGNER
    assert block_sealer({**block, "hash": "0x" + "ee" * 32}, "istanbul") is None  # not this header: cannot tell
    assert block_sealer({**block, "miner": "0x" + "11" * 20}, "istanbul") is None  # a field changed: the hash fails


def clique_block(**changes: Any) -> dict[str, Any]:
    block = zero_header(number="0x7", difficulty="0x2", gasLimit="0x1c9c380", gasUsed="0x5208",
                        timestamp="0x6553f100", baseFeePerGas="0x3b9aca00", **changes)
    block["extraData"] = "0x" + ("d883010d0f846765746888676f312e32312e36856c696e7578" + "00" * 7)
    signed = sign(keccak(rlp.encode(header_fields(block))))
    block["extraData"] += signed.hex()
    block["hash"] = "0x" + keccak(rlp.encode(header_fields(block))).hex()
    return block


def test_clique_names_the_signer_from_the_seal() -> None:
    block = clique_block()
    assert block_sealer(block, "clique") == SIGNER
    # web3's proof-of-authority middleware renames extraData
    poa = {k: v for k, v in block.items() if k != "extraData"} | {"proofOfAuthorityData": block["extraData"]}
    assert block_sealer(poa, "clique") == SIGNER
    assert block_sealer({**block, "gasUsed": "0x0"}, "clique") is None
    without_base_fee = {k: v for k, v in block.items() if k != "baseFeePerGas"}
    assert block_sealer(without_base_fee, "clique") is None  # a pre-London header is another header


def test_bft_chains_name_the_coinbase_and_the_method_follows_the_network() -> None:
    proposer = "0x" + "ab" * 20
    assert block_sealer({"miner": proposer}, "coinbase") == to_checksum_address(proposer)
    assert block_sealer({"miner": SIGNER.lower()}, "coinbase") == SIGNER
    assert block_sealer({"miner": proposer}, None) is None
    assert sealer_method("clique") == "clique"
    assert sealer_method("qbft") == sealer_method("qbft", "goquorum") == sealer_method("ibft2", "besu") == "coinbase"
    assert sealer_method("ibft2", "goquorum") == "istanbul"
    assert sealer_method("dev") is None


@pytest.mark.parametrize("extra", ["0x", "0x" + "00" * 32 + "c0", "0x" + "00" * 32 + "c3808080"])
def test_an_extra_data_that_is_not_istanbul_cannot_tell(extra: str) -> None:
    assert block_sealer(zero_header(extraData=extra, hash="0x" + "00" * 32), "istanbul") is None
