// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {GovernanceOwned} from "../access/GovernanceOwned.sol";
import {RegistryPermissionRules} from "./RegistryPermissionRules.sol";

/// @title Stand-alone permission rules
/// @notice The same rules as the `Consortium`'s own, in a separate contract that reads the registry by
/// address and keeps its own node matching mode: a ready replacement that governance can put behind
/// the `PermissionIngress` by a proposal, and a starting point for rules of your own. It holds no
/// member data, so replacing it loses none.
contract PermissionRules is RegistryPermissionRules, GovernanceOwned {
    /// @notice Where members, accounts and nodes are registered.
    IConsortiumRegistry public immutable registry;
    /// @notice The node matching mode in force.
    NodeMatch public nodeMatch;

    /// @notice The registry address given at deployment is the zero address.
    error ZeroRegistry();

    /// @param registry_ Where members, accounts and nodes are registered (the `Consortium`).
    /// @param governance_ The governance contract, the only account that may change the matching mode.
    /// @param mode The node matching mode to start with.
    constructor(IConsortiumRegistry registry_, address governance_, NodeMatch mode) GovernanceOwned(governance_) {
        if (address(registry_) == address(0)) revert ZeroRegistry();
        registry = registry_;
        nodeMatch = mode;
        emit NodeMatchChanged(mode);
    }

    /// @notice Sets how nodes are matched. Governance only.
    /// @param mode `EnodeId` (id alone) or `EnodeIdHostPort` (id, host and port).
    function setNodeMatch(NodeMatch mode) external onlyGovernance {
        nodeMatch = mode;
        emit NodeMatchChanged(mode);
    }

    function _accountFlags(address account) internal view override returns (uint8) {
        return registry.accountAccess(account);
    }

    function _nodeRecord(bytes32 nodeKey) internal view override returns (bool active, bytes26 hostHash, uint16 port) {
        (, active, hostHash, port) = registry.nodeAccess(nodeKey);
    }

    function _nodeMatch() internal view override returns (NodeMatch) {
        return nodeMatch;
    }
}
