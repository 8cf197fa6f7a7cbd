// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IAccountRules} from "../interfaces/IAccountRules.sol";
import {INodeRules} from "../interfaces/INodeRules.sol";

/// @title Faulty rules, for tests
/// @notice Rules contracts that misbehave in one way each, so that tests can show the ingress refuses
/// them or answers false. Never deploy them on a real network.
/// @dev Until it is broken it behaves: it allows `friend` to transact and nothing else. Once broken
/// (from the constructor or by `breakNow()`), `Mode.AllowAll` allows everyone, `Mode.Revert` reverts
/// every question and `Mode.Garbage` answers 2, which is not a boolean.
contract FaultyRules is IAccountRules, INodeRules, IERC165 {
    enum Mode {
        AllowAll,
        Revert,
        Garbage
    }

    /// @notice How this contract misbehaves.
    Mode public mode;
    /// @notice Whether it misbehaves yet.
    bool public broken;
    /// @notice The one account allowed while it behaves.
    address public friend;

    error Broken();

    constructor(Mode mode_, bool broken_, address friend_) {
        mode = mode_;
        broken = broken_;
        friend = friend_;
    }

    /// @notice Starts misbehaving.
    function breakNow() external {
        broken = true;
    }

    /// @inheritdoc IAccountRules
    function transactionAllowed(address sender, address, uint256, uint256, uint256, bytes calldata)
        external
        view
        returns (bool)
    {
        if (!broken) return sender == friend;
        _misbehave();
    }

    /// @inheritdoc INodeRules
    function connectionAllowed(string calldata, string calldata, uint16) external view returns (bool) {
        if (!broken) return false;
        _misbehave();
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4) external pure returns (bool) {
        return true;
    }

    function _misbehave() private view {
        Mode m = mode;
        if (m == Mode.Revert) revert Broken();
        uint256 value = m == Mode.Garbage ? 2 : 1;
        assembly ("memory-safe") {
            mstore(0, value)
            return(0, 32)
        }
    }
}
