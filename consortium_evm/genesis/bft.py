"""What IBFT 2.0 and QBFT genesis files share, whichever client reads them: the block header
fields, the validator selection of a QBFT network, and the checks on the timing."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from consortium_evm.domain.spec import NetworkSpec
from consortium_evm.errors import ConfigError
from consortium_evm.genesis.clique import INITIAL_BASE_FEE, GenesisAccount, fork_blocks, genesis_alloc, sorted_signers

ISTANBUL_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
"""The ``mixHash`` that marks an Istanbul-family (IBFT 2.0, QBFT) block: "ctical byzantine fault
tolerance" in ASCII."""


class ValidatorSelection(enum.Enum):
    """Where a QBFT network reads its validators from."""

    HEADER = "header"
    """The block headers: validators in the genesis extra data, changed by the ``*_proposeValidatorVote`` RPCs."""
    CONTRACT = "contract"
    """The ValidatorSet's ``getValidators()`` from block 0: the genesis extra data lists none."""
    TRANSITION = "transition"
    """Header mode at genesis, switching to the ValidatorSet at a later block (``transitions``)."""


@dataclass(frozen=True)
class QbftSelection:
    """A QBFT network's validator selection: the mode, the contract, and the switch block."""

    mode: ValidatorSelection
    contract: str | None = None
    from_block: int | None = None

    def __post_init__(self) -> None:
        if self.mode is not ValidatorSelection.HEADER and self.contract is None:
            raise ConfigError("contract validator selection needs the ValidatorSet's address")
        if self.mode is ValidatorSelection.TRANSITION and (self.from_block is None or self.from_block < 1):
            raise ConfigError("the switch to contract validator selection needs a block number of 1 or more")

    def extra_data_validators(self, validators: Sequence[str]) -> list[str]:
        """The validators the genesis extra data lists: none when the contract is in force from block 0."""
        return [] if self.mode is ValidatorSelection.CONTRACT else sorted_signers(validators)


def bft_chain_config(network: NetworkSpec, family: str) -> dict[str, Any]:
    """The start of an IBFT 2.0 / QBFT ``config``: the chain id and the fork blocks, after checking
    that the network seals on a timer (a block period of at least one second)."""
    if network.block_period < 1:
        raise ConfigError(f"a {family} network needs network.block_period of at least 1 second, got {network.block_period}")
    config: dict[str, Any] = {"chainId": network.chain_id}
    for key in fork_blocks(network.evm_version, family):
        config[key] = 0
    return config


def bft_genesis(
    config: dict[str, Any],
    network: NetworkSpec,
    extra_data: str,
    alloc: Mapping[str, int | GenesisAccount],
) -> dict[str, Any]:
    """An IBFT 2.0 / QBFT genesis document around ``config`` (the client's ``config`` section)."""
    genesis: dict[str, Any] = {
        "config": config,
        "nonce": "0x0",
        "timestamp": hex(network.timestamp),
        "extraData": extra_data,
        "gasLimit": hex(network.gas_limit),
        "difficulty": "0x1",
        "mixHash": ISTANBUL_MIX_HASH,
        "coinbase": "0x" + "00" * 20,
        "number": "0x0",
        "gasUsed": "0x0",
        "parentHash": "0x" + "00" * 32,
        "alloc": genesis_alloc(alloc),
    }
    if "londonBlock" in config:
        genesis["baseFeePerGas"] = hex(INITIAL_BASE_FEE)
    return genesis
