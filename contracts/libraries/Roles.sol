// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Account role flags
/// @notice Bit flags an account holds within its member organization.
library Roles {
    /// @notice May send transactions to existing contracts and accounts.
    uint8 internal constant TRANSACT = 1;
    /// @notice May create contracts (a transaction whose target is the zero address).
    uint8 internal constant DEPLOY = 2;
    /// @notice Member admin: votes and proposes for the member, manages its accounts and nodes. The
    /// permission rules let it send transactions to existing contracts and accounts as if it held
    /// `TRANSACT` (not create contracts); `accountAccess` reports the flags as registered.
    uint8 internal constant ADMIN = 4;
    /// @notice Every flag that has a meaning.
    uint8 internal constant ALL = TRANSACT | DEPLOY | ADMIN;
}
