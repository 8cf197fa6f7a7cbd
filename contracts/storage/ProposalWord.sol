// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title The proposal word
/// @notice The named bit positions and the pack and unpack helpers of `ConsortiumGovernance.ProposalCore`
/// as one storage word, which `propose` writes and a vote reads and writes whole.
/// @dev Fields are packed from the low bits in declaration order: `voteStart` (40 bits), `voteEnd` (40),
/// `snapshot` (32), `executed` (8), `canceled` (8), `forVotes` (40), `againstVotes` (40),
/// `abstainVotes` (40). The positions are the compiler's offsets for `ProposalCore`, pinned by
/// tests/contracts/test_storage_layout.py.
library ProposalWord {
    /// @dev Position of `voteStart` (40 bits; 0: no such proposal).
    uint256 internal constant VOTE_START = 0;
    /// @dev Position of `voteEnd` (40 bits).
    uint256 internal constant VOTE_END = 40;
    /// @dev Position of `snapshot` (32 bits).
    uint256 internal constant SNAPSHOT = 80;
    /// @dev Position of `executed` (one byte).
    uint256 internal constant EXECUTED = 112;
    /// @dev Position of `canceled` (one byte, right above `executed`).
    uint256 internal constant CANCELED = 120;
    /// @dev Position of `forVotes` (40 bits).
    uint256 internal constant FOR_VOTES = 128;
    /// @dev Position of `againstVotes` (40 bits).
    uint256 internal constant AGAINST_VOTES = 168;
    /// @dev Position of `abstainVotes` (40 bits).
    uint256 internal constant ABSTAIN_VOTES = 208;

    /// @dev The word of a new proposal: no flags, no votes.
    /// @param voteStart_ When voting opens (below 2**40).
    /// @param voteEnd_ When voting closes, exclusive (below 2**40).
    /// @param snapshot_ The epoch whose settings and weights the proposal follows.
    /// @return The word.
    function pack(uint256 voteStart_, uint256 voteEnd_, uint32 snapshot_) internal pure returns (uint256) {
        return (voteStart_ << VOTE_START) | (voteEnd_ << VOTE_END) | (uint256(snapshot_) << SNAPSHOT);
    }

    /// @dev When a proposal word's voting opens (0: no such proposal).
    /// @param word A proposal word.
    /// @return The time.
    function voteStart(uint256 word) internal pure returns (uint40) {
        return uint40(word >> VOTE_START);
    }

    /// @dev When a proposal word's voting closes (exclusive).
    /// @param word A proposal word.
    /// @return The time.
    function voteEnd(uint256 word) internal pure returns (uint40) {
        return uint40(word >> VOTE_END);
    }

    /// @dev The epoch a proposal word was created in.
    /// @param word A proposal word.
    /// @return The epoch.
    function snapshot(uint256 word) internal pure returns (uint32) {
        return uint32(word >> SNAPSHOT);
    }

    /// @dev Whether a proposal word is executed or canceled (both flags, adjacent bytes, read at once).
    /// @param word A proposal word.
    /// @return Whether it is closed.
    function isClosed(uint256 word) internal pure returns (bool) {
        return uint16(word >> EXECUTED) != 0;
    }

    /// @dev `word` with `weight` added to the tally at `position` (`FOR_VOTES`, `AGAINST_VOTES` or
    /// `ABSTAIN_VOTES`); the caller makes sure that the tally cannot overflow its 40 bits.
    /// @param word A proposal word.
    /// @param position The tally's position.
    /// @param weight The weight to add.
    /// @return The word after.
    function withVotes(uint256 word, uint256 position, uint256 weight) internal pure returns (uint256) {
        return word + (weight << position);
    }
}

/// @title Proposal ids
/// @notice The parts of a proposal id: the top 192 bits of its content digest, the proposing member's
/// id (bits 32..63) and the proposal number (bits 0..31).
library ProposalId {
    /// @dev Position of the proposing member's id (32 bits).
    uint256 internal constant PROPOSER = 32;

    /// @dev A proposal id: the top 192 bits of the content digest, then the proposing member's id
    /// (bits 32..63) and the proposal number (bits 0..31).
    /// @param digest The content digest.
    /// @param proposerMemberId The proposing member.
    /// @param number The proposal number.
    /// @return The id.
    function pack(uint256 digest, uint32 proposerMemberId, uint32 number) internal pure returns (uint256) {
        return (digest & ~uint256(type(uint64).max)) | (uint256(proposerMemberId) << PROPOSER) | number;
    }

    /// @dev The proposing member of a proposal id.
    /// @param proposalId A proposal id.
    /// @return The member id.
    function proposerOf(uint256 proposalId) internal pure returns (uint32) {
        return uint32(proposalId >> PROPOSER);
    }

    /// @dev The proposal number of a proposal id.
    /// @param proposalId A proposal id.
    /// @return The number.
    function numberOf(uint256 proposalId) internal pure returns (uint32) {
        return uint32(proposalId);
    }
}
