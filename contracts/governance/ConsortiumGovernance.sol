// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {MemberRegistry} from "../registry/MemberRegistry.sol";
import {Roles} from "../libraries/Roles.sol";
import {MemberWord} from "../storage/MemberWord.sol";
import {ProposalId, ProposalWord} from "../storage/ProposalWord.sol";
import {SettingsWord} from "../storage/SettingsWord.sol";

/// @title Consortium governance
/// @notice Members vote on proposals (lists of calls) with the weight they had when the proposal was
/// created; a proposal that reaches quorum and the approval threshold executes on-chain, once.
/// @dev Composed on the member registry so that a vote reads the voter's member record in the
/// contract that counts it. A proposal is one storage word: its times, its snapshot epoch, its flags
/// and its tally. Its id packs a 192-bit hash of its content with the proposing member's id (bits
/// 32..63) and its sequence number (bits 0..31). Each member's voted marks live in its own record,
/// as a window of the 128 proposal numbers ending at the newest it voted on.
///
/// Windows, with `voteEnd = voteStart + votingPeriod` and `executableAt = voteEnd + executionDelay`:
/// a proposal is Pending before `voteStart`, takes votes from `voteStart` (inclusive) until `voteEnd`
/// (exclusive: exactly `votingPeriod` seconds), is Queued from `voteEnd` until `executableAt`
/// (exclusive), executable from `executableAt` (inclusive) until `executableAt + expiryPeriod`
/// (exclusive), and Expired from then on.
abstract contract ConsortiumGovernance is MemberRegistry {
    using Checkpoints for Checkpoints.Trace224;

    /// @notice Same order as OpenZeppelin's Governor. `Succeeded` means executable now; `Queued` means
    /// passed and waiting for the execution delay.
    enum ProposalState {
        Pending,
        Active,
        Canceled,
        Defeated,
        Succeeded,
        Queued,
        Expired,
        Executed
    }

    /// @notice Vote types, as OpenZeppelin's GovernorCountingSimple numbers them.
    uint8 internal constant VOTE_AGAINST = 0;
    uint8 internal constant VOTE_FOR = 1;
    uint8 internal constant VOTE_ABSTAIN = 2;

    /// @notice How many consecutive proposal numbers one member's voted marks cover.
    uint256 internal constant VOTE_WINDOW = 128;

    /// @notice The smallest voting period any consortium may set or take as its floor.
    uint32 public constant ABSOLUTE_MIN_VOTING_PERIOD = 10;
    /// @notice The smallest expiry period any consortium may set or take as its floor.
    uint32 public constant ABSOLUTE_MIN_EXPIRY_PERIOD = 60;

    /// @notice Governance parameters. A proposal follows the parameters in force when it was created.
    /// @param quorumBps Share of the total active weight (of the active members with an admin account)
    /// that must vote (for, against or abstain), in basis points.
    /// @param thresholdBps Share of `for` among `for` plus `against` needed to pass, in basis points (at least).
    /// @param votingDelay Seconds from creation until voting opens.
    /// @param votingPeriod Seconds voting stays open (from `voteStart` inclusive to `voteEnd` exclusive).
    /// @param executionDelay Seconds a passed proposal waits after voting ends before it can execute.
    /// @param expiryPeriod Seconds a passed proposal stays executable after its delay; then it expires.
    struct Settings {
        uint16 quorumBps;
        uint16 thresholdBps;
        uint32 votingDelay;
        uint32 votingPeriod;
        uint32 executionDelay;
        uint32 expiryPeriod;
    }

    /// @notice Floors under the voting and expiry periods, fixed at deployment (from the consortium
    /// file): no proposal can set governance so fast that, on this chain's block time, no later proposal
    /// could be voted on and executed to change it back.
    /// @param minVotingPeriod The smallest voting period governance may set.
    /// @param minExpiryPeriod The smallest expiry period governance may set.
    struct SettingsFloors {
        uint32 minVotingPeriod;
        uint32 minExpiryPeriod;
    }

    /// @dev The governor's one hot word: the settings in force (laid out as a settings value of
    /// `SettingsWord`), the proposal counter, the epoch and whether governance has taken over from the
    /// bootstrapper.
    struct GovernorState {
        uint16 quorumBps;
        uint16 thresholdBps;
        uint32 votingDelay;
        uint32 votingPeriod;
        uint32 executionDelay;
        uint32 expiryPeriod;
        uint32 proposalCount;
        uint32 epoch;
        bool started;
    }

    /// @dev A proposal's one storage word (bit positions and helpers: `ProposalWord`).
    struct ProposalCore {
        uint40 voteStart;
        uint40 voteEnd;
        uint32 snapshot;
        bool executed;
        bool canceled;
        uint40 forVotes;
        uint40 againstVotes;
        uint40 abstainVotes;
    }

    uint16 private constant _BPS = 10_000;
    uint32 private constant _MAX_PERIOD = 365 days;
    uint32 private constant _MAX_DELAY = 30 days;
    /// @dev Direct votes carry no ballot nonce.
    uint256 internal constant _NO_BALLOT = type(uint256).max;

    uint32 private immutable _minVotingPeriod;
    uint32 private immutable _minExpiryPeriod;

    GovernorState internal _governor;
    Checkpoints.Trace224 private _settingsHistory;
    mapping(uint256 proposalId => ProposalCore) private _proposals;

    /// @notice A proposal was created by an admin account of member `proposerMemberId`.
    event ProposalCreated(
        uint256 indexed proposalId,
        uint32 indexed proposerMemberId,
        address proposer,
        address[] targets,
        uint256[] values,
        bytes[] calldatas,
        string description
    );
    /// @notice Member `memberId` voted through its admin account `voter` (0 against, 1 for, 2 abstain)
    /// with `weight`.
    event VoteCast(
        uint256 indexed proposalId, uint32 indexed memberId, address indexed voter, uint8 support, uint256 weight
    );
    /// @notice A passed proposal was executed (once).
    event ProposalExecuted(uint256 indexed proposalId);
    /// @notice A proposal was canceled by its proposing member.
    event ProposalCanceled(uint256 indexed proposalId);
    /// @notice The governance settings changed; proposals created from now on follow them.
    event SettingsChanged(Settings settings);

    /// @notice Proposals are taken once the bootstrapper has handed over to governance.
    error GovernanceNotStarted();
    /// @notice A proposal needs at least one call, with as many values and calldatas as targets.
    error InvalidProposalLength(uint256 targets, uint256 values, uint256 calldatas);
    /// @notice No proposal has this id.
    error UnknownProposal(uint256 proposalId);
    /// @notice The proposal is not taking votes in its current state.
    error ProposalNotActive(uint256 proposalId, ProposalState state);
    /// @notice The proposal cannot execute in its current state (only `Succeeded` can).
    error ProposalNotExecutable(uint256 proposalId, ProposalState state);
    /// @notice Only a Pending or Active proposal can be canceled.
    error ProposalNotCancelable(uint256 proposalId, ProposalState state);
    /// @notice The calls given do not hash to the proposal's id.
    error ProposalActionsMismatch(uint256 proposalId);
    /// @notice Only an admin account of the proposing member may cancel.
    error NotProposer(address account, uint256 proposalId);
    /// @notice The member had no voting weight when the proposal was created.
    error NoVotingWeight(uint32 memberId, uint256 proposalId);
    /// @notice The member has already voted on this proposal.
    error AlreadyVoted(uint256 proposalId, uint32 memberId);
    /// @notice The member voted on a proposal `VOTE_WINDOW` or more numbers newer, so it can no longer
    /// vote on this one.
    error VoteWindowPassed(uint256 proposalId, uint32 memberId);
    /// @notice A signed ballot's nonce must be the member's next one (`ballotNonce`).
    error InvalidVoteNonce(uint32 memberId, uint256 expected);
    /// @notice Vote types are 0 (against), 1 (for) and 2 (abstain).
    error InvalidVoteType(uint8 support);
    /// @notice Settings out of bounds (see `setSettings`).
    error InvalidSettings(Settings settings);
    /// @notice Floors out of bounds: at least the absolute minimums, at most 365 days.
    error InvalidSettingsFloors(uint32 minVotingPeriod, uint32 minExpiryPeriod);
    /// @notice Call `index` of the proposal failed without a reason.
    error CallFailed(uint256 index);
    /// @notice Call `index` carries calldata to `target`, which has no code: it would do nothing.
    error CallToAddressWithoutCode(uint256 index, address target);
    /// @notice `execute` must carry exactly the sum of the proposal's values.
    error InvalidExecutionValue(uint256 expected, uint256 sent);

    constructor(Settings memory initial, SettingsFloors memory floors) {
        if (
            floors.minVotingPeriod < ABSOLUTE_MIN_VOTING_PERIOD || floors.minVotingPeriod > _MAX_PERIOD
                || floors.minExpiryPeriod < ABSOLUTE_MIN_EXPIRY_PERIOD || floors.minExpiryPeriod > _MAX_PERIOD
        ) revert InvalidSettingsFloors(floors.minVotingPeriod, floors.minExpiryPeriod);
        _minVotingPeriod = floors.minVotingPeriod;
        _minExpiryPeriod = floors.minExpiryPeriod;
        _setSettings(initial);
    }

    // ------------------------------------------------------------------ proposals

    /// @notice Proposes a list of calls. Only an admin account of an active member may propose.
    /// @param targets Contracts (or accounts) to call, in order.
    /// @param values Wei sent with each call.
    /// @param calldatas The calldata of each call.
    /// @param description A human-readable description (its hash is part of the proposal id).
    /// @return proposalId The proposal's id.
    function propose(
        address[] calldata targets,
        uint256[] calldata values,
        bytes[] calldata calldatas,
        string calldata description
    ) external returns (uint256 proposalId) {
        if (targets.length == 0 || targets.length != values.length || targets.length != calldatas.length) {
            revert InvalidProposalLength(targets.length, values.length, calldatas.length);
        }
        (uint32 memberId, uint32 number, uint256 word) = _openProposal();
        proposalId = _hashProposal(targets, values, calldatas, keccak256(bytes(description)), memberId, number);
        ProposalCore storage stored = _proposals[proposalId];
        assembly ("memory-safe") {
            sstore(stored.slot, word)
        }
        emit ProposalCreated(
            proposalId, memberId, msg.sender, targets, values, calldatas, description
        );
    }

    /// @notice Casts the caller's member's vote: 0 against, 1 for, 2 abstain, while the proposal is
    /// Active (from `voteStart` inclusive to `voteEnd` exclusive). The caller must be an
    /// admin account of an active member that had voting weight when the proposal was created (it was
    /// active and had an admin account then); a member votes once, whichever of its admin accounts votes.
    /// @param proposalId The proposal.
    /// @param support 0 against, 1 for, 2 abstain.
    /// @return weight The weight counted.
    function castVote(uint256 proposalId, uint8 support) external returns (uint256 weight) {
        return _castVote(proposalId, msg.sender, support, _NO_BALLOT);
    }

    /// @notice Executes a proposal that passed, after its execution delay and before it expires.
    /// Anyone may call it; it runs once. A failing call reverts the whole execution, which may be
    /// tried again until the proposal expires; so does a call with calldata to an address without
    /// code. The transaction must carry exactly the sum of the proposal's values.
    /// @param proposalId The proposal.
    /// @param targets Its targets, as proposed.
    /// @param values Its values, as proposed.
    /// @param calldatas Its calldatas, as proposed.
    /// @param descriptionHash keccak-256 of its description.
    function execute(
        uint256 proposalId,
        address[] calldata targets,
        uint256[] calldata values,
        bytes[] calldata calldatas,
        bytes32 descriptionHash
    ) external payable {
        if (
            _hashProposal(
                targets,
                values,
                calldatas,
                descriptionHash,
                ProposalId.proposerOf(proposalId),
                ProposalId.numberOf(proposalId)
            ) != proposalId
        ) {
            revert ProposalActionsMismatch(proposalId);
        }
        ProposalState current = state(proposalId);
        if (current != ProposalState.Succeeded) revert ProposalNotExecutable(proposalId, current);
        // The sum of the values, unchecked: were it to wrap, the calls could not pay their values
        // and the execution would revert all the same.
        uint256 total;
        assembly ("memory-safe") {
            for { let i := 0 } lt(i, values.length) { i := add(i, 1) } {
                total := add(total, calldataload(add(values.offset, shl(5, i))))
            }
        }
        if (msg.value != total) revert InvalidExecutionValue(total, msg.value);
        _proposals[proposalId].executed = true;
        emit ProposalExecuted(proposalId);
        _executeCalls(targets, values, calldatas);
    }

    /// @notice Cancels a proposal before its vote ends. Only an admin account of the proposing member,
    /// while that member is active.
    /// @param proposalId The proposal.
    function cancel(uint256 proposalId) external {
        ProposalState current = state(proposalId);
        if (current != ProposalState.Pending && current != ProposalState.Active) {
            revert ProposalNotCancelable(proposalId, current);
        }
        Account memory acct = _accounts[msg.sender];
        if (acct.memberId != ProposalId.proposerOf(proposalId) || acct.flags & Roles.ADMIN == 0) {
            revert NotProposer(msg.sender, proposalId);
        }
        if (_memberCore[acct.memberId].status != MemberStatus.Active) revert MemberNotActive(acct.memberId);
        _proposals[proposalId].canceled = true;
        emit ProposalCanceled(proposalId);
    }

    // ------------------------------------------------------------------ settings (governance only)

    /// @notice Replaces the governance settings (see `Settings` for each field and its bounds:
    /// quorum and threshold 1 to 10,000 basis points, voting period and expiry from their floors
    /// (`settingsFloors`) to 365 days, voting and execution delays at most 30 days). Proposals already
    /// created keep theirs. Governance only.
    /// @param newSettings The settings.
    function setSettings(Settings calldata newSettings) external onlyGovernance {
        _setSettings(newSettings);
    }

    // ------------------------------------------------------------------ reads

    /// @dev The id a proposal with this content, proposer member and number has.
    function _hashProposal(
        address[] calldata targets,
        uint256[] calldata values,
        bytes[] calldata calldatas,
        bytes32 descriptionHash,
        uint32 proposerMemberId,
        uint32 number
    ) internal pure returns (uint256) {
        uint256 digest =
            uint256(keccak256(abi.encode(targets, values, calldatas, descriptionHash, proposerMemberId, number)));
        return ProposalId.pack(digest, proposerMemberId, number);
    }

    /// @notice A proposal's state.
    function state(uint256 proposalId) public view returns (ProposalState) {
        ProposalCore memory p = _proposals[proposalId];
        if (p.voteStart == 0) revert UnknownProposal(proposalId);
        if (p.executed) return ProposalState.Executed;
        if (p.canceled) return ProposalState.Canceled;
        if (block.timestamp < p.voteStart) return ProposalState.Pending;
        if (block.timestamp < p.voteEnd) return ProposalState.Active;
        Settings memory s = settingsAt(p.snapshot);
        if (!_passed(p, s)) return ProposalState.Defeated;
        uint256 executableAt = uint256(p.voteEnd) + s.executionDelay;
        if (block.timestamp < executableAt) return ProposalState.Queued;
        if (block.timestamp >= executableAt + s.expiryPeriod) return ProposalState.Expired;
        return ProposalState.Succeeded;
    }

    /// @notice A proposal's stored record: voting times, snapshot epoch, flags and tally. The quorum
    /// it needs is `settingsAt(snapshot).quorumBps` of `totalWeightAt(snapshot)`, rounded up.
    function proposalCore(uint256 proposalId) external view returns (ProposalCore memory) {
        return _proposals[proposalId];
    }

    /// @notice Whether a member has voted on a proposal. Also true when the member's vote window has
    /// moved past the proposal (it voted on a proposal `VOTE_WINDOW` or more numbers newer), since it
    /// can no longer vote on it; false for a member that had no weight at the proposal's creation.
    function hasVoted(uint256 proposalId, uint32 memberId) external view returns (bool) {
        MemberCore memory core = _memberCore[memberId];
        uint32 number = ProposalId.numberOf(proposalId);
        // Below the window: a member that had no weight at the snapshot (it joined later) never
        // voted; one that had weight can no longer vote on it.
        if (number < core.voteBase) return _weightAt(memberId, core, _proposals[proposalId].snapshot) > 0;
        uint256 offset = number - core.voteBase;
        return offset < VOTE_WINDOW && MemberWord.isMarked(core.voteBits, offset);
    }

    /// @notice The nonce the member's next signed ballot must carry: one sequence per member, whichever
    /// admin account signs, so that a relayer counts a member's ballots in the order they were signed.
    function ballotNonce(uint32 memberId) external view returns (uint256) {
        return _memberCore[memberId].ballotNonce;
    }

    /// @notice How many proposals were ever created.
    function proposalCount() external view returns (uint256) {
        return _governor.proposalCount;
    }

    /// @notice The current epoch: it advances on every change of an effective weight or a setting, and
    /// a proposal's snapshot is the epoch it was created in.
    function epoch() external view returns (uint32) {
        return _governor.epoch;
    }

    /// @notice The floors under the voting and expiry periods, fixed at deployment.
    function settingsFloors() external view returns (SettingsFloors memory) {
        return SettingsFloors(_minVotingPeriod, _minExpiryPeriod);
    }

    /// @notice The settings in force now.
    function settings() public view returns (Settings memory) {
        GovernorState memory g = _governor;
        return Settings(g.quorumBps, g.thresholdBps, g.votingDelay, g.votingPeriod, g.executionDelay, g.expiryPeriod);
    }

    /// @notice The settings in force at an epoch (a proposal follows those of its snapshot).
    function settingsAt(uint32 atEpoch) public view returns (Settings memory) {
        uint256 value = _settingsHistory.upperLookupRecent(atEpoch);
        return Settings({
            quorumBps: SettingsWord.quorumBps(value),
            thresholdBps: SettingsWord.thresholdBps(value),
            votingDelay: SettingsWord.votingDelay(value),
            votingPeriod: SettingsWord.votingPeriod(value),
            executionDelay: SettingsWord.executionDelay(value),
            expiryPeriod: SettingsWord.expiryPeriod(value)
        });
    }

    // ------------------------------------------------------------------ internals

    function _nextProposalNumber() internal view override returns (uint32) {
        return _governor.proposalCount + 1;
    }

    function _advanceEpoch() internal override returns (uint32 newEpoch) {
        newEpoch = ++_governor.epoch;
    }

    function _guardsActive() internal view override returns (bool) {
        return _governor.started;
    }

    /// @dev Checks the proposer, takes the next proposal number and returns the new proposal's
    /// proposal word (see `ProposalWord`).
    function _openProposal() private returns (uint32 memberId, uint32 number, uint256 word) {
        // The governor word, read and written once as a whole (its layout: `SettingsWord`).
        GovernorState storage stored = _governor;
        uint256 g;
        assembly ("memory-safe") {
            g := sload(stored.slot)
        }
        if (!SettingsWord.started(g)) revert GovernanceNotStarted();
        memberId = _requireActiveAdmin(msg.sender);
        number = SettingsWord.proposalCount(g) + 1;
        g = SettingsWord.withProposalCount(g, number);
        assembly ("memory-safe") {
            sstore(stored.slot, g)
        }
        uint256 voteStart = block.timestamp + SettingsWord.votingDelay(g);
        word = ProposalWord.pack(voteStart, voteStart + SettingsWord.votingPeriod(g), SettingsWord.epoch(g));
    }

    function _requireActiveAdmin(address account) internal view returns (uint32 memberId) {
        Account memory acct = _accounts[account];
        memberId = acct.memberId;
        if (memberId == 0 || acct.flags & Roles.ADMIN == 0) revert NotMemberAdmin(account, memberId);
        if (_memberCore[memberId].status != MemberStatus.Active) revert MemberNotActive(memberId);
    }

    /// @dev Counts `voter`'s member's vote. `nonce` is a signed ballot's nonce, checked against and
    /// advancing the member's ballot sequence, or `_NO_BALLOT` for a direct vote.
    function _castVote(uint256 proposalId, address voter, uint8 support, uint256 nonce)
        internal
        returns (uint256 weight)
    {
        // The two words a vote changes are read and written once each, as whole words (their layouts:
        // `ProposalWord` and `MemberWord`).
        ProposalCore storage stored = _proposals[proposalId];
        uint256 p;
        assembly ("memory-safe") {
            p := sload(stored.slot)
        }
        if (ProposalWord.voteStart(p) == 0) revert UnknownProposal(proposalId);
        if (
            ProposalWord.isClosed(p) || block.timestamp < ProposalWord.voteStart(p)
                || block.timestamp >= ProposalWord.voteEnd(p)
        ) {
            revert ProposalNotActive(proposalId, state(proposalId));
        }
        Account memory acct = _accounts[voter];
        uint32 memberId = acct.memberId;
        if (memberId == 0 || acct.flags & Roles.ADMIN == 0) revert NotMemberAdmin(voter, memberId);
        MemberCore storage core = _memberCore[memberId];
        uint256 c;
        assembly ("memory-safe") {
            c := sload(core.slot)
        }
        if (MemberWord.status(c) != uint8(MemberStatus.Active)) revert MemberNotActive(memberId);
        if (nonce != _NO_BALLOT) {
            uint256 expected = MemberWord.ballotNonce(c);
            if (nonce != expected) revert InvalidVoteNonce(memberId, expected);
            // uint24 wraps after 16.7 million ballots of one member; a wrapped nonce replays nothing,
            // since a member votes once per proposal.
            c = MemberWord.withBallotNonce(c, expected + 1);
        }
        uint32 snapshot = ProposalWord.snapshot(p);
        // The effective weight now is the weight: the member is active and the voter is one of its
        // admin accounts. Every change of the effective weight (status, weight, admin accounts going
        // from none to some or back) is checkpointed, so from `checkpointEpoch` on it has been the same.
        weight = snapshot >= MemberWord.checkpointEpoch(c)
            ? MemberWord.weight(c)
            : _weightHistory[memberId].upperLookupRecent(snapshot);
        if (weight == 0) revert NoVotingWeight(memberId, proposalId);

        uint256 number = ProposalId.numberOf(proposalId);
        (uint256 base, uint256 bits) = MemberWord.voteWindow(c);
        if (number < base) revert VoteWindowPassed(proposalId, memberId);
        uint256 offset = number - base;
        if (offset >= VOTE_WINDOW) {
            uint256 shift = offset - (VOTE_WINDOW - 1);
            bits = MemberWord.slide(bits, shift, VOTE_WINDOW);
            base += shift;
            offset = VOTE_WINDOW - 1;
        }
        if (MemberWord.isMarked(bits, offset)) revert AlreadyVoted(proposalId, memberId);
        c = MemberWord.withVoteWindow(c, base, MemberWord.withMark(bits, offset));

        // A member votes once with at most its snapshot weight, and the snapshot total fits in 40
        // bits, so no tally overflows.
        uint256 position;
        if (support == VOTE_FOR) position = ProposalWord.FOR_VOTES;
        else if (support == VOTE_AGAINST) position = ProposalWord.AGAINST_VOTES;
        else if (support == VOTE_ABSTAIN) position = ProposalWord.ABSTAIN_VOTES;
        else revert InvalidVoteType(support);
        p = ProposalWord.withVotes(p, position, weight);
        assembly ("memory-safe") {
            sstore(core.slot, c)
            sstore(stored.slot, p)
        }
        emit VoteCast(proposalId, memberId, voter, support, weight);
    }

    function _executeCalls(address[] calldata targets, uint256[] calldata values, bytes[] calldata calldatas) private {
        for (uint256 i = 0; i < targets.length; ++i) {
            address target = targets[i];
            // (Most proposals call this contract, which has code: no need to ask.)
            if (target != address(this) && target.code.length == 0 && calldatas[i].length != 0) {
                revert CallToAddressWithoutCode(i, target);
            }
            (bool ok, bytes memory returned) = target.call{value: values[i]}(calldatas[i]);
            if (!ok) {
                if (returned.length == 0) revert CallFailed(i);
                assembly ("memory-safe") {
                    revert(add(returned, 0x20), mload(returned))
                }
            }
        }
    }

    function _passed(ProposalCore memory p, Settings memory s) private view returns (bool) {
        uint256 cast = uint256(p.forVotes) + p.againstVotes + p.abstainVotes;
        if (cast < _quorumVotes(p.snapshot, s)) return false;
        return p.forVotes > 0 && uint256(p.forVotes) * _BPS >= uint256(s.thresholdBps) * (uint256(p.forVotes) + p.againstVotes);
    }

    /// @dev Weight that must vote: the quorum share of the total active weight at the snapshot, rounded up.
    function _quorumVotes(uint32 snapshot, Settings memory s) private view returns (uint256) {
        return (totalWeightAt(snapshot) * s.quorumBps + _BPS - 1) / _BPS;
    }

    function _setSettings(Settings memory s) private {
        if (
            s.quorumBps == 0 || s.quorumBps > _BPS || s.thresholdBps == 0 || s.thresholdBps > _BPS
                || s.votingDelay > _MAX_DELAY || s.votingPeriod < _minVotingPeriod || s.votingPeriod > _MAX_PERIOD
                || s.executionDelay > _MAX_DELAY || s.expiryPeriod < _minExpiryPeriod || s.expiryPeriod > _MAX_PERIOD
        ) revert InvalidSettings(s);
        uint224 value = SettingsWord.pack(
            s.quorumBps, s.thresholdBps, s.votingDelay, s.votingPeriod, s.executionDelay, s.expiryPeriod
        );
        // The governor word starts with the settings in force, laid out as a settings value.
        GovernorState storage g = _governor;
        uint256 word;
        assembly ("memory-safe") {
            word := sload(g.slot)
        }
        word = SettingsWord.withSettings(word, value);
        assembly ("memory-safe") {
            sstore(g.slot, word)
        }
        _settingsHistory.push(_advanceEpoch(), value);
        emit SettingsChanged(s);
    }
}
