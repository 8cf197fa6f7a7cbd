// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title The account word
/// @notice The named bit positions and the pack and unpack helpers of `MemberRegistry.Account` as one
/// storage word, which the account registry reads and writes whole (`_addAccounts`, `_storeAccount`).
/// @dev Fields are packed from the low bits in declaration order: `memberId` (32 bits), `flags` (8),
/// `adminPending` (8, 0 or 1), `consentNonce` (64). The positions are the compiler's offsets for
/// `Account`, pinned by tests/contracts/test_storage_layout.py.
library AccountWord {
    /// @dev Position of `memberId` (32 bits; 0: the account belongs to no member).
    uint256 internal constant MEMBER_ID = 0;
    /// @dev Position of `flags` (8 bits: the role flags in force).
    uint256 internal constant FLAGS = 32;
    /// @dev Position of `adminPending` (one byte, 0 or 1).
    uint256 internal constant ADMIN_PENDING = 40;
    /// @dev Position of `consentNonce` (64 bits, the nonce of the account's signed acceptances).
    uint256 internal constant CONSENT_NONCE = 48;

    /// @dev The member an account word belongs to (0: none).
    /// @param word An account word.
    /// @return The member id.
    function memberId(uint256 word) internal pure returns (uint32) {
        return uint32(word >> MEMBER_ID);
    }

    /// @dev The role flags in force of an account word.
    /// @param word An account word.
    /// @return The flags.
    function flags(uint256 word) internal pure returns (uint8) {
        return uint8(word >> FLAGS);
    }

    /// @dev A whole account word.
    /// @param memberId_ The member the account belongs to (0: none).
    /// @param flags_ The role flags in force.
    /// @param pending Whether an admin registration waits for the account's acceptance.
    /// @param consentNonce The nonce of the account's next signed acceptance.
    /// @return The word.
    function pack(uint32 memberId_, uint8 flags_, bool pending, uint64 consentNonce) internal pure returns (uint256) {
        return (uint256(memberId_) << MEMBER_ID) | (uint256(flags_) << FLAGS) | (_bit(pending) << ADMIN_PENDING)
            | (uint256(consentNonce) << CONSENT_NONCE);
    }

    /// @dev `word` registered anew: its member, flags and pending mark replaced, its consent nonce kept
    /// (so that no signed acceptance of an earlier registration replays).
    /// @param word The account's word before.
    /// @param memberId_ The member the account now belongs to.
    /// @param flags_ The role flags in force.
    /// @param pending Whether an admin registration waits for the account's acceptance.
    /// @return result The word after.
    function withRegistration(uint256 word, uint32 memberId_, uint8 flags_, bool pending)
        internal
        pure
        returns (uint256 result)
    {
        // One expression, so that the optimizer inlines it into the registration loop.
        assembly ("memory-safe") {
            result :=
                or(
                    or(shl(CONSENT_NONCE, shr(CONSENT_NONCE, word)), shl(ADMIN_PENDING, pending)),
                    or(shl(FLAGS, flags_), shl(MEMBER_ID, memberId_))
                )
        }
    }

    /// @dev 1 for true, 0 for false (without a branch, so that the helpers above stay one expression
    /// the optimizer inlines).
    function _bit(bool value) private pure returns (uint256 bit) {
        assembly ("memory-safe") {
            bit := value
        }
    }
}
