// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title EIP-712 signatures of the Consortium
/// @notice One EIP-712 domain for everything a key signs for the consortium (ballots, an admin
/// account's acceptance, a node's consent to its registration):
/// `EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)` with name
/// "Consortium" and version "1". It follows the chain id and this contract's address, so a copy of the
/// code placed in a genesis file at another address signs for that address.
abstract contract TypedSignatures {
    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private immutable _cachedDomainSeparator;
    uint256 private immutable _cachedChainId;
    address private immutable _cachedThis;

    constructor() {
        _cachedChainId = block.chainid;
        _cachedThis = address(this);
        _cachedDomainSeparator = _buildDomainSeparator();
    }

    /// @dev Half the secp256k1 group order: a valid signature's `s` is at most this (EIP-2), so that no
    /// signature has a second valid form.
    uint256 private constant _HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// @dev Whether `signature` (65 bytes: r, s, v) is `signer`'s valid low-s ECDSA signature of the
    /// typed data whose struct hash is `structHash`. Written out rather than taken from OpenZeppelin's
    /// ECDSA and MessageHashUtils (same checks: length, low s, v 27 or 28 through the precompile, no zero
    /// signer) because the Consortium's code sits close to the EIP-170 size limit.
    function _signedBy(bytes32 structHash, bytes calldata signature, address signer) internal view returns (bool) {
        if (signature.length != 65 || signer == address(0)) return false;
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := calldataload(signature.offset)
            s := calldataload(add(signature.offset, 0x20))
            v := byte(0, calldataload(add(signature.offset, 0x40)))
        }
        if (uint256(s) > _HALF_ORDER) return false;
        bytes32 digest = keccak256(abi.encodePacked(hex"1901", _domainSeparator(), structHash));
        return ecrecover(digest, v, r, s) == signer;
    }

    function _domainSeparator() private view returns (bytes32) {
        if (address(this) == _cachedThis && block.chainid == _cachedChainId) return _cachedDomainSeparator;
        return _buildDomainSeparator();
    }

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(_DOMAIN_TYPEHASH, keccak256("Consortium"), keccak256("1"), block.chainid, address(this)));
    }
}
