// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccountRules} from "../interfaces/IAccountRules.sol";
import {INodeRules} from "../interfaces/INodeRules.sol";

/// @title GoQuorum permission adapter
/// @notice What GoQuorum's enhanced permissions (v2, `--permissioned`) read, in front of the
/// consortium's `PermissionIngress`. `permission-config.json` names this contract as
/// `interfaceAddress` and as every manager (`orgMgrAddress`, `nodeMgrAddress`, `roleMgrAddress`,
/// `accountMgrAddress`, `voterMgrAddress`, `implAddress`, `upgrdableAddress`).
///
/// At start-up GoQuorum asks `getNetworkBootStatus()`: true here, so it never tries to boot its own
/// organisation model by transactions; it then reads `getNumberOfOrgs()`, `getNumberOfNodes()`,
/// `getNumberOfRoles()` and `getNumberOfAccounts()` from the managers (zero here: the consortium's
/// members, accounts and nodes live in its own registry) and subscribes to their events (this
/// contract emits none). From then on it asks `transactionAllowed` when a transaction enters the
/// pool and when a block is processed, and `connectionAllowed` for every peer; both are forwarded to
/// the ingress unchanged.
/// @dev Fail-closed: the ingress is asked with a raw `staticcall` of this call's calldata, and only
/// an answer of exactly 32 bytes holding 1 is "allowed"; a revert, a short, long or odd answer is
/// "refused". The ingress address is immutable: the rules behind it change by governance, the
/// address the nodes are configured with does not. The contract holds no state.
/// Signatures from Consensys/quorum v24.4.1, permission/v2/contract/PermissionsInterface.sol,
/// OrgManager.sol, NodeManager.sol, RoleManager.sol and AccountManager.sol.
contract GoQuorumPermissionAdapter is IAccountRules, INodeRules {
    /// @notice The consortium's `PermissionIngress`, which both questions are forwarded to.
    address public immutable ingress;

    /// @notice The ingress address given has no contract code.
    /// @param ingress The address given.
    error IngressWithoutCode(address ingress);
    /// @notice GoQuorum's organisation model is empty here: no org, node, role or account at any index.
    /// @param index The index asked for.
    error NoEntryAtIndex(uint256 index);

    /// @param ingress_ The consortium's `PermissionIngress`; it must have code.
    constructor(address ingress_) {
        if (ingress_.code.length == 0) revert IngressWithoutCode(ingress_);
        ingress = ingress_;
    }

    /// @inheritdoc IAccountRules
    /// @dev Forwarded to the ingress unchanged; fail-closed.
    function transactionAllowed(address, address, uint256, uint256, uint256, bytes calldata)
        external
        view
        returns (bool)
    {
        return _forward();
    }

    /// @inheritdoc INodeRules
    /// @dev Forwarded to the ingress unchanged; fail-closed.
    function connectionAllowed(string calldata, string calldata, uint16) external view returns (bool) {
        return _forward();
    }

    /// @notice Whether the network's permissions are booted: always true, so that GoQuorum reads the
    /// (empty) managers instead of sending its own boot transactions.
    /// @return booted Always true.
    function getNetworkBootStatus() external pure returns (bool booted) {
        return true;
    }

    /// @notice GoQuorum's org manager: the number of organisations (none: members are in the registry).
    /// @return count Always 0.
    function getNumberOfOrgs() external pure returns (uint256 count) {
        return 0;
    }

    /// @notice GoQuorum's node manager: the number of nodes (none: nodes are in the registry).
    /// @return count Always 0.
    function getNumberOfNodes() external pure returns (uint256 count) {
        return 0;
    }

    /// @notice GoQuorum's role manager: the number of roles (none: roles are the registry's flags).
    /// @return count Always 0.
    function getNumberOfRoles() external pure returns (uint256 count) {
        return 0;
    }

    /// @notice GoQuorum's account manager: the number of accounts (none: accounts are in the registry).
    /// @return count Always 0.
    function getNumberOfAccounts() external pure returns (uint256 count) {
        return 0;
    }

    /// @notice GoQuorum's org manager reader, by index. There is no organisation: always reverts.
    /// @param index The index asked for.
    /// @return The orgId (never returned).
    /// @return The parentId (never returned).
    /// @return The ultimateParent (never returned).
    /// @return The level (never returned).
    /// @return The status (never returned).
    function getOrgInfo(uint256 index)
        external
        pure
        returns (string memory, string memory, string memory, uint256, uint256)
    {
        revert NoEntryAtIndex(index);
    }

    /// @notice GoQuorum's node manager reader, by index. There is no node: always reverts.
    /// @param index The index asked for.
    /// @return The orgId (never returned).
    /// @return The enodeId (never returned).
    /// @return The ip (never returned).
    /// @return The port (never returned).
    /// @return The raftPort (never returned).
    /// @return The nodeStatus (never returned).
    function getNodeDetailsFromIndex(uint256 index)
        external
        pure
        returns (string memory, string memory, string memory, uint16, uint16, uint256)
    {
        revert NoEntryAtIndex(index);
    }

    /// @notice GoQuorum's role manager reader, by index. There is no role: always reverts.
    /// @param index The index asked for.
    /// @return The roleId (never returned).
    /// @return The orgId (never returned).
    /// @return The accessType (never returned).
    /// @return The voter (never returned).
    /// @return The admin (never returned).
    /// @return The active (never returned).
    function getRoleDetailsFromIndex(uint256 index)
        external
        pure
        returns (string memory, string memory, uint256, bool, bool, bool)
    {
        revert NoEntryAtIndex(index);
    }

    /// @notice GoQuorum's account manager reader, by index. There is no account: always reverts.
    /// @param index The index asked for.
    /// @return The account (never returned).
    /// @return The orgId (never returned).
    /// @return The role (never returned).
    /// @return The status (never returned).
    /// @return The orgAdmin (never returned).
    function getAccountDetailsFromIndex(uint256 index)
        external
        pure
        returns (address, string memory, string memory, uint256, bool)
    {
        revert NoEntryAtIndex(index);
    }

    /// @dev Passes this call's calldata unchanged to the ingress with a `staticcall`; true only for an
    /// answer of exactly 32 bytes holding 1.
    function _forward() private view returns (bool allowed) {
        address target = ingress;
        assembly ("memory-safe") {
            let question := mload(0x40)
            calldatacopy(question, 0, calldatasize())
            let ok := staticcall(gas(), target, question, calldatasize(), 0, 0x20)
            allowed := and(ok, and(eq(returndatasize(), 0x20), eq(mload(0), 1)))
        }
    }
}
