"""The suite's code: which artifacts, their hashes, and the check that a chain holds them.

A contract creation's receipt can claim success on a chain that could not run the bytecode (PUSH0
before Shanghai, say), so every created contract's code is compared with its artifact's, immutable
slots masked.
"""

from __future__ import annotations

import hashlib
from typing import Any

from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract

from consortium_evm.compiler import DEFAULT_EVM_VERSION, Artifact, load_artifact
from consortium_evm.deploy.plan import SUITE, VALIDATOR_SET
from consortium_evm.domain.spec import ConsortiumSpec
from consortium_evm.errors import DeploymentError


def contract_at(w3: Web3, name: str, address: str, evm_version: str = DEFAULT_EVM_VERSION) -> Contract:
    """A web3 contract object for artifact ``name`` at ``address``."""
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact(name, evm_version).abi)


def suite_abis(evm_version: str = DEFAULT_EVM_VERSION) -> list[list[dict[str, Any]]]:
    """The ABIs of the suite's contracts (for decoding their errors)."""
    return [load_artifact(name, evm_version).abi for name in (*SUITE, VALIDATOR_SET)]


def spec_hash(spec: ConsortiumSpec) -> str:
    """A hash of a consortium description (when it did not come from a file)."""
    return hashlib.sha256(repr(spec).encode()).hexdigest()


def artifacts_hash(evm_version: str = DEFAULT_EVM_VERSION, names: tuple[str, ...] = SUITE) -> str:
    """A hash of the creation code of ``names``: it changes when the contracts or settings change."""
    digest = hashlib.sha256()
    for name in names:
        digest.update(load_artifact(name, evm_version).bytecode.encode())
    return digest.hexdigest()


def masked_code(code: bytes, artifact: Artifact) -> bytes:
    """``code`` with the artifact's immutable slots zeroed, for comparing deployed code."""
    out = bytearray(code)
    for refs in artifact.immutable_references.values():
        for ref in refs:
            start, length = int(ref["start"]), int(ref["length"])
            out[start : start + length] = bytes(min(length, max(0, len(out) - start)))
    return bytes(out)


def check_code(w3: Web3, name: str, address: str, artifact: Artifact) -> str:
    """Check the code at ``address`` is ``artifact``'s; returns its keccak hash."""
    code = bytes(w3.eth.get_code(Web3.to_checksum_address(address)))
    expected = bytes.fromhex(artifact.deployed_bytecode.removeprefix("0x"))
    if not code:
        raise DeploymentError(
            f"{name} at {address} has no code although its creation was mined: the chain could not run the "
            f"bytecode (compiled for EVM {artifact.evm_version}; set the network's evm_version to what the chain runs)"
        )
    if masked_code(code, artifact) != masked_code(expected, artifact):
        raise DeploymentError(f"the code at {address} is not {name}'s (compiled {artifact.compiler_version})")
    return "0x" + bytes(keccak(code)).hex()
