// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title The registry's answers to permission questions
/// @notice What the permissioning rules and consortium application contracts read from the member registry.
interface IConsortiumRegistry {
    /// @notice The flags an account holds right now: zero unless it belongs to an active member or is
    /// allowed by governance on its own.
    function accountAccess(address account) external view returns (uint8 flags);

    /// @notice The member an account belongs to (zero for none) and whether that member is active.
    function memberOf(address account) external view returns (uint32 memberId, bool active);

    /// @notice A node's registration, by the keccak-256 hash of its 64-byte public key.
    /// @return memberId The member it is registered to (zero for none).
    /// @return active Whether the node belongs to an active member.
    /// @return hostHash The first 26 bytes of keccak-256 of the registered host.
    /// @return port The registered P2P port.
    function nodeAccess(bytes32 nodeKey)
        external
        view
        returns (uint32 memberId, bool active, bytes26 hostHash, uint16 port);
}
