"""GoQuorum: the QBFT genesis file; ``permission-config.json`` and ``permissioned-nodes.json`` come
from :mod:`consortium_evm.domain.goquorum`.

GoQuorum's genesis ``config`` differs from Besu's: ``isQuorum: true``, ``txnSizeLimit`` and
``maxCodeSize``, and a ``qbft`` section with ``epochlength``, ``blockperiodseconds``,
``requesttimeoutseconds``, ``policy`` and ``ceil2Nby3Block``; contract validator selection from
block 0 is ``qbft.validatorselectionmode: "contract"`` with ``qbft.validatorcontractaddress``, and
a later switch is an entry of the ``config.transitions`` *array* (Besu nests it under
``transitions.qbft``). Read from Consensys/quorum: params/config.go (``QBFTConfig``, ``Transition``)
and consensus/istanbul/config.go (``GetValidatorSelectionMode``). GoQuorum's IBFT is IBFT 1.0, a
different protocol from Besu's IBFT 2.0: only QBFT is written for GoQuorum.

What a GoQuorum 24.4.1 network needs to start with ``--permissioned`` and enforce the rules from
its first block (checked by hand on GoQuorum 24.4.1: docs/NOTES.md, session 4):

- **Validators from the ValidatorSet from block 1, not 0.** With contract selection at block 0 the
  permission service's first call (``getNetworkBootStatus`` on the pending state) waits for a
  pending block the miner has not made, and the node never starts. So "contract" selection is
  written for GoQuorum as header selection at block 0 (the validators in the extra data, the same
  set the ValidatorSet starts with) and a ``transitions`` entry switching to the ValidatorSet at
  block 1. Header selection (``--qbft-mode header``) is written as is.
- **No London.** Its EVM is geth 1.10.3's: ``londonBlock`` and ``baseFeePerGas`` are not written,
  whatever the consortium file's ``evm_version`` (berlin is the last fork written); the code in the
  alloc has no BASEFEE (tests/contracts/test_artifacts.py).
- **Gas price 0.** ``isQuorum`` without ``enableGasPriceBlock``: GoQuorum refuses a transaction with
  a gas price other than 0 ("Gas price not 0"); networks.yaml ``gas_price: zero`` (or ``auto``,
  which finds no base fee and asks ``eth_gasPrice``, 0).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from consortium_evm.domain.goquorum import LAST_EVM_VERSION
from consortium_evm.domain.spec import NetworkSpec
from consortium_evm.genesis.bft import QbftSelection, ValidatorSelection, bft_chain_config, bft_genesis
from consortium_evm.genesis.clique import GenesisAccount
from consortium_evm.genesis.extradata import qbft_extra_data
from consortium_evm.node.geth import CLIQUE_EVM_VERSIONS

TXN_SIZE_LIMIT_KB = 64
"""GoQuorum's transaction size limit in KB (32 to 128; 64 is its documented default)."""
CONTRACT_FROM_BLOCK = 1
"""The block from which a GoQuorum genesis written for "contract" selection reads the ValidatorSet."""


def goquorum_selection(selection: QbftSelection) -> QbftSelection:
    """The validator selection a GoQuorum genesis is written with: contract selection from block 0
    becomes a switch to the contract at :data:`CONTRACT_FROM_BLOCK` (see the module documentation)."""
    if selection.mode is ValidatorSelection.CONTRACT:
        return QbftSelection(ValidatorSelection.TRANSITION, selection.contract, CONTRACT_FROM_BLOCK)
    return selection


def goquorum_network(network: NetworkSpec) -> NetworkSpec:
    """``network`` with its forks capped at GoQuorum's last, berlin."""
    last = CLIQUE_EVM_VERSIONS.index(LAST_EVM_VERSION)
    if CLIQUE_EVM_VERSIONS.index(network.evm_version) <= last:
        return network
    return dataclasses.replace(network, evm_version=LAST_EVM_VERSION)


def goquorum_qbft_genesis(
    network: NetworkSpec,
    validators: Sequence[str],
    alloc: Mapping[str, int | GenesisAccount],
    selection: QbftSelection,
) -> dict[str, Any]:
    """GoQuorum's QBFT genesis in header or transition validator selection (contract selection from
    block 0 is written as a switch at block 1), with berlin as the last fork and no base fee."""
    network = goquorum_network(network)
    selection = goquorum_selection(selection)
    config = bft_chain_config(network, "GoQuorum QBFT")
    qbft: dict[str, Any] = {
        "epochlength": network.epoch,
        "blockperiodseconds": network.block_period,
        "requesttimeoutseconds": network.request_timeout,
        "policy": 0,
        "ceil2Nby3Block": 0,
    }
    config["qbft"] = qbft
    if selection.mode is ValidatorSelection.TRANSITION:
        config["transitions"] = [
            {
                "block": selection.from_block,
                "validatorselectionmode": "contract",
                "validatorcontractaddress": str(selection.contract).lower(),
            }
        ]
    config["isQuorum"] = True
    config["txnSizeLimit"] = TXN_SIZE_LIMIT_KB
    config["maxCodeSize"] = 0
    return bft_genesis(config, network, qbft_extra_data(selection.extra_data_validators(validators)), alloc)
