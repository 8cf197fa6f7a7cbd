// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title The settings word
/// @notice The named bit positions and the pack and unpack helpers of a settings value: the 160 bits
/// the settings history keeps per epoch (a `Checkpoints.Trace224` value), laid out as the low 160 bits
/// of `ConsortiumGovernance.GovernorState`.
/// @dev Fields from the low bits: `quorumBps` (16 bits), `thresholdBps` (16), `votingDelay` (32),
/// `votingPeriod` (32), `executionDelay` (32), `expiryPeriod` (32). The positions are the compiler's
/// offsets for `GovernorState`'s settings, pinned by tests/contracts/test_storage_layout.py.
library SettingsWord {
    /// @dev Position of `quorumBps` (16 bits).
    uint256 internal constant QUORUM_BPS = 0;
    /// @dev Position of `thresholdBps` (16 bits).
    uint256 internal constant THRESHOLD_BPS = 16;
    /// @dev Position of `votingDelay` (32 bits).
    uint256 internal constant VOTING_DELAY = 32;
    /// @dev Position of `votingPeriod` (32 bits).
    uint256 internal constant VOTING_PERIOD = 64;
    /// @dev Position of `executionDelay` (32 bits).
    uint256 internal constant EXECUTION_DELAY = 96;
    /// @dev Position of `expiryPeriod` (32 bits).
    uint256 internal constant EXPIRY_PERIOD = 128;
    /// @dev Where a settings value ends: the governor word's fields from here on are not settings.
    uint256 internal constant END = 160;

    /// @dev A settings value, as the settings history stores it.
    /// @param quorumBps The quorum, in basis points.
    /// @param thresholdBps The approval threshold, in basis points.
    /// @param votingDelay Seconds from creation until voting opens.
    /// @param votingPeriod Seconds voting stays open.
    /// @param executionDelay Seconds a passed proposal waits after voting ends.
    /// @param expiryPeriod Seconds a passed proposal stays executable after its delay.
    /// @return The value.
    function pack(
        uint16 quorumBps,
        uint16 thresholdBps,
        uint32 votingDelay,
        uint32 votingPeriod,
        uint32 executionDelay,
        uint32 expiryPeriod
    ) internal pure returns (uint224) {
        return (uint224(quorumBps) << QUORUM_BPS) | (uint224(thresholdBps) << THRESHOLD_BPS)
            | (uint224(votingDelay) << VOTING_DELAY) | (uint224(votingPeriod) << VOTING_PERIOD)
            | (uint224(executionDelay) << EXECUTION_DELAY) | (uint224(expiryPeriod) << EXPIRY_PERIOD);
    }

    /// @dev `governorWord` with its settings replaced by `value`, its other fields kept.
    /// @param governorWord The governor word (`ConsortiumGovernance.GovernorState`) before.
    /// @param value A settings value.
    /// @return The governor word after.
    function inGovernorWord(uint256 governorWord, uint224 value) internal pure returns (uint256) {
        return ((governorWord >> END) << END) | value;
    }

    /// @dev A settings value's quorum, in basis points.
    /// @param value A settings value.
    /// @return The quorum.
    function quorumBps(uint256 value) internal pure returns (uint16) {
        return uint16(value >> QUORUM_BPS);
    }

    /// @dev A settings value's approval threshold, in basis points.
    /// @param value A settings value.
    /// @return The threshold.
    function thresholdBps(uint256 value) internal pure returns (uint16) {
        return uint16(value >> THRESHOLD_BPS);
    }

    /// @dev A settings value's voting delay, in seconds.
    /// @param value A settings value.
    /// @return The delay.
    function votingDelay(uint256 value) internal pure returns (uint32) {
        return uint32(value >> VOTING_DELAY);
    }

    /// @dev A settings value's voting period, in seconds.
    /// @param value A settings value.
    /// @return The period.
    function votingPeriod(uint256 value) internal pure returns (uint32) {
        return uint32(value >> VOTING_PERIOD);
    }

    /// @dev A settings value's execution delay, in seconds.
    /// @param value A settings value.
    /// @return The delay.
    function executionDelay(uint256 value) internal pure returns (uint32) {
        return uint32(value >> EXECUTION_DELAY);
    }

    /// @dev A settings value's expiry period, in seconds.
    /// @param value A settings value.
    /// @return The period.
    function expiryPeriod(uint256 value) internal pure returns (uint32) {
        return uint32(value >> EXPIRY_PERIOD);
    }
}
