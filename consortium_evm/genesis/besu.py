"""Hyperledger Besu: IBFT 2.0 and QBFT genesis files, and the options that make Besu ask our
permissioning contracts.

Besu's genesis ``config`` holds the chain id, the fork blocks and one consensus section:
``ibft2`` or ``qbft``, each with ``blockperiodseconds``, ``epochlength`` and ``requesttimeoutseconds``.
A QBFT network whose validators come from a contract from block 0 adds
``qbft.validatorcontractaddress`` (and lists no validators in the extra data); one that switches
later adds ``transitions.qbft: [{block, validatorselectionmode: "contract", validatorcontractaddress}]``
(Besu documentation: "Configure QBFT consensus", "Transitions").

Contract permissioning: ``--permissions-nodes-contract-enabled``, ``--permissions-nodes-contract-address``
and ``--permissions-nodes-contract-version=2``, and ``--permissions-accounts-contract-enabled`` with
``--permissions-accounts-contract-address``, both addresses being the PermissionIngress. Besu
deprecated on-chain permissioning in 24.12 and removed it in 2025; a plugin
(RBBNet/besu-permissioning-plugin) restores the same calls on current Besu.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from consortium_evm.domain.spec import NetworkSpec
from consortium_evm.genesis.bft import QbftSelection, ValidatorSelection, bft_chain_config, bft_genesis
from consortium_evm.genesis.clique import GenesisAccount, sorted_signers
from consortium_evm.genesis.extradata import ibft2_extra_data, qbft_extra_data

BESU_PLUGIN_NOTE = (
    "Besu deprecated on-chain permissioning in 24.12 and removed it in 2025: these options work on "
    "Besu releases up to 24.x. On newer Besu, install a permissioning plugin that restores the same "
    "contract calls (RBBNet/besu-permissioning-plugin) and point it at the same PermissionIngress address."
)


def _timing(network: NetworkSpec) -> dict[str, Any]:
    return {
        "blockperiodseconds": network.block_period,
        "epochlength": network.epoch,
        "requesttimeoutseconds": network.request_timeout,
    }


def besu_ibft2_genesis(
    network: NetworkSpec, validators: Sequence[str], alloc: Mapping[str, int | GenesisAccount]
) -> dict[str, Any]:
    """Besu's IBFT 2.0 genesis: validators in the RLP extra data, ``config.ibft2`` timing."""
    config = bft_chain_config(network, "IBFT 2.0")
    config["ibft2"] = _timing(network)
    return bft_genesis(config, network, ibft2_extra_data(sorted_signers(validators)), alloc)


def besu_qbft_genesis(
    network: NetworkSpec,
    validators: Sequence[str],
    alloc: Mapping[str, int | GenesisAccount],
    selection: QbftSelection,
) -> dict[str, Any]:
    """Besu's QBFT genesis in header, contract or transition validator selection."""
    config = bft_chain_config(network, "QBFT")
    qbft = _timing(network)
    if selection.mode is ValidatorSelection.CONTRACT:
        qbft["validatorcontractaddress"] = str(selection.contract).lower()
    config["qbft"] = qbft
    if selection.mode is ValidatorSelection.TRANSITION:
        config["transitions"] = {
            "qbft": [
                {
                    "block": selection.from_block,
                    "validatorselectionmode": "contract",
                    "validatorcontractaddress": str(selection.contract).lower(),
                }
            ]
        }
    return bft_genesis(config, network, qbft_extra_data(selection.extra_data_validators(validators)), alloc)


def besu_permissioning_toml(ingress: str) -> str:
    """The lines of a Besu ``config.toml`` (or, with ``--``, the command-line options) that make
    Besu ask the PermissionIngress about every connection and transaction."""
    address = str(ingress).lower()
    return (
        "# Besu contract permissioning for this consortium (written by `consortium-evm genesis`).\n"
        "# Add these lines to the node's config.toml, or pass them as --options on the command line.\n"
        f"# {BESU_PLUGIN_NOTE}\n"
        "permissions-nodes-contract-enabled=true\n"
        f'permissions-nodes-contract-address="{address}"\n'
        "permissions-nodes-contract-version=2\n"
        "permissions-accounts-contract-enabled=true\n"
        f'permissions-accounts-contract-address="{address}"\n'
    )


def besu_permissioning_flags(ingress: str) -> list[str]:
    """The same options as command-line flags."""
    address = str(ingress).lower()
    return [
        "--permissions-nodes-contract-enabled",
        f"--permissions-nodes-contract-address={address}",
        "--permissions-nodes-contract-version=2",
        "--permissions-accounts-contract-enabled",
        f"--permissions-accounts-contract-address={address}",
    ]

