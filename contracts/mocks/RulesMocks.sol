// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IAccountRules} from "../interfaces/IAccountRules.sol";
import {INodeRules} from "../interfaces/INodeRules.sol";
import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {Roles} from "../libraries/Roles.sol";
import {EnodeId} from "../libraries/EnodeId.sol";

/// @title Faulty rules, for tests
/// @notice Rules contracts that misbehave in one way each, so that tests can show the ingress refuses
/// them or answers false. Never deploy them on a real network.
/// @dev Until it is broken it behaves: it allows `friend` to transact, no other account, and every
/// node (so that it passes the ingress's node probe). Once broken
/// (from the constructor or by `breakNow()`), `Mode.AllowAll` allows everyone, `Mode.Revert` reverts
/// every question and `Mode.Garbage` answers 2, which is not a boolean.
contract FaultyRules is IAccountRules, INodeRules, IERC165 {
    /// @notice The ways it can misbehave.
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

    /// @notice Asked a question while broken in `Mode.Revert`.
    error Broken();

    /// @param mode_ How it misbehaves once broken.
    /// @param broken_ Whether it misbehaves from the start.
    /// @param friend_ The one account allowed while it behaves.
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
        if (!broken) return true;
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

/// @title Base of the attack mocks: honest answers read from a registry
/// @notice Answers like the shipped rules (matching nodes by enode id alone), so that each attack
/// below changes one thing only. Tests only.
abstract contract HonestRulesBase is IAccountRules, INodeRules, IERC165 {
    /// @notice The registry the honest answers come from.
    IConsortiumRegistry public immutable registry;

    /// @param registry_ The registry (the `Consortium`).
    constructor(IConsortiumRegistry registry_) {
        registry = registry_;
    }

    /// @inheritdoc IAccountRules
    function transactionAllowed(address sender, address target, uint256, uint256, uint256, bytes calldata)
        external
        view
        virtual
        returns (bool)
    {
        return _honestAccount(sender, target);
    }

    /// @inheritdoc INodeRules
    function connectionAllowed(string calldata enodeId, string calldata, uint16) external view virtual returns (bool) {
        return _honestNode(enodeId);
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4) external pure returns (bool) {
        return true;
    }

    function _honestAccount(address sender, address target) internal view returns (bool) {
        uint8 needed = target == address(0) ? Roles.DEPLOY : Roles.TRANSACT | Roles.ADMIN;
        return registry.accountAccess(sender) & needed != 0;
    }

    function _honestNode(string calldata enodeId) internal view returns (bool active) {
        (bytes32 key, bool ok) = EnodeId.tryKey(enodeId);
        if (ok) (, active,,) = registry.nodeAccess(key);
    }
}

/// @title Attack: honest answers padded to 64 bytes
/// @notice Answers `(allowed, 0)`: 64 bytes. A caller that decodes a bool reads the first word and
/// sees honest answers; the ingress's forwarding wants exactly 32 bytes and reads false for everyone.
/// Tests only.
contract PaddedAnswerRules is HonestRulesBase {
    /// @param registry_ The registry (the `Consortium`).
    constructor(IConsortiumRegistry registry_) HonestRulesBase(registry_) {}

    /// @inheritdoc IAccountRules
    function transactionAllowed(address sender, address target, uint256, uint256, uint256, bytes calldata)
        external
        view
        override
        returns (bool)
    {
        _answer64(_honestAccount(sender, target));
    }

    /// @inheritdoc INodeRules
    function connectionAllowed(string calldata enodeId, string calldata, uint16) external view override returns (bool) {
        _answer64(_honestNode(enodeId));
    }

    function _answer64(bool allowed) private pure {
        assembly ("memory-safe") {
            mstore(0, allowed)
            mstore(0x20, 0)
            return(0, 0x40)
        }
    }
}

/// @title Attack: rules that ask the ingress for the answer
/// @notice Passes every question on to the ingress. While the ingress still forwards to the old rules,
/// the answers are the old rules' (honest); once these are in force the ingress asks them, they ask
/// the ingress, and so on until the gas runs out: false for everyone. Tests only.
contract IngressEchoRules is IAccountRules, INodeRules, IERC165 {
    /// @notice The ingress whose answers are passed back.
    address public immutable ingress;

    /// @param ingress_ The ingress.
    constructor(address ingress_) {
        ingress = ingress_;
    }

    /// @inheritdoc IAccountRules
    function transactionAllowed(address, address, uint256, uint256, uint256, bytes calldata)
        external
        view
        returns (bool)
    {
        _echo();
    }

    /// @inheritdoc INodeRules
    function connectionAllowed(string calldata, string calldata, uint16) external view returns (bool) {
        _echo();
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4) external pure returns (bool) {
        return true;
    }

    function _echo() private view {
        address target = ingress;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, 0, calldatasize())
            let ok := staticcall(gas(), target, ptr, calldatasize(), 0, 0)
            returndatacopy(ptr, 0, returndatasize())
            if iszero(ok) { revert(ptr, returndatasize()) }
            return(ptr, returndatasize())
        }
    }
}

/// @title Attack: honest account answers, no node may connect
/// @notice Every member account may still transact, but every node is refused: the network could no
/// longer form. Tests only.
contract NodeBlindRules is HonestRulesBase {
    /// @param registry_ The registry (the `Consortium`).
    constructor(IConsortiumRegistry registry_) HonestRulesBase(registry_) {}

    /// @inheritdoc INodeRules
    function connectionAllowed(string calldata, string calldata, uint16) external pure override returns (bool) {
        return false;
    }
}

/// @title Attack: everyone may transact except a few chosen addresses
/// @notice Refuses the addresses it was built with (the ingress's former fixed probe, the zero
/// address...) and allows every other account and every node: fail-open, unless the probes use an
/// address it cannot know. Tests only.
contract AllowAllButRules is IAccountRules, INodeRules, IERC165 {
    /// @notice Whether an address is refused.
    mapping(address account => bool) public refused;

    /// @param refused_ The addresses refused; every other one is allowed.
    constructor(address[] memory refused_) {
        for (uint256 i = 0; i < refused_.length; ++i) {
            refused[refused_[i]] = true;
        }
    }

    /// @inheritdoc IAccountRules
    function transactionAllowed(address sender, address, uint256, uint256, uint256, bytes calldata)
        external
        view
        returns (bool)
    {
        return !refused[sender];
    }

    /// @inheritdoc INodeRules
    function connectionAllowed(string calldata, string calldata, uint16) external pure returns (bool) {
        return true;
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4) external pure returns (bool) {
        return true;
    }
}
