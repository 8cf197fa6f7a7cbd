// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IAccountRules} from "../interfaces/IAccountRules.sol";
import {INodeRules} from "../interfaces/INodeRules.sol";
import {GovernanceOwned} from "../access/GovernanceOwned.sol";

/// @title Permission ingress
/// @notice The address every node is configured with (GoQuorum's permissions configuration, Besu's
/// `--permissions-accounts-contract-address` and `--permissions-nodes-contract-address`). It never
/// changes: it forwards both questions to the rules contract in force, which governance replaces by a
/// proposal. It is never fail-open: there is always a rules contract, every replacement is checked
/// before it takes effect, and any answer that is not exactly true (a revert, a short or odd return)
/// counts as false.
contract PermissionIngress is IAccountRules, INodeRules, GovernanceOwned {
    /// @dev An address no one holds the key of: rules that let it transact allow everyone.
    address private constant _OUTSIDER = address(uint160(uint256(keccak256("consortium-evm.ingress.outsider"))));

    /// @notice The rules contract in force.
    address public rules;

    event RulesChanged(address indexed previousRules, address indexed newRules);

    error RulesWithoutCode(address rules);
    error RulesInterfaceMissing(address rules);
    error RulesAllowEveryone(address rules);
    error RulesLockOut(address rules);

    /// @param governance_ The governance contract, the only account that may replace the rules.
    /// @param rules_ The first rules contract.
    constructor(address governance_, address rules_) GovernanceOwned(governance_) {
        _checkRules(rules_);
        rules = rules_;
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

    /// @notice Replaces the rules. Governance only. The new rules must have code, declare both rule
    /// interfaces (ERC-165), refuse an account no one registered, and still allow the account that
    /// executes the change to reach governance: rules that allow everyone or lock the members out are
    /// refused.
    function setRules(address newRules) external onlyGovernance {
        _checkRules(newRules);
        if (!IAccountRules(newRules).transactionAllowed(tx.origin, governance, 0, 0, 0, "")) {
            revert RulesLockOut(newRules);
        }
        emit RulesChanged(rules, newRules);
        rules = newRules;
    }

    function _checkRules(address candidate) private view {
        if (candidate.code.length == 0) revert RulesWithoutCode(candidate);
        try IERC165(candidate).supportsInterface(type(IAccountRules).interfaceId) returns (bool accounts) {
            if (!accounts || !IERC165(candidate).supportsInterface(type(INodeRules).interfaceId)) {
                revert RulesInterfaceMissing(candidate);
            }
        } catch {
            revert RulesInterfaceMissing(candidate);
        }
        if (IAccountRules(candidate).transactionAllowed(_OUTSIDER, governance, 0, 0, 0, "")) {
            revert RulesAllowEveryone(candidate);
        }
    }

    /// @dev Passes this call's calldata unchanged to the rules; true only for an answer of exactly
    /// 32 bytes holding 1.
    function _forward() private view returns (bool allowed) {
        address target = rules;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, 0, calldatasize())
            let ok := staticcall(gas(), target, ptr, calldatasize(), 0, 0x20)
            allowed := and(ok, and(eq(returndatasize(), 0x20), eq(mload(0), 1)))
        }
    }
}
