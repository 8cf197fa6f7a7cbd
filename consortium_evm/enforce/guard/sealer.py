"""Who sealed a block, read from the block itself, by the network's consensus (networks.yaml
``consensus`` and ``client``):

- **clique**: the signer recovered from the 65-byte seal at the end of ``extraData``, over the
  Keccak hash of the header with the seal cut off (EIP-225); geth's ``clique_getSigner`` when the
  header cannot be rebuilt;
- **qbft** (Besu and GoQuorum) and **ibft2** (Besu's IBFT 2.0): the block's ``miner`` (coinbase),
  which these clients set to the proposer (Besu's ``BftBlockInterface.getProposerOfBlock``,
  GoQuorum's ``qbftengine.Engine.Author``); the committed seals sign the header with it;
- **ibft2 on GoQuorum** (its IBFT 1.0, "istanbul"): the proposer seal of the extra data, recovered
  over ``keccak(keccak(RLP(header without seal and committed seals)))`` (GoQuorum's
  ``ibftengine.sigHash`` and ``istanbul.GetSignatureAddress``, which hashes again).

Before recovering, the header is rebuilt from the block's fields and checked against the block's
hash (for istanbul: the hash GoQuorum computes, seal kept and committed seals dropped); a header
this code cannot rebuild exactly gives ``None`` ("cannot tell"), never a wrong signer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import coincurve
import rlp
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from consortium_evm.errors import ConfigError
from consortium_evm.genesis.extradata import decode_istanbul_extra_data

SealerMethod = Literal["clique", "coinbase", "istanbul"]
SEAL_LENGTH = 65
HEADER_FIELDS = (
    "parentHash", "sha3Uncles", "miner", "stateRoot", "transactionsRoot", "receiptsRoot", "logsBloom", "difficulty",
    "number", "gasLimit", "gasUsed", "timestamp", "extraData", "mixHash", "nonce",
)
OPTIONAL_FIELDS = (
    "baseFeePerGas", "withdrawalsRoot", "blobGasUsed", "excessBlobGas", "parentBeaconBlockRoot", "requestsHash",
)
"""Header fields of later forks, in header order: each present only with all before it."""
INT_FIELDS = frozenset({"difficulty", "number", "gasLimit", "gasUsed", "timestamp", "baseFeePerGas", "blobGasUsed",
                        "excessBlobGas"})

Rpc = Callable[[str, str, Sequence[Any]], Any]


def sealer_method(consensus: str, client: str | None = None) -> SealerMethod | None:
    """How a ``consensus`` network run by ``client`` names a block's sealer (None: ``dev``, no sealer)."""
    if consensus == "clique":
        return "clique"
    if consensus == "qbft":
        return "coinbase"
    if consensus == "ibft2":
        return "istanbul" if client == "goquorum" else "coinbase"
    return None


def block_sealer(block: Mapping[str, Any], method: SealerMethod | None) -> str | None:
    """The checksummed address that sealed (proposed) ``block`` (a JSON-RPC or web3 block), or
    ``None`` when it cannot be told."""
    if method is None:
        return None
    if method == "coinbase":
        miner = block.get("miner")
        return str(to_checksum_address(str(miner))) if miner else None
    try:
        fields = header_fields(block)
    except (KeyError, TypeError, ValueError):
        return None
    at = HEADER_FIELDS.index("extraData")
    extra = fields[at]
    if method == "clique":
        if len(extra) < SEAL_LENGTH or header_hash(fields, method) != _bytes(block["hash"]):
            return None
        fields[at] = extra[:-SEAL_LENGTH]
        return _recover(keccak(rlp.encode(fields)), extra[-SEAL_LENGTH:])
    try:
        istanbul = decode_istanbul_extra_data(extra)
    except ConfigError:
        return None
    if header_hash(fields, method) != _bytes(block["hash"]):
        return None
    fields[at] = istanbul.encode(seal=False, committed_seals=False)
    return _recover(keccak(keccak(rlp.encode(fields))), istanbul.seal)


def header_hash(fields: list[Any], method: Literal["clique", "istanbul"]) -> bytes:
    """The block hash the client computes from the header's items: Keccak of their RLP; for
    GoQuorum's IBFT, with the committed seals left out of the extra data (they are added after
    the hash is agreed)."""
    if method == "istanbul":
        at = HEADER_FIELDS.index("extraData")
        fields = [*fields[:at], decode_istanbul_extra_data(fields[at]).encode(committed_seals=False), *fields[at + 1:]]
    return bytes(keccak(rlp.encode(fields)))


def header_fields(block: Mapping[str, Any]) -> list[Any]:
    """The header's RLP items from a block's fields (web3's proof-of-authority middleware names
    ``extraData`` ``proofOfAuthorityData``)."""
    values = dict(block)
    if "extraData" not in values and "proofOfAuthorityData" in values:
        values["extraData"] = values["proofOfAuthorityData"]
    names = list(HEADER_FIELDS)
    for name in OPTIONAL_FIELDS:
        if values.get(name) is None:
            break
        names.append(name)
    return [_int(values[name]) if name in INT_FIELDS else _bytes(values[name]) for name in names]


def _recover(digest: bytes, seal: bytes) -> str | None:
    if len(seal) != SEAL_LENGTH or seal[64] > 1:
        return None
    try:
        public = coincurve.PublicKey.from_signature_and_message(seal, digest, hasher=None)
    except Exception:  # noqa: BLE001 - an invalid signature: cannot tell
        return None
    return str(to_checksum_address(keccak(public.format(compressed=False)[1:])[12:]))


def _bytes(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    raise TypeError(f"not bytes: {value!r}")


def _int(value: Any) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value, 16)
    raise TypeError(f"not a number: {value!r}")
