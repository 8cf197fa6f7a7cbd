// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {GovernanceOwned} from "../access/GovernanceOwned.sol";

/// @title Validator set
/// @notice The accounts that validate (seal) the network's blocks, as the members decided by a passed
/// proposal. QBFT clients in contract mode (Besu's and GoQuorum's `validatorcontractaddress`) read
/// `getValidators()` at the parent block's state; on Clique, IBFT 2.0 and QBFT in header mode each
/// member's node is driven toward this list with the client's validator-vote RPCs
/// (`consortium-evm validators sync`). Only governance changes it, and never to an empty set.
/// @dev Membership is an index map over the array (position + 1; 0 means absent), so adding and
/// removing are constant-time: a removal moves the last validator into the freed slot.
contract ValidatorSet is GovernanceOwned {
    address[] private _validators;
    mapping(address validator => uint256 positionPlusOne) private _position;

    /// @notice A validator was added to the set.
    event ValidatorAdded(address indexed validator);
    /// @notice A validator was removed from the set.
    event ValidatorRemoved(address indexed validator);

    /// @notice The zero address cannot be a validator.
    error ZeroValidator();
    /// @notice The address is a validator already.
    error DuplicateValidator(address validator);
    /// @notice The address is not a validator.
    error UnknownValidator(address validator);
    /// @notice The last validator cannot be removed: the chain would stop.
    error LastValidator(address validator);
    /// @notice The set needs at least one validator.
    error NoValidators();

    /// @param governance_ The governance contract (the `Consortium`), the only account that may change the set.
    /// @param initialValidators The validators from the start; at least one, no zero address, no duplicates.
    constructor(address governance_, address[] memory initialValidators) GovernanceOwned(governance_) {
        if (initialValidators.length == 0) revert NoValidators();
        for (uint256 i = 0; i < initialValidators.length; ++i) {
            _add(initialValidators[i]);
        }
    }

    /// @notice The current validators, in the order they are kept (the interface QBFT's contract-based
    /// validator selection reads; clients sort the list themselves).
    function getValidators() external view returns (address[] memory) {
        return _validators;
    }

    /// @notice Whether `account` is a validator now.
    function isValidator(address account) external view returns (bool) {
        return _position[account] != 0;
    }

    /// @notice How many validators there are.
    function validatorCount() external view returns (uint256) {
        return _validators.length;
    }

    /// @notice Adds `validator` to the set. Governance only; refuses the zero address and an account
    /// that already validates.
    function addValidator(address validator) external onlyGovernance {
        _add(validator);
    }

    /// @notice Removes `validator` from the set. Governance only; refuses an account that is not a
    /// validator, and the last validator (a network without validators cannot seal another block).
    function removeValidator(address validator) external onlyGovernance {
        uint256 positionPlusOne = _position[validator];
        if (positionPlusOne == 0) revert UnknownValidator(validator);
        uint256 lastIndex = _validators.length - 1;
        if (lastIndex == 0) revert LastValidator(validator);
        if (positionPlusOne - 1 != lastIndex) {
            address moved = _validators[lastIndex];
            _validators[positionPlusOne - 1] = moved;
            _position[moved] = positionPlusOne;
        }
        _validators.pop();
        delete _position[validator];
        emit ValidatorRemoved(validator);
    }

    function _add(address validator) private {
        if (validator == address(0)) revert ZeroValidator();
        if (_position[validator] != 0) revert DuplicateValidator(validator);
        _validators.push(validator);
        _position[validator] = _validators.length;
        emit ValidatorAdded(validator);
    }
}
