"""GoQuorum: the QBFT genesis file and the enhanced permissions (v2) configuration.

GoQuorum's genesis ``config`` differs from Besu's: ``isQuorum: true``, ``txnSizeLimit`` and
``maxCodeSize``, and a ``qbft`` section with ``epochlength``, ``blockperiodseconds``,
``requesttimeoutseconds``, ``policy`` and ``ceil2Nby3Block``; contract validator selection from
block 0 is ``qbft.validatorselectionmode: "contract"`` with ``qbft.validatorcontractaddress``, and
a later switch is an entry of the ``config.transitions`` *array* (Besu nests it under
``transitions.qbft``). Read from Consensys/quorum: params/config.go (``QBFTConfig``, ``Transition``)
and consensus/istanbul/config.go (``GetValidatorSelectionMode``). GoQuorum's IBFT is IBFT 1.0, a
different protocol from Besu's IBFT 2.0: only QBFT is written for GoQuorum.

Enhanced permissions v2 (``permission-config.json`` in each node's data directory, ``--permissioned``):
GoQuorum calls ``transactionAllowed`` and ``connectionAllowed`` on the contract at
``interfaceAddress``; here that is the PermissionIngress. GoQuorum's own permission suite (org,
role, node, account and voter managers behind ``upgradableAddress``) is not ours: its other
addresses are written as the zero address and the file says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from consortium_evm.domain.spec import NetworkSpec
from consortium_evm.genesis.bft import QbftSelection, ValidatorSelection, bft_chain_config, bft_genesis
from consortium_evm.genesis.clique import GenesisAccount
from consortium_evm.genesis.extradata import qbft_extra_data

TXN_SIZE_LIMIT_KB = 64
"""GoQuorum's transaction size limit in KB (32 to 128; 64 is its documented default)."""
ZERO = "0x" + "00" * 20


def goquorum_qbft_genesis(
    network: NetworkSpec,
    validators: Sequence[str],
    alloc: Mapping[str, int | GenesisAccount],
    selection: QbftSelection,
) -> dict[str, Any]:
    """GoQuorum's QBFT genesis in header, contract or transition validator selection."""
    config = bft_chain_config(network, "GoQuorum QBFT")
    qbft: dict[str, Any] = {
        "epochlength": network.epoch,
        "blockperiodseconds": network.block_period,
        "requesttimeoutseconds": network.request_timeout,
        "policy": 0,
        "ceil2Nby3Block": 0,
    }
    if selection.mode is ValidatorSelection.CONTRACT:
        qbft["validatorselectionmode"] = "contract"
        qbft["validatorcontractaddress"] = str(selection.contract).lower()
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


def goquorum_permission_config(ingress: str, admin_accounts: Sequence[str]) -> dict[str, Any]:
    """``permission-config.json`` for GoQuorum's enhanced permissions v2, pointing the EEA calls
    (``transactionAllowed``, ``connectionAllowed``) at the PermissionIngress."""
    return {
        "_about": (
            "Written by consortium-evm genesis. interfaceAddress is the consortium's PermissionIngress, "
            "which answers transactionAllowed and connectionAllowed as the members decided; the other "
            "contract addresses belong to GoQuorum's own permission suite, which this consortium does not "
            "deploy (zero). Not run against a GoQuorum node: see docs/NOTES.md, Issue 10."
        ),
        "permissionModel": "v2",
        "upgradableAddress": ZERO,
        "interfaceAddress": str(ingress).lower(),
        "implAddress": ZERO,
        "nodeMgrAddress": ZERO,
        "accountMgrAddress": ZERO,
        "roleMgrAddress": ZERO,
        "voterMgrAddress": ZERO,
        "orgMgrAddress": ZERO,
        "nwAdminOrg": "CONSORTIUM",
        "nwAdminRole": "ADMIN",
        "orgAdminRole": "ORGADMIN",
        "accounts": [str(a).lower() for a in admin_accounts],
        "subOrgBreadth": 1,
        "subOrgDepth": 1,
    }
