// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IAccountRules} from "../interfaces/IAccountRules.sol";
import {INodeRules} from "../interfaces/INodeRules.sol";
import {Roles} from "../libraries/Roles.sol";
import {EnodeId} from "../libraries/EnodeId.sol";

/// @title Permission rules answered from the member registry
/// @notice An account may transact if it belongs to an active member and holds the transact or the
/// admin flag (the deploy flag to create a contract), or if governance allowed it on its own. The admin
/// flag implies sending transactions so that every admin account the lock-out guard counts can
/// propose and vote on the permissioned chain (an admin can register a transact account for its
/// member anyway). A node may connect if it is registered to an active member, matched by enode id
/// alone (the default: survives NAT, Kubernetes and load balancers, where the peer's address differs
/// from the registered one) or by id, host and port.
/// @dev Abstract: the inheriting contract says where the registry's answers come from.
abstract contract RegistryPermissionRules is IAccountRules, INodeRules, IERC165 {
    /// @notice How a connecting node is matched.
    enum NodeMatch {
        EnodeId,
        EnodeIdHostPort
    }

    /// @notice The node matching mode changed.
    /// @param mode The mode now in force: `EnodeId` (id alone) or `EnodeIdHostPort` (id, host and port).
    event NodeMatchChanged(NodeMatch mode);

    /// @inheritdoc IAccountRules
    /// @dev A call or payment needs the transact or the admin flag; creating a contract, the deploy flag.
    function transactionAllowed(address sender, address target, uint256, uint256, uint256, bytes calldata)
        external
        view
        returns (bool)
    {
        uint8 needed = target == address(0) ? Roles.DEPLOY : Roles.TRANSACT | Roles.ADMIN;
        return _accountFlags(sender) & needed != 0;
    }

    /// @inheritdoc INodeRules
    function connectionAllowed(string calldata enodeId, string calldata enodeHost, uint16 enodePort)
        external
        view
        returns (bool)
    {
        (bytes32 key, bool ok) = EnodeId.tryKey(enodeId);
        if (!ok) return false;
        (bool active, bytes26 hostHash, uint16 port) = _nodeRecord(key);
        if (!active) return false;
        if (_nodeMatch() == NodeMatch.EnodeId) return true;
        return port == enodePort && hostHash == EnodeId.hostHash(enodeHost);
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IAccountRules).interfaceId || interfaceId == type(INodeRules).interfaceId
            || interfaceId == type(IERC165).interfaceId;
    }

    /// @dev The flags `account` holds right now (zero unless its member is active).
    function _accountFlags(address account) internal view virtual returns (uint8);

    /// @dev A node's registration by key: whether its member is active, its host hash and port.
    function _nodeRecord(bytes32 nodeKey) internal view virtual returns (bool active, bytes26 hostHash, uint16 port);

    /// @dev The node matching mode in force.
    function _nodeMatch() internal view virtual returns (NodeMatch);
}
