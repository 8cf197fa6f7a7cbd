// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title The settings word
/// @notice The named bit positions and the pack and unpack helpers of the governor word
/// (`ConsortiumGovernance.GovernorState`), whose low 160 bits are the settings in force laid out as a
/// settings value: the value the settings history keeps per epoch (a `Checkpoints.Trace224` value).
/// @dev Fields from the low bits: the settings `quorumBps` (16 bits), `thresholdBps` (16), `votingDelay`
/// (32), `votingPeriod` (32), `executionDelay` (32), `expiryPeriod` (32); then, in the governor word
/// only, `proposalCount` (32), `epoch` (32) and `started` (8, 0 or 1). The positions are the compiler's
/// offsets for `GovernorState`, pinned by tests/contracts/test_storage_layout.py. The settings getters
/// read a settings value and a governor word alike.
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
    /// @dev Position of `expiryPeriod` (32 bits; a settings value ends at bit 160).
    uint256 internal constant EXPIRY_PERIOD = 128;
    /// @dev Position of the governor word's `proposalCount` (32 bits), right above the settings.
    uint256 internal constant PROPOSAL_COUNT = 160;
    /// @dev Position of the governor word's `epoch` (32 bits).
    uint256 internal constant EPOCH = 192;
    /// @dev Position of the governor word's `started` (one byte, 0 or 1).
    uint256 internal constant STARTED = 224;

    /// @dev A settings value, as the settings history stores it.
    /// @param quorumBps_ The quorum, in basis points.
    /// @param thresholdBps_ The approval threshold, in basis points.
    /// @param votingDelay_ Seconds from creation until voting opens.
    /// @param votingPeriod_ Seconds voting stays open.
    /// @param executionDelay_ Seconds a passed proposal waits after voting ends.
    /// @param expiryPeriod_ Seconds a passed proposal stays executable after its delay.
    /// @return The value.
    function pack(
        uint16 quorumBps_,
        uint16 thresholdBps_,
        uint32 votingDelay_,
        uint32 votingPeriod_,
        uint32 executionDelay_,
        uint32 expiryPeriod_
    ) internal pure returns (uint224) {
        return uint224(
            (uint256(quorumBps_) << QUORUM_BPS) | (uint256(thresholdBps_) << THRESHOLD_BPS)
                | (uint256(votingDelay_) << VOTING_DELAY) | (uint256(votingPeriod_) << VOTING_PERIOD)
                | (uint256(executionDelay_) << EXECUTION_DELAY) | (uint256(expiryPeriod_) << EXPIRY_PERIOD)
        );
    }

    /// @dev `governorWord` with its settings replaced by `value`, its other fields kept.
    /// @param governorWord The governor word before.
    /// @param value A settings value.
    /// @return The governor word after.
    function withSettings(uint256 governorWord, uint224 value) internal pure returns (uint256) {
        return ((governorWord >> PROPOSAL_COUNT) << PROPOSAL_COUNT) | value;
    }

    /// @dev How many proposals a governor word counts.
    /// @param governorWord A governor word.
    /// @return The count.
    function proposalCount(uint256 governorWord) internal pure returns (uint32) {
        return uint32(governorWord >> PROPOSAL_COUNT);
    }

    /// @dev `governorWord` with its proposal count set to `count`, its other fields kept.
    /// @param governorWord A governor word.
    /// @param count The new count.
    /// @return The governor word after.
    function withProposalCount(uint256 governorWord, uint32 count) internal pure returns (uint256) {
        return (governorWord & ~(uint256(type(uint32).max) << PROPOSAL_COUNT)) | (uint256(count) << PROPOSAL_COUNT);
    }

    /// @dev A governor word's epoch.
    /// @param governorWord A governor word.
    /// @return The epoch.
    function epoch(uint256 governorWord) internal pure returns (uint32) {
        return uint32(governorWord >> EPOCH);
    }

    /// @dev Whether a governor word says that governance has taken over from the bootstrapper.
    /// @param governorWord A governor word.
    /// @return Whether it has.
    function started(uint256 governorWord) internal pure returns (bool) {
        return uint8(governorWord >> STARTED) != 0;
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
