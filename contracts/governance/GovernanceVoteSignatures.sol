// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ConsortiumGovernance} from "./ConsortiumGovernance.sol";

/// @title Votes by signature
/// @notice A member's admin account signs its ballot as EIP-712 typed data (the Consortium's domain,
/// see `TypedSignatures`) and anyone submits it: a member's back-end can keep its key offline or in a
/// signing service. A ballot names its member, and carries the member's next ballot nonce: ballots of
/// one member are counted in the order they were signed, whichever of its admins signed them, so a
/// relayer holding several can delay or withhold them but never reorder them (a reordering could move
/// the member's vote window past an older proposal it signed for).
abstract contract GovernanceVoteSignatures is ConsortiumGovernance {
    /// @notice The EIP-712 type of a signed ballot.
    bytes32 internal constant BALLOT_TYPEHASH =
        keccak256("Ballot(uint256 proposalId,uint8 support,uint32 memberId,address voter,uint256 nonce)");

    /// @notice The signature is not `voter`'s over this ballot.
    error InvalidVoteSignature(address voter);

    /// @notice Casts a member's vote from the EIP-712 signature of its admin account `voter` over
    /// `Ballot(proposalId, support, memberId, voter, nonce)`, where `memberId` is the member `voter` is
    /// registered to (a ballot signed for another member does not verify) and `nonce` the member's next
    /// ballot nonce (`ballotNonce`), so that each ballot counts once and in order.
    /// @param proposalId The proposal.
    /// @param support 0 against, 1 for, 2 abstain.
    /// @param voter The admin account that signed.
    /// @param nonce The member's ballot nonce the ballot carries.
    /// @param signature The signature.
    /// @return weight The weight counted.
    function castVoteBySig(
        uint256 proposalId,
        uint8 support,
        address voter,
        uint256 nonce,
        bytes calldata signature
    ) external returns (uint256 weight) {
        bytes32 structHash =
            keccak256(abi.encode(BALLOT_TYPEHASH, proposalId, support, _accounts[voter].memberId, voter, nonce));
        if (!_signedBy(structHash, signature, voter)) revert InvalidVoteSignature(voter);
        return _castVote(proposalId, voter, support, nonce);
    }
}
