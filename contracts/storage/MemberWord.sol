// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title The member word
/// @notice The named bit positions and the pack and unpack helpers of `MemberRegistry.MemberCore` as
/// one storage word, which a vote reads and writes whole (`_castVote`).
/// @dev Fields are packed from the low bits in declaration order: `status` (8 bits), `weight` (32),
/// `checkpointEpoch` (32), `voteBase` (32), `ballotNonce` (24), `voteBits` (128). The positions are the
/// compiler's offsets for `MemberCore`, pinned by tests/contracts/test_storage_layout.py. The vote window:
/// bit `i` of `voteBits` marks a vote on proposal number `voteBase + i`.
library MemberWord {
    /// @dev Position of `status` (8 bits, a `MemberRegistry.MemberStatus`).
    uint256 internal constant STATUS = 0;
    /// @dev Position of `weight` (32 bits).
    uint256 internal constant WEIGHT = 8;
    /// @dev Position of `checkpointEpoch` (32 bits).
    uint256 internal constant CHECKPOINT_EPOCH = 40;
    /// @dev Position of `voteBase` (32 bits); everything below it is the registry's part of the word.
    uint256 internal constant VOTE_BASE = 72;
    /// @dev Position of `ballotNonce` (24 bits).
    uint256 internal constant BALLOT_NONCE = 104;
    /// @dev Position of `voteBits` (128 bits: the vote window's marks).
    uint256 internal constant VOTE_BITS = 128;

    /// @dev A member word's status.
    /// @param word A member word.
    /// @return The status, as the number of its `MemberStatus`.
    function status(uint256 word) internal pure returns (uint8) {
        return uint8(word >> STATUS);
    }

    /// @dev A member word's weight.
    /// @param word A member word.
    /// @return The weight.
    function weight(uint256 word) internal pure returns (uint32) {
        return uint32(word >> WEIGHT);
    }

    /// @dev The epoch of the last change of a member word's effective weight.
    /// @param word A member word.
    /// @return The epoch.
    function checkpointEpoch(uint256 word) internal pure returns (uint32) {
        return uint32(word >> CHECKPOINT_EPOCH);
    }

    /// @dev The nonce the member's next signed ballot must carry.
    /// @param word A member word.
    /// @return The nonce.
    function ballotNonce(uint256 word) internal pure returns (uint24) {
        return uint24(word >> BALLOT_NONCE);
    }

    /// @dev `word` with its ballot nonce set to `nonce`, taken modulo 2**24.
    /// @param word A member word.
    /// @param nonce The new nonce.
    /// @return The word after.
    function withBallotNonce(uint256 word, uint256 nonce) internal pure returns (uint256) {
        return (word & ~(uint256(type(uint24).max) << BALLOT_NONCE)) | (uint256(uint24(nonce)) << BALLOT_NONCE);
    }

    /// @dev A member word's vote window.
    /// @param word A member word.
    /// @return base The first proposal number of the window.
    /// @return bits The window's marks.
    function voteWindow(uint256 word) internal pure returns (uint256 base, uint256 bits) {
        return (uint32(word >> VOTE_BASE), word >> VOTE_BITS);
    }

    /// @dev `word` with its vote window set, its other fields kept.
    /// @param word A member word.
    /// @param base The window's first proposal number (below 2**32).
    /// @param bits The window's marks (below 2**128).
    /// @return The word after.
    function withVoteWindow(uint256 word, uint256 base, uint256 bits) internal pure returns (uint256) {
        return (word & ((1 << VOTE_BASE) - 1)) | (base << VOTE_BASE)
            | (uint256(uint24(word >> BALLOT_NONCE)) << BALLOT_NONCE) | (bits << VOTE_BITS);
    }

    /// @dev Whether the marks `bits` hold a vote at `offset` of their window.
    /// @param bits A vote window's marks.
    /// @param offset A proposal number minus the window's base.
    /// @return Whether the member voted on that proposal.
    function isMarked(uint256 bits, uint256 offset) internal pure returns (bool) {
        return (bits >> offset) & 1 == 1;
    }

    /// @dev The marks `bits` with a vote at `offset` of their window.
    /// @param bits A vote window's marks.
    /// @param offset A proposal number minus the window's base.
    /// @return The marks after.
    function withMark(uint256 bits, uint256 offset) internal pure returns (uint256) {
        return bits | (1 << offset);
    }

    /// @dev The marks `bits` of a window moved `shift` proposal numbers on (the oldest marks drop out).
    /// @param bits A vote window's marks.
    /// @param shift How many proposal numbers the window's base moves on.
    /// @param windowSize How many proposal numbers the window covers.
    /// @return The marks after.
    function slide(uint256 bits, uint256 shift, uint256 windowSize) internal pure returns (uint256) {
        return shift >= windowSize ? 0 : bits >> shift;
    }
}
