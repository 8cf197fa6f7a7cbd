// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

// Test only (tests/contracts/test_storage_layout.py compiles it beside contracts/, it is never
// shipped): each pack and unpack helper of contracts/storage/ behind an external function, so that
// the test runs the helpers themselves against the compiler's storage layout.

import {AccountWord} from "../../contracts/storage/AccountWord.sol";
import {MemberWord} from "../../contracts/storage/MemberWord.sol";
import {ProposalId, ProposalWord} from "../../contracts/storage/ProposalWord.sol";
import {SettingsWord} from "../../contracts/storage/SettingsWord.sol";

contract StorageWordsProbe {
    // ---------------------------------------------------------------- ProposalWord

    function proposalPack(uint256 voteStart, uint256 voteEnd, uint32 snapshot) external pure returns (uint256) {
        return ProposalWord.pack(voteStart, voteEnd, snapshot);
    }

    function proposalFields(uint256 word) external pure returns (uint40, uint40, uint32, bool) {
        return (ProposalWord.voteStart(word), ProposalWord.voteEnd(word), ProposalWord.snapshot(word), ProposalWord.isClosed(word));
    }

    function proposalWithVotes(uint256 word, uint256 position, uint256 weight) external pure returns (uint256) {
        return ProposalWord.withVotes(word, position, weight);
    }

    function proposalTallies() external pure returns (uint256, uint256, uint256) {
        return (ProposalWord.FOR_VOTES, ProposalWord.AGAINST_VOTES, ProposalWord.ABSTAIN_VOTES);
    }

    function proposalId(uint256 digest, uint32 proposer, uint32 number) external pure returns (uint256, uint32, uint32) {
        uint256 id = ProposalId.pack(digest, proposer, number);
        return (id, ProposalId.proposerOf(id), ProposalId.numberOf(id));
    }

    // ---------------------------------------------------------------- MemberWord

    function memberFields(uint256 word) external pure returns (uint8, uint32, uint32, uint24, uint256, uint256) {
        (uint256 base, uint256 bits) = MemberWord.voteWindow(word);
        return (
            MemberWord.status(word), MemberWord.weight(word), MemberWord.checkpointEpoch(word),
            MemberWord.ballotNonce(word), base, bits
        );
    }

    function memberWithBallotNonce(uint256 word, uint256 nonce) external pure returns (uint256) {
        return MemberWord.withBallotNonce(word, nonce);
    }

    function memberWithVoteWindow(uint256 word, uint256 base, uint256 bits) external pure returns (uint256) {
        return MemberWord.withVoteWindow(word, base, bits);
    }

    function memberMarks(uint256 bits, uint256 offset, uint256 shift) external pure returns (bool, uint256, uint256) {
        return (MemberWord.isMarked(bits, offset), MemberWord.withMark(bits, offset), MemberWord.slide(bits, shift, 128));
    }

    // ---------------------------------------------------------------- AccountWord

    function accountPack(uint32 memberId, uint8 flags, bool pending, uint64 consentNonce) external pure returns (uint256) {
        return AccountWord.pack(memberId, flags, pending, consentNonce);
    }

    function accountFields(uint256 word) external pure returns (uint32, uint8) {
        return (AccountWord.memberId(word), AccountWord.flags(word));
    }

    function accountWithRegistration(uint256 word, uint32 memberId, uint8 flags, bool pending)
        external
        pure
        returns (uint256)
    {
        return AccountWord.withRegistration(word, memberId, flags, pending);
    }

    // ---------------------------------------------------------------- SettingsWord

    function settingsPack(uint16 q, uint16 t, uint32 vd, uint32 vp, uint32 ed, uint32 ep)
        external
        pure
        returns (uint224)
    {
        return SettingsWord.pack(q, t, vd, vp, ed, ep);
    }

    function settingsFields(uint256 word) external pure returns (uint16, uint16, uint32, uint32, uint32, uint32) {
        return (
            SettingsWord.quorumBps(word), SettingsWord.thresholdBps(word), SettingsWord.votingDelay(word),
            SettingsWord.votingPeriod(word), SettingsWord.executionDelay(word), SettingsWord.expiryPeriod(word)
        );
    }

    function governorFields(uint256 word) external pure returns (uint32, uint32, bool) {
        return (SettingsWord.proposalCount(word), SettingsWord.epoch(word), SettingsWord.started(word));
    }

    function governorWithSettings(uint256 word, uint224 value) external pure returns (uint256) {
        return SettingsWord.withSettings(word, value);
    }

    function governorWithProposalCount(uint256 word, uint32 count) external pure returns (uint256) {
        return SettingsWord.withProposalCount(word, count);
    }
}
