// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MemberRegistry} from "./registry/MemberRegistry.sol";
import {ConsortiumGovernance} from "./governance/ConsortiumGovernance.sol";
import {GovernanceVoteSignatures} from "./governance/GovernanceVoteSignatures.sol";
import {RegistryPermissionRules} from "./permissioning/RegistryPermissionRules.sol";

/// @title Consortium
/// @notice The member registry governed by its members' weighted votes. The deployer bootstraps the
/// founding members, then hands control to governance for good: from then on only a passed proposal,
/// executed by this contract on itself, changes members, weights, limits or settings. It also answers
/// the chain's permission questions from its own records: it is the first rules contract behind the
/// `PermissionIngress`, which governance may later point at other rules.
contract Consortium is GovernanceVoteSignatures, RegistryPermissionRules {
    NodeMatch internal _nodeMatchMode;

    address private immutable _bootstrapper;

    /// @notice The bootstrapper handed control to governance, for good.
    event GovernanceStarted(address indexed formerBootstrapper);

    /// @notice Only governance (a passed proposal executed by this contract; the bootstrapper before
    /// it hands over) may do this.
    error OnlyGovernance(address caller);
    /// @notice Only the bootstrapper, before it has handed over, may start governance.
    error NotBootstrapper(address caller);

    /// @param initialSettings The governance settings to start with.
    /// @param floors The floors under the voting and expiry periods, fixed for good.
    /// @param limits The caps on accounts and nodes per member.
    constructor(Settings memory initialSettings, SettingsFloors memory floors, MemberLimits memory limits)
        MemberRegistry(limits)
        ConsortiumGovernance(initialSettings, floors)
    {
        _bootstrapper = msg.sender;
    }

    /// @notice The account that may bootstrap the founding members; zero once governance has taken over.
    function bootstrapper() public view returns (address) {
        return _governor.started ? address(0) : _bootstrapper;
    }

    /// @notice Hands control to governance, for good. Only the bootstrapper; needs at least one active
    /// member, one admin account and one node, so that governance can act and the network can run.
    function startGovernance() external {
        address former = bootstrapper();
        if (msg.sender != former || former == address(0)) revert NotBootstrapper(msg.sender);
        _governor.started = true;
        _checkNoLockOut();
        emit GovernanceStarted(former);
    }

    /// @notice Sets how connecting nodes are matched: by enode id alone, or by id, host and port.
    /// Governance only.
    /// @param mode The matching mode.
    function setNodeMatch(NodeMatch mode) external onlyGovernance {
        _nodeMatchMode = mode;
        emit NodeMatchChanged(mode);
    }

    /// @notice The node matching mode in force.
    function nodeMatch() external view returns (NodeMatch) {
        return _nodeMatchMode;
    }

    function _checkGovernance() internal view override {
        if (!_isGovernance(msg.sender)) revert OnlyGovernance(msg.sender);
    }

    function _isGovernance(address caller) internal view override returns (bool) {
        return caller == address(this) || (caller == _bootstrapper && !_governor.started);
    }

    function _bootstrapping() internal view override returns (bool) {
        return msg.sender == _bootstrapper && !_governor.started;
    }

    function _accountFlags(address account) internal view override returns (uint8) {
        return accountAccess(account);
    }

    function _nodeRecord(bytes32 nodeKey) internal view override returns (bool active, bytes26 hostHash, uint16 port) {
        Node memory node = _nodes[nodeKey];
        active = node.memberId != 0 && _memberCore[node.memberId].status == MemberStatus.Active;
        return (active, node.hostHash, node.port);
    }

    function _nodeMatch() internal view override returns (NodeMatch) {
        return _nodeMatchMode;
    }
}
