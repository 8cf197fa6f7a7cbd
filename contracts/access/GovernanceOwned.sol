// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Owned by the consortium's governance
/// @notice For contracts whose settings only a passed proposal changes: the owner is fixed at
/// deployment and there is no transfer, so no deployer or admin key keeps power.
abstract contract GovernanceOwned {
    /// @notice The governance contract (the `Consortium`), the only account allowed to change settings.
    address public immutable governance;

    /// @notice Only the governance contract may do this.
    error OnlyGovernance(address caller);
    /// @notice The governance address cannot be zero.
    error ZeroGovernance();

    constructor(address governance_) {
        if (governance_ == address(0)) revert ZeroGovernance();
        governance = governance_;
    }

    modifier onlyGovernance() {
        if (msg.sender != governance) revert OnlyGovernance(msg.sender);
        _;
    }
}
