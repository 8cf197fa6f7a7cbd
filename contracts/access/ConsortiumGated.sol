// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";

/// @title Gated by consortium membership
/// @notice Inherit it to guard an application contract's functions through the member registry:
/// `onlyMember` for any account of an active member, `onlyFlag` for accounts holding a role flag
/// (see `Roles`). Suspending or removing a member closes its accounts' access at once.
abstract contract ConsortiumGated {
    /// @notice The registry consulted on each guarded call.
    IConsortiumRegistry public immutable consortium;

    /// @notice The account belongs to no active member.
    error NotConsortiumMember(address account);
    /// @notice The account does not hold this role flag in force.
    error MissingRole(address account, uint8 flag);

    constructor(IConsortiumRegistry registry) {
        consortium = registry;
    }

    /// @dev The caller must be an account of an active member.
    modifier onlyMember() {
        (, bool active) = consortium.memberOf(msg.sender);
        if (!active) revert NotConsortiumMember(msg.sender);
        _;
    }

    /// @dev The caller must hold `flag` right now (unaffiliated accounts allowed by governance count).
    modifier onlyFlag(uint8 flag) {
        if (consortium.accountAccess(msg.sender) & flag != flag) revert MissingRole(msg.sender, flag);
        _;
    }
}
