"""What a GoQuorum network needs beside the suite for its nodes to enforce the rules.

GoQuorum 24.4.1's enhanced permissions v2 (``--permissioned``; Consensys/quorum:
permission/permission.go, permission/v2/contract.go, permission/core/types/backend.go) reads, at
start-up, ``getNetworkBootStatus()`` on ``interfaceAddress`` and the four managers' counts and
``…FromIndex`` readers; a manager address without code makes the node exit. The
``GoQuorumPermissionAdapter`` answers those reads (booted, nothing in its own org model) and forwards
``transactionAllowed``/``connectionAllowed`` to the PermissionIngress, so ``permission-config.json``
names it as the interface and as every manager.

This module holds the pieces the genesis and the deployment share: the adapter's creation (name,
artifact, constructor arguments), ``permission-config.json`` and ``permissioned-nodes.json``. Key
names and types are GoQuorum's ``PermissionConfig`` (its JSON tags: ``upgrdableAddress`` is spelled
so; ``subOrgBreadth``/``subOrgDepth`` are numbers and must not be 0; ``accounts`` must not be empty).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from consortium_evm.domain.spec import ConsortiumSpec, Role
from consortium_evm.errors import ConfigError

GOQUORUM = "goquorum"
"""The ``client:`` value of a GoQuorum network (networks.yaml)."""
ADAPTER = "GoQuorumPermissionAdapter"
"""The adapter's contract (and artifact) name; also its name in manifests and ``contracts.json``."""
PERMISSION_CONFIG_FILE = "permission-config.json"
PERMISSIONED_NODES_FILE = "permissioned-nodes.json"

MANAGER_KEYS = (
    "upgrdableAddress",
    "interfaceAddress",
    "implAddress",
    "nodeMgrAddress",
    "accountMgrAddress",
    "roleMgrAddress",
    "voterMgrAddress",
    "orgMgrAddress",
)
"""Every address key of GoQuorum's ``PermissionConfig``, as its JSON tags spell them."""

LAST_EVM_VERSION = "berlin"
"""GoQuorum 24.4.1 runs geth 1.10.3's EVM: berlin is its last fork (no ``londonBlock``, no base fee,
no type-2 transactions)."""


@dataclass(frozen=True)
class ContractCreation:
    """One contract to create: its name (in the manifest), its artifact and its constructor arguments."""

    name: str
    artifact: str
    constructor_args: tuple[Any, ...]


def needs_adapter(client: str | None) -> bool:
    """Whether a network run by ``client`` needs the adapter deployed with the suite."""
    return client == GOQUORUM


def adapter_creation(ingress: str) -> ContractCreation:
    """The adapter's creation in front of ``ingress`` (the deployed PermissionIngress)."""
    if not isinstance(ingress, str) or len(ingress) != 42 or not ingress.startswith("0x"):
        raise ConfigError(f"the GoQuorum adapter needs the PermissionIngress address, got {ingress!r}")
    return ContractCreation(name=ADAPTER, artifact=ADAPTER, constructor_args=(ingress,))


def founding_admins(spec: ConsortiumSpec) -> list[str]:
    """The founding members' admin accounts: ``permission-config.json``'s ``accounts``."""
    return [a.address for m in spec.members for a in m.accounts if a.roles & Role.ADMIN]


def permission_config(adapter: str, admin_accounts: Sequence[str]) -> dict[str, Any]:
    """``permission-config.json`` for GoQuorum's enhanced permissions v2: the adapter as
    ``interfaceAddress`` and every manager; the members' admin accounts as ``accounts`` (GoQuorum
    refuses an empty list; with the boot status true it sends nothing for them)."""
    if not admin_accounts:
        raise ConfigError(
            "GoQuorum's permission-config.json needs at least one account (accounts): "
            "give a founding member an admin account"
        )
    address = str(adapter).lower()
    config: dict[str, Any] = {"permissionModel": "v2"}
    config.update({key: address for key in MANAGER_KEYS})
    config.update(
        {
            "nwAdminOrg": "CONSORTIUM",
            "nwAdminRole": "ADMIN",
            "orgAdminRole": "ORGADMIN",
            "accounts": [str(a).lower() for a in admin_accounts],
            "subOrgBreadth": 1,
            "subOrgDepth": 1,
        }
    )
    return config


def permissioned_nodes(enodes: Sequence[str]) -> list[str]:
    """``permissioned-nodes.json``: the enode URLs GoQuorum admits before its permission service is
    ready. The genesis and the deployment write the founding members' nodes (the same list as
    ``static-nodes.json``); ``permissioning nodes-file`` the active members' registered nodes."""
    if not enodes:
        raise ConfigError("permissioned-nodes.json needs at least one node: the founding members list none")
    return list(enodes)
