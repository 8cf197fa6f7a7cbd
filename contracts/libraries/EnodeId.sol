// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Enode ids
/// @notice Turns an enode id, 128 hex digits as the clients send it (optionally `0x`-prefixed, either
/// case), into the key the registry stores: keccak-256 of the 64-byte public key.
library EnodeId {
    /// @notice The key of `id`, and false when `id` is not 128 hex digits.
    function tryKey(string memory id) internal pure returns (bytes32 key, bool ok) {
        assembly ("memory-safe") {
            let len := mload(id)
            let src := add(id, 0x20)
            if eq(len, 130) {
                let prefix := shr(240, mload(src))
                if or(eq(prefix, 0x3078), eq(prefix, 0x3058)) {
                    src := add(src, 2)
                    len := 128
                }
            }
            if eq(len, 128) {
                // Decode into free memory (not claimed: it is only hashed), then hash the 64 bytes.
                let out := mload(0x40)
                ok := 1
                for { let i := 0 } lt(i, 64) { i := add(i, 1) } {
                    let hi := byte(0, mload(add(src, shl(1, i))))
                    let lo := byte(0, mload(add(src, add(shl(1, i), 1))))
                    let vh := sub(hi, 48)
                    if gt(vh, 9) {
                        let l := or(hi, 0x20)
                        vh := sub(l, 87)
                        if or(lt(l, 97), gt(l, 102)) { ok := 0 }
                    }
                    let vl := sub(lo, 48)
                    if gt(vl, 9) {
                        let l := or(lo, 0x20)
                        vl := sub(l, 87)
                        if or(lt(l, 97), gt(l, 102)) { ok := 0 }
                    }
                    mstore8(add(out, i), or(shl(4, vh), vl))
                }
                if ok { key := keccak256(out, 64) }
            }
        }
    }

    /// @notice The first 26 bytes of keccak-256 of a host, the form the registry stores.
    function hostHash(string memory host) internal pure returns (bytes26) {
        return bytes26(keccak256(bytes(host)));
    }
}
