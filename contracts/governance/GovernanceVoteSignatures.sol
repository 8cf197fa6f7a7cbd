// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ConsortiumGovernance} from "./ConsortiumGovernance.sol";

/// @title Votes by signature
/// @notice A member's admin account signs its ballot as EIP-712 typed data, with its next nonce, and
/// anyone submits it: a member's back-end can keep its key offline or in a signing service.
/// The EIP-712 domain is `EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)`
/// with name "Consortium" and version "1"; it follows the chain id and this contract's address, so a
/// copy of the code placed in a genesis file at another address signs for that address.
abstract contract GovernanceVoteSignatures is ConsortiumGovernance {
    /// @notice The EIP-712 type of a signed ballot.
    bytes32 internal constant BALLOT_TYPEHASH =
        keccak256("Ballot(uint256 proposalId,uint8 support,address voter,uint256 nonce)");

    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private immutable _cachedDomainSeparator;
    uint256 private immutable _cachedChainId;
    address private immutable _cachedThis;

    error InvalidVoteNonce(address voter, uint256 expected);
    error InvalidVoteSignature(address voter);

    constructor() {
        _cachedChainId = block.chainid;
        _cachedThis = address(this);
        _cachedDomainSeparator = _buildDomainSeparator();
    }

    /// @notice Casts `voter`'s vote from its EIP-712 signature over
    /// `Ballot(proposalId, support, voter, nonce)`; `nonce` must be the voter's current vote nonce
    /// (see `accountInfo`), so that each signature counts once.
    /// @return weight The weight counted.
    function castVoteBySig(uint256 proposalId, uint8 support, address voter, uint256 nonce, bytes calldata signature)
        external
        returns (uint256 weight)
    {
        Account storage acct = _accounts[voter];
        uint64 expected = acct.voteNonce;
        if (nonce != expected) revert InvalidVoteNonce(voter, expected);
        bytes32 digest = MessageHashUtils.toTypedDataHash(
            _domainSeparator(), keccak256(abi.encode(BALLOT_TYPEHASH, proposalId, support, voter, nonce))
        );
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError || signer != voter) revert InvalidVoteSignature(voter);
        acct.voteNonce = expected + 1;
        return _castVote(proposalId, voter, support);
    }

    function _domainSeparator() private view returns (bytes32) {
        if (address(this) == _cachedThis && block.chainid == _cachedChainId) return _cachedDomainSeparator;
        return _buildDomainSeparator();
    }

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(_DOMAIN_TYPEHASH, keccak256("Consortium"), keccak256("1"), block.chainid, address(this)));
    }
}
