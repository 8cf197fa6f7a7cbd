// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IAccountRules} from "../interfaces/IAccountRules.sol";
import {INodeRules} from "../interfaces/INodeRules.sol";
import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {GovernanceOwned} from "../access/GovernanceOwned.sol";

/// @title Permission ingress
/// @notice The address every node is configured with (GoQuorum's permissions configuration, Besu's
/// `--permissions-accounts-contract-address` and `--permissions-nodes-contract-address`). It never
/// changes: it forwards both questions to the rules contract in force, which governance replaces by a
/// proposal. It is never fail-open: there is always a rules contract, every replacement is probed
/// before it takes effect, and any answer that is not exactly 32 bytes holding 1 (a revert, a short,
/// long or odd return) counts as false.
/// @dev Every probe asks the candidate exactly as the nodes' questions are asked: the candidate is
/// put in force first, then each probe goes through `_ask`, the same raw `staticcall` of the rules in
/// force that forwarding uses, and only an answer of exactly 32 bytes holding 1 counts as true. A
/// failed probe reverts, which undoes the switch. The probes are sanity checks, not a proof: rules
/// whose behaviour can change later (upgradeable, reading state someone else controls, able to
/// self-destruct on pre-Cancun chains, or detecting that they are being probed) must still be
/// reviewed by governance before it votes for them.
contract PermissionIngress is IAccountRules, INodeRules, GovernanceOwned {
    /// @notice The rules contract in force.
    address public rules;

    /// @notice The rules in force changed.
    /// @param previousRules The rules replaced (the zero address at deployment).
    /// @param newRules The rules now in force.
    event RulesChanged(address indexed previousRules, address indexed newRules);

    /// @notice The proposed rules address has no contract code.
    /// @param rules The proposed rules.
    error RulesWithoutCode(address rules);
    /// @notice The proposed rules do not declare both rule interfaces through ERC-165.
    /// @param rules The proposed rules.
    error RulesInterfaceMissing(address rules);
    /// @notice The proposed rules let an account no one can register transact (the zero address or
    /// the per-call outsider): they would be fail-open.
    /// @param rules The proposed rules.
    error RulesAllowEveryone(address rules);
    /// @notice The proposed rules refuse the account executing the change: the members would be locked out.
    /// @param rules The proposed rules.
    error RulesLockOut(address rules);
    /// @notice The proposed rules refuse the registered node the proposal names: the network could no
    /// longer form.
    /// @param rules The proposed rules.
    /// @param nodeKey The registry key of the node (keccak-256 of its 64-byte public key).
    error RulesRefuseNode(address rules, bytes32 nodeKey);
    /// @notice The node named to probe the new rules is not registered to an active member.
    /// @param nodeKey The registry key of the node (keccak-256 of the public key given).
    error ProbeNodeNotActive(bytes32 nodeKey);
    /// @notice The host or port named for the probe node differs from its registration.
    /// @param nodeKey The registry key of the node.
    error ProbeNodeMismatch(bytes32 nodeKey);

    /// @notice Deploys the ingress with its first rules. Those must have code, declare both rule
    /// interfaces and refuse the accounts no one can register (the zero address and an address derived
    /// from the previous block's hash); no member and no node exists yet, so neither the lock-out nor
    /// the node probe runs here.
    /// @param governance_ The governance contract (the `Consortium`, which is also the member
    /// registry), the only account that may replace the rules.
    /// @param rules_ The first rules contract.
    constructor(address governance_, address rules_) GovernanceOwned(governance_) {
        _switchAndProbe(rules_);
        emit RulesChanged(address(0), rules_);
    }

    /// @inheritdoc IAccountRules
    function transactionAllowed(address, address, uint256, uint256, uint256, bytes calldata)
        external
        view
        returns (bool)
    {
        return _forward();
    }

    /// @inheritdoc INodeRules
    function connectionAllowed(string calldata, string calldata, uint16) external view returns (bool) {
        return _forward();
    }

    /// @notice Replaces the rules. Governance only. The new rules must have code and declare both
    /// rule interfaces (ERC-165). They are then put in force and probed through this contract's own
    /// forwarding; any failed probe reverts, which undoes the switch. Probes: the zero address and an
    /// address derived from the previous block's hash and `newRules` (neither can be registered ahead
    /// of the call) must be refused; the account executing the change (`tx.origin`) must be allowed
    /// to call governance; and the node the proposal names must be allowed to connect.
    /// @dev The node is chosen by the proposal, given as the registry takes it (`addNodes`): it must
    /// be registered, with exactly this host and port, to an active member in the registry (the
    /// governance contract, `IConsortiumRegistry`) when the change executes, so that at least one node
    /// of an active member can still connect. It is asked about as the clients ask: its public key as
    /// 128 lower-case hex digits, its host and port. The client's `set_rules` names the first
    /// registered node of the proposer's member by default.
    /// @param newRules The rules contract to put in force.
    /// @param publicKey The probe node's 64-byte public key (its enode id).
    /// @param enodeHost The probe node's host, as registered.
    /// @param enodePort The probe node's P2P port, as registered.
    function setRules(address newRules, bytes calldata publicKey, string calldata enodeHost, uint16 enodePort)
        external
        onlyGovernance
    {
        bytes32 nodeKey = keccak256(publicKey);
        (bool active, bytes26 hostHash, uint16 port) = _nodeRecord(nodeKey);
        if (!active) revert ProbeNodeNotActive(nodeKey);
        if (port != enodePort || hostHash != bytes26(keccak256(bytes(enodeHost)))) revert ProbeNodeMismatch(nodeKey);

        address previous = rules;
        _switchAndProbe(newRules);
        if (!_askAccount(tx.origin)) revert RulesLockOut(newRules);
        if (!_askNode(publicKey, enodeHost, enodePort)) {
            revert RulesRefuseNode(newRules, nodeKey);
        }
        emit RulesChanged(previous, newRules);
    }

    /// @dev Puts `candidate` in force after checking it has code, then asks it, as forwarding does,
    /// whether it declares both rule interfaces (ERC-165) and whether it refuses two accounts no one
    /// can register: the zero address (the registry refuses it) and an address derived from the
    /// previous block's hash and the candidate, unknown before that block exists. That stops rules
    /// written to spare a fixed address and registrations made in advance; it does not stop rules code
    /// that recomputes the address at run time (a sanity check, not a proof), nor a member admin who
    /// registers it earlier in the same block, which only makes that execution revert (it may be
    /// executed again in a later block).
    function _switchAndProbe(address candidate) private {
        if (candidate.code.length == 0) revert RulesWithoutCode(candidate);
        rules = candidate;
        if (
            !_ask(abi.encodeCall(IERC165.supportsInterface, (type(IAccountRules).interfaceId)))
                || !_ask(abi.encodeCall(IERC165.supportsInterface, (type(INodeRules).interfaceId)))
        ) revert RulesInterfaceMissing(candidate);
        address derived;
        unchecked {
            derived = address(uint160(uint256(keccak256(abi.encode(blockhash(block.number - 1), candidate)))));
        }
        if (_askAccount(address(0)) || _askAccount(derived)) revert RulesAllowEveryone(candidate);
    }

    /// @dev Whether the rules in force let `sender` call governance, asked through `_ask`.
    function _askAccount(address sender) private view returns (bool) {
        return _ask(abi.encodeCall(IAccountRules.transactionAllowed, (sender, governance, 0, 0, 0, "")));
    }

    /// @dev The registry's record of a node (`IConsortiumRegistry.nodeAccess`, asked of governance):
    /// whether its member is active, its host hash and port; not active if the call fails.
    function _nodeRecord(bytes32 nodeKey) private view returns (bool active, bytes26 hostHash, uint16 port) {
        address registry = governance;
        bytes4 selector = IConsortiumRegistry.nodeAccess.selector;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, selector)
            mstore(add(ptr, 4), nodeKey)
            let ok := staticcall(gas(), registry, ptr, 0x24, ptr, 0x80)
            if and(ok, iszero(lt(returndatasize(), 0x80))) {
                active := iszero(iszero(mload(add(ptr, 0x20))))
                hostHash := and(mload(add(ptr, 0x40)), not(0xffffffffffff))
                port := and(mload(add(ptr, 0x60)), 0xffff)
            }
        }
    }

    /// @dev Whether the rules in force let the node connect, asked through `_ask` with the calldata a
    /// client sends: `connectionAllowed(enodeId, enodeHost, enodePort)`, the id being the 64-byte
    /// public key as 128 lower-case hex digits.
    function _askNode(bytes calldata publicKey, string calldata enodeHost, uint16 enodePort)
        private
        view
        returns (bool)
    {
        bytes memory question;
        bytes4 selector = INodeRules.connectionAllowed.selector;
        assembly ("memory-safe") {
            question := mload(0x40)
            let q := add(question, 0x20)
            let hostLength := enodeHost.length
            let size := add(0x124, and(add(hostLength, 31), not(31)))
            mstore(question, size)
            mstore(q, selector)
            mstore(add(q, 0x04), 0x60) // offset of the id
            mstore(add(q, 0x24), 0x100) // offset of the host: 3 head words, the id's length and 128 digits
            mstore(add(q, 0x44), enodePort)
            mstore(add(q, 0x64), 128)
            for { let i := 0 } lt(i, 64) { i := add(i, 1) } {
                let b := byte(0, calldataload(add(publicKey.offset, i)))
                mstore8(add(q, add(0x84, shl(1, i))), byte(shr(4, b), "0123456789abcdef"))
                mstore8(add(q, add(0x85, shl(1, i))), byte(and(b, 15), "0123456789abcdef"))
            }
            mstore(add(q, 0x104), hostLength)
            mstore(add(add(q, 0x124), and(hostLength, not(31))), 0) // zero padding after the host
            calldatacopy(add(q, 0x124), enodeHost.offset, hostLength)
            mstore(0x40, add(q, and(add(size, 31), not(31))))
        }
        return _ask(question);
    }

    /// @dev Passes this call's calldata unchanged to the rules in force, through `_ask`.
    function _forward() private view returns (bool) {
        bytes memory question;
        assembly ("memory-safe") {
            question := mload(0x40)
            mstore(question, calldatasize())
            calldatacopy(add(question, 0x20), 0, calldatasize())
            mstore(0x40, add(question, and(add(calldatasize(), 0x3f), not(0x1f))))
        }
        return _ask(question);
    }

    /// @dev The one way the rules are asked, by forwarding and by every probe: a raw `staticcall` of
    /// the rules in force; true only for an answer of exactly 32 bytes holding 1.
    function _ask(bytes memory question) private view returns (bool allowed) {
        address target = rules;
        assembly ("memory-safe") {
            let ok := staticcall(gas(), target, add(question, 0x20), mload(question), 0, 0x20)
            allowed := and(ok, and(eq(returndatasize(), 0x20), eq(mload(0), 1)))
        }
    }
}
