// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Node permissioning rule (Enterprise Ethereum Alliance client spec v6)
/// @notice The exact interface GoQuorum and Besu call once for each side of a peer connection.
interface INodeRules {
    /// @notice Whether a node may connect.
    /// @param enodeId The node's public key as 128 hex digits, with or without a `0x` prefix.
    /// @param enodeHost The host as in the enode URL (an IP address or a DNS name).
    /// @param enodePort The node's P2P port.
    /// @return True when the connection is allowed.
    function connectionAllowed(string calldata enodeId, string calldata enodeHost, uint16 enodePort)
        external
        view
        returns (bool);
}
