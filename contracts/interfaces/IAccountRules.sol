// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Account permissioning rule (Enterprise Ethereum Alliance client spec v6)
/// @notice The exact interface GoQuorum's enhanced permissions and Besu's account permissioning call,
/// as a simulated call at the chain head from the zero address.
interface IAccountRules {
    /// @notice Whether `sender` may send a transaction to `target` (the zero address creates a contract).
    /// @return True when the transaction is allowed; the answer is always a 32-byte 0 or 1.
    function transactionAllowed(
        address sender,
        address target,
        uint256 value,
        uint256 gasPrice,
        uint256 gasLimit,
        bytes calldata payload
    ) external view returns (bool);
}
