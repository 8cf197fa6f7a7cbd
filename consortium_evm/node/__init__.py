"""Nodes on this machine: geth 1.13 (the last Clique signer) and local Clique networks.

- :mod:`consortium_evm.node.geth`: finding the geth binary (GETH_BINARY, .tools/bin/geth, PATH).
- :mod:`consortium_evm.node.clique`: Clique (EIP-225) genesis generation, a pure function.
- :mod:`consortium_evm.node.network`: start, status and stop of a local network of signers.
"""

from __future__ import annotations

from consortium_evm.node.clique import (
    CLIQUE_EVM_VERSIONS,
    clique_extra_data,
    clique_genesis,
    clique_signers_from_extra_data,
)
from consortium_evm.node.errors import GethNotFoundError, GethVersionError, NetworkStartError, NodeError
from consortium_evm.node.geth import GETH_BINARY_ENV, GETH_VERSION, GethBinary, find_geth
from consortium_evm.node.network import (
    DevAccount,
    NetworkState,
    NetworkStatus,
    NodeInfo,
    NodeStatus,
    StoppedNode,
    clique_web3,
    default_data_dir,
    load_dev_accounts,
    load_state,
    local_network,
    network_status,
    start_network,
    stop_network,
)

__all__ = [
    "CLIQUE_EVM_VERSIONS",
    "GETH_BINARY_ENV",
    "GETH_VERSION",
    "DevAccount",
    "GethBinary",
    "GethNotFoundError",
    "GethVersionError",
    "NetworkStartError",
    "NetworkState",
    "NetworkStatus",
    "NodeError",
    "NodeInfo",
    "NodeStatus",
    "StoppedNode",
    "clique_extra_data",
    "clique_genesis",
    "clique_signers_from_extra_data",
    "clique_web3",
    "default_data_dir",
    "find_geth",
    "load_dev_accounts",
    "load_state",
    "local_network",
    "network_status",
    "start_network",
    "stop_network",
]
