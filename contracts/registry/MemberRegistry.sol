// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {Roles} from "../libraries/Roles.sol";
import {EnodeId} from "../libraries/EnodeId.sol";

/// @title Member registry
/// @notice The consortium's members (organizations), the accounts and nodes each one owns, and each
/// member's voting weight with its history, so that a proposal counts the weights it was created with.
/// A member's weight counts (in votes and in the quorum's base: its *effective* weight) only while it
/// is active and has at least one admin account, since only an admin account can vote for it.
/// @dev Abstract: the contract that inherits it decides who governance is (`_checkGovernance`).
/// Every state-changing path is bounded by its own input; nothing loops over all members or accounts.
/// Accounts and nodes of a removed member stay recorded but inert, and may be registered again.
abstract contract MemberRegistry is IConsortiumRegistry {
    using Checkpoints for Checkpoints.Trace224;

    enum MemberStatus {
        None,
        Active,
        Suspended,
        Removed
    }

    /// @dev One storage word per account: the member it belongs to (0: none), its role flags, and the
    /// nonce of its signed votes (kept when the account is removed, so that no signature replays).
    struct Account {
        uint32 memberId;
        uint8 flags;
        uint64 voteNonce;
    }

    /// @dev The word a vote reads and writes: status, weight, the epoch from which the current
    /// effective weight counts, and the member's voted marks as a window of proposal numbers. The
    /// effective weight is `weight` while the member is active and has an admin account, else zero;
    /// every change of it (status, weight, admin accounts going from none to some or back) is
    /// checkpointed, so `checkpointEpoch` is the epoch of the last such change.
    struct MemberCore {
        MemberStatus status;
        uint32 weight;
        uint32 checkpointEpoch;
        uint32 voteBase;
        uint152 voteBits;
    }

    struct MemberInfo {
        uint40 joinedAt;
        uint32 accountCount;
        uint32 adminCount;
        uint32 nodeCount;
        string name;
        string metadataURI;
    }

    /// @dev One storage word per node, keyed by keccak-256 of its 64-byte public key.
    struct Node {
        uint32 memberId;
        uint16 port;
        bytes26 hostHash;
    }

    /// @notice A node as given when it is registered: its 64-byte public key (the enode id), the host
    /// and the P2P port of its enode URL.
    struct NodeSpec {
        bytes publicKey;
        string host;
        uint16 port;
    }

    /// @dev Consortium-wide counters.
    struct Totals {
        uint32 memberCount;
        uint32 activeMembers;
        uint32 activeAdmins;
        uint32 activeNodes;
        uint40 totalActiveWeight;
        uint40 totalWeight;
    }

    /// @notice Caps on what one member may own, set by governance.
    struct MemberLimits {
        uint32 maxAccounts;
        uint32 maxNodes;
    }

    /// @notice A member with all its fields, as the paginated reads return it.
    struct MemberView {
        uint32 id;
        string name;
        string metadataURI;
        uint32 weight;
        MemberStatus status;
        uint40 joinedAt;
        uint32 accountCount;
        uint32 adminCount;
        uint32 nodeCount;
    }

    /// @notice Largest sum of member weights: proposal tallies are 40-bit numbers.
    uint256 internal constant MAX_TOTAL_WEIGHT = type(uint40).max;

    mapping(address account => Account) internal _accounts;
    mapping(uint256 memberId => MemberCore) internal _memberCore;
    mapping(uint256 memberId => MemberInfo) internal _memberInfo;
    mapping(uint256 memberId => Checkpoints.Trace224) internal _weightHistory;
    mapping(bytes32 nodeKey => Node) internal _nodes;
    Totals internal _totals;
    Checkpoints.Trace224 internal _totalWeightHistory;
    MemberLimits internal _limits;

    event MemberAdded(uint32 indexed memberId, string name, string metadataURI, uint32 weight);
    event MemberSuspended(uint32 indexed memberId);
    event MemberReinstated(uint32 indexed memberId);
    event MemberRemoved(uint32 indexed memberId);
    event MemberWeightChanged(uint32 indexed memberId, uint32 oldWeight, uint32 newWeight);
    event AccountAdded(uint32 indexed memberId, address indexed account, uint8 flags);
    event AccountRemoved(uint32 indexed memberId, address indexed account);
    event NodeAdded(uint32 indexed memberId, bytes32 indexed nodeKey, bytes publicKey, string host, uint16 port);
    event NodeRemoved(uint32 indexed memberId, bytes32 indexed nodeKey);
    event MemberLimitsChanged(uint32 maxAccounts, uint32 maxNodes);

    error UnknownMember(uint32 memberId);
    error MemberNotActive(uint32 memberId);
    error MemberNotSuspended(uint32 memberId);
    error InvalidWeight(uint256 weight);
    error EmptyName();
    error LengthMismatch();
    error InvalidFlags(address account, uint8 flags);
    error AccountAlreadyRegistered(address account, uint32 memberId);
    error AccountNotInMember(address account, uint32 memberId);
    error InvalidPublicKey(bytes publicKey);
    error NodeAlreadyRegistered(bytes32 nodeKey, uint32 memberId);
    error NodeNotInMember(bytes32 nodeKey, uint32 memberId);
    error MemberLimitExceeded(uint32 memberId, uint256 limit);
    error InvalidLimits(uint32 maxAccounts, uint32 maxNodes);
    error NotMemberAdmin(address account, uint32 memberId);
    error WouldLeaveNoActiveMember();
    error WouldLeaveNoAdmin();
    error WouldLeaveNoNode();

    constructor(MemberLimits memory limits) {
        _setLimits(limits);
    }

    /// @dev Reverts unless the caller is governance.
    function _checkGovernance() internal view virtual;

    /// @dev Whether the lock-out guards are in force (they are once governance owns the registry).
    function _guardsActive() internal view virtual returns (bool);

    modifier onlyGovernance() {
        _checkGovernance();
        _;
    }

    // ------------------------------------------------------------------ governance: members

    /// @notice Adds a member organization with its first accounts and nodes. Governance only.
    /// @param name The organization's name (not empty).
    /// @param metadataURI Where its metadata lives (any URI; may be empty).
    /// @param weight Its voting weight (at least 1); it counts while the member has an admin account.
    /// @param accounts Accounts to register for it; `flags[i]` holds the role flags of `accounts[i]`.
    /// @param nodes Nodes to register for it.
    /// @return memberId The new member's id (ids start at 1 and are never reused).
    function addMember(
        string calldata name,
        string calldata metadataURI,
        uint32 weight,
        address[] calldata accounts,
        uint8[] calldata flags,
        NodeSpec[] calldata nodes
    ) external onlyGovernance returns (uint32 memberId) {
        if (bytes(name).length == 0) revert EmptyName();
        if (weight == 0) revert InvalidWeight(weight);
        Totals memory t = _totals;
        if (uint256(t.totalWeight) + weight > MAX_TOTAL_WEIGHT) revert InvalidWeight(weight);
        memberId = t.memberCount + 1;
        t.memberCount = memberId;
        t.activeMembers += 1;
        t.totalWeight += weight;
        _totals = t;

        MemberInfo storage info = _memberInfo[memberId];
        info.joinedAt = uint40(block.timestamp);
        info.name = name;
        info.metadataURI = metadataURI;
        _memberCore[memberId] = MemberCore({
            status: MemberStatus.Active,
            weight: weight,
            checkpointEpoch: 0,
            voteBase: _nextProposalNumber(),
            voteBits: 0
        });
        emit MemberAdded(memberId, name, metadataURI, weight);
        _addAccounts(memberId, accounts, flags);
        // After the accounts: its weight counts from now on only if one of them is an admin.
        _checkpointWeight(memberId, 0);
        _addNodes(memberId, nodes);
    }

    /// @notice Suspends an active member: its accounts and nodes lose access and it cannot vote,
    /// until it is reinstated. Governance only; refused if it would lock the consortium out.
    function suspendMember(uint32 memberId) external onlyGovernance {
        MemberCore storage core = _activeCore(memberId);
        uint256 oldEffective = _effectiveWeight(memberId, core);
        core.status = MemberStatus.Suspended;
        _leaveActive(memberId);
        _checkpointWeight(memberId, oldEffective);
        emit MemberSuspended(memberId);
    }

    /// @notice Gives a suspended member its access and vote back. Governance only.
    function reinstateMember(uint32 memberId) external onlyGovernance {
        MemberCore storage core = _memberCore[memberId];
        if (core.status != MemberStatus.Suspended) revert MemberNotSuspended(memberId);
        core.status = MemberStatus.Active;
        MemberInfo storage info = _memberInfo[memberId];
        Totals storage t = _totals;
        t.activeMembers += 1;
        t.activeAdmins += info.adminCount;
        t.activeNodes += info.nodeCount;
        _checkpointWeight(memberId, 0);
        emit MemberReinstated(memberId);
    }

    /// @notice Removes a member for good; its accounts and nodes lose access and may be registered
    /// again elsewhere. Governance only; refused if it would lock the consortium out.
    function removeMember(uint32 memberId) external onlyGovernance {
        MemberCore storage core = _memberCore[memberId];
        MemberStatus status = core.status;
        if (status != MemberStatus.Active && status != MemberStatus.Suspended) revert UnknownMember(memberId);
        uint256 oldEffective = _effectiveWeight(memberId, core);
        core.status = MemberStatus.Removed;
        _totals.totalWeight -= core.weight;
        if (status == MemberStatus.Active) {
            _leaveActive(memberId);
            _checkpointWeight(memberId, oldEffective);
        }
        emit MemberRemoved(memberId);
    }

    /// @notice Sets a member's voting weight. Proposals already created keep the weight they were
    /// created with. It counts while the member is active and has an admin account. Governance only.
    function setMemberWeight(uint32 memberId, uint32 weight) external onlyGovernance {
        MemberCore storage core = _memberCore[memberId];
        MemberStatus status = core.status;
        if (status != MemberStatus.Active && status != MemberStatus.Suspended) revert UnknownMember(memberId);
        uint32 oldWeight = core.weight;
        if (weight == 0 || uint256(_totals.totalWeight) - oldWeight + weight > MAX_TOTAL_WEIGHT) {
            revert InvalidWeight(weight);
        }
        uint256 oldEffective = _effectiveWeight(memberId, core);
        core.weight = weight;
        _totals.totalWeight = _totals.totalWeight - oldWeight + weight;
        _checkpointWeight(memberId, oldEffective);
        emit MemberWeightChanged(memberId, oldWeight, weight);
    }

    /// @notice Sets how many accounts and nodes one member may own. Governance only.
    function setMemberLimits(uint32 maxAccounts, uint32 maxNodes) external onlyGovernance {
        _setLimits(MemberLimits(maxAccounts, maxNodes));
    }

    /// @notice Allows an account that belongs to no member (for example a service or a bridge), with
    /// the given flags; flags 0 withdraws it. It cannot be an admin. Governance only.
    function setUnaffiliatedAccount(address account, uint8 flags) external onlyGovernance {
        if (flags & ~(Roles.TRANSACT | Roles.DEPLOY) != 0 || account == address(0)) revert InvalidFlags(account, flags);
        Account storage acct = _accounts[account];
        uint32 owner = acct.memberId;
        if (owner != 0 && _memberCore[owner].status != MemberStatus.Removed) revert AccountAlreadyRegistered(account, owner);
        acct.memberId = 0;
        acct.flags = flags;
        if (flags == 0) emit AccountRemoved(0, account);
        else emit AccountAdded(0, account, flags);
    }

    // ------------------------------------------------------------------ members manage themselves

    /// @notice Registers accounts for a member. Governance, or an admin account of that active member.
    /// The first admin account of an active member that had none makes its weight count again (from
    /// the proposals created after it).
    /// @param flags Role flags for each account (see `Roles`): at least one flag each.
    function addAccounts(uint32 memberId, address[] calldata accounts, uint8[] calldata flags) external {
        _checkManager(memberId);
        if (_addAccounts(memberId, accounts, flags)) _checkpointWeight(memberId, 0);
    }

    /// @notice Removes accounts from a member. Governance, or an admin account of that active member;
    /// refused if it would leave the consortium without an admin account. An active member left without
    /// admin accounts cannot vote, so its weight stops counting (in the quorum's base too) for the
    /// proposals created after it, until governance gives it an admin account again.
    function removeAccounts(uint32 memberId, address[] calldata accounts) external {
        _checkManager(memberId);
        uint32 admins = 0;
        for (uint256 i = 0; i < accounts.length; ++i) {
            Account storage acct = _accounts[accounts[i]];
            if (acct.memberId != memberId || acct.flags == 0) revert AccountNotInMember(accounts[i], memberId);
            if (acct.flags & Roles.ADMIN != 0) ++admins;
            acct.memberId = 0;
            acct.flags = 0;
            emit AccountRemoved(memberId, accounts[i]);
        }
        MemberInfo storage info = _memberInfo[memberId];
        info.accountCount -= uint32(accounts.length);
        uint32 adminsLeft = info.adminCount - admins;
        info.adminCount = adminsLeft;
        MemberCore storage core = _memberCore[memberId];
        if (core.status == MemberStatus.Active) {
            _totals.activeAdmins -= admins;
            if (adminsLeft == 0 && admins != 0) _checkpointWeight(memberId, core.weight);
            _checkNoLockOut();
        }
    }

    /// @notice Registers nodes for a member. Governance, or an admin account of that active member.
    function addNodes(uint32 memberId, NodeSpec[] calldata nodes) external {
        _checkManager(memberId);
        _addNodes(memberId, nodes);
    }

    /// @notice Removes nodes from a member, by node key (keccak-256 of the 64-byte public key).
    /// Governance, or an admin account of that active member; refused if it would leave the
    /// consortium without an active node.
    function removeNodes(uint32 memberId, bytes32[] calldata nodeKeys) external {
        _checkManager(memberId);
        for (uint256 i = 0; i < nodeKeys.length; ++i) {
            bytes32 key = nodeKeys[i];
            if (_nodes[key].memberId != memberId) revert NodeNotInMember(key, memberId);
            delete _nodes[key];
            emit NodeRemoved(memberId, key);
        }
        _memberInfo[memberId].nodeCount -= uint32(nodeKeys.length);
        if (_memberCore[memberId].status == MemberStatus.Active) {
            _totals.activeNodes -= uint32(nodeKeys.length);
            _checkNoLockOut();
        }
    }

    // ------------------------------------------------------------------ reads

    /// @inheritdoc IConsortiumRegistry
    function accountAccess(address account) public view returns (uint8 flags) {
        Account memory acct = _accounts[account];
        if (acct.memberId == 0) return acct.flags;
        return _memberCore[acct.memberId].status == MemberStatus.Active ? acct.flags : 0;
    }

    /// @inheritdoc IConsortiumRegistry
    function memberOf(address account) external view returns (uint32 memberId, bool active) {
        memberId = _accounts[account].memberId;
        active = memberId != 0 && _memberCore[memberId].status == MemberStatus.Active;
    }

    /// @inheritdoc IConsortiumRegistry
    function nodeAccess(bytes32 nodeKey)
        external
        view
        returns (uint32 memberId, bool active, bytes26 hostHash, uint16 port)
    {
        Node memory node = _nodes[nodeKey];
        active = node.memberId != 0 && _memberCore[node.memberId].status == MemberStatus.Active;
        return (node.memberId, active, node.hostHash, node.port);
    }

    /// @notice An account's registration: its member (0 for none), its flags and its vote nonce.
    /// Flags are as registered; `accountAccess` gives what is in force.
    function accountInfo(address account) external view returns (uint32 memberId, uint8 flags, uint64 voteNonce) {
        Account memory acct = _accounts[account];
        return (acct.memberId, acct.flags, acct.voteNonce);
    }

    function _memberView(uint32 memberId) private view returns (MemberView memory) {
        MemberCore memory core = _memberCore[memberId];
        if (core.status == MemberStatus.None) revert UnknownMember(memberId);
        MemberInfo storage info = _memberInfo[memberId];
        return MemberView({
            id: memberId,
            name: info.name,
            metadataURI: info.metadataURI,
            weight: core.weight,
            status: core.status,
            joinedAt: info.joinedAt,
            accountCount: info.accountCount,
            adminCount: info.adminCount,
            nodeCount: info.nodeCount
        });
    }

    /// @notice A page of members in id order, removed ones included: ids `offset + 1` onwards, at
    /// most `limit` of them. One member by id: `getMembers(id - 1, 1)`.
    function getMembers(uint256 offset, uint256 limit) external view returns (MemberView[] memory page) {
        uint256 count = _totals.memberCount;
        uint256 end = offset >= count ? offset : (limit > count - offset ? count : offset + limit);
        page = new MemberView[](end - offset);
        for (uint256 i = 0; i < page.length; ++i) {
            page[i] = _memberView(uint32(offset + i + 1));
        }
    }

    /// @notice The consortium-wide counters: members ever added, active members, active admin
    /// accounts, active nodes, total active weight (the effective weights: of active members with an
    /// admin account; the quorum's base) and total weight (of members not removed).
    function totals() external view returns (Totals memory) {
        return _totals;
    }

    /// @notice The caps on accounts and nodes per member.
    function memberLimits() external view returns (MemberLimits memory) {
        return _limits;
    }

    /// @notice A member's effective voting weight as of an epoch: its weight while it was active and had
    /// an admin account, else zero.
    function memberWeightAt(uint32 memberId, uint32 atEpoch) external view returns (uint256) {
        return _weightAt(memberId, _memberCore[memberId], atEpoch);
    }

    /// @notice The total active weight (the sum of the effective weights) as of an epoch.
    function totalWeightAt(uint32 atEpoch) public view returns (uint256) {
        return _totalWeightHistory.upperLookupRecent(atEpoch);
    }

    // ------------------------------------------------------------------ internals

    /// @dev The number the next proposal will get; a new member's vote window starts there.
    function _nextProposalNumber() internal view virtual returns (uint32);

    function _weightAt(uint32 memberId, MemberCore memory core, uint32 atEpoch) internal view returns (uint256) {
        if (atEpoch >= core.checkpointEpoch) return _effectiveWeight(memberId, core);
        return _weightHistory[memberId].upperLookupRecent(atEpoch);
    }

    /// @dev A member's effective weight now: its weight while it is active and has an admin account.
    function _effectiveWeight(uint32 memberId, MemberCore memory core) internal view returns (uint256) {
        if (core.status != MemberStatus.Active || _memberInfo[memberId].adminCount == 0) return 0;
        return core.weight;
    }

    /// @dev Records that a member's effective weight changed from `oldEffective` in a new epoch; does
    /// nothing when it did not change (a suspended member's or one without an admin account's weight).
    /// A member that never had an effective weight keeps `checkpointEpoch` 0: zero at every epoch.
    function _checkpointWeight(uint32 memberId, uint256 oldEffective) internal {
        MemberCore storage core = _memberCore[memberId];
        uint256 newEffective = _effectiveWeight(memberId, core);
        if (newEffective == oldEffective) return;
        uint32 newEpoch = _advanceEpoch();
        if (core.checkpointEpoch != 0) _weightHistory[memberId].push(core.checkpointEpoch, uint224(oldEffective));
        core.checkpointEpoch = newEpoch;
        uint40 total = uint40(_totals.totalActiveWeight + newEffective - oldEffective);
        _totals.totalActiveWeight = total;
        _totalWeightHistory.push(newEpoch, total);
    }

    /// @dev Starts a new epoch and returns it. The epoch advances on every change of an effective
    /// weight or of a governance setting; a proposal records the epoch it was created in.
    function _advanceEpoch() internal virtual returns (uint32 newEpoch);

    function _activeCore(uint32 memberId) internal view returns (MemberCore storage core) {
        core = _memberCore[memberId];
        if (core.status != MemberStatus.Active) revert MemberNotActive(memberId);
    }

    function _leaveActive(uint32 memberId) private {
        MemberInfo storage info = _memberInfo[memberId];
        Totals storage t = _totals;
        t.activeMembers -= 1;
        t.activeAdmins -= info.adminCount;
        t.activeNodes -= info.nodeCount;
        _checkNoLockOut();
    }

    /// @dev Governance may manage any existing member; an admin account only its own active member.
    function _checkManager(uint32 memberId) internal view {
        Account memory acct = _accounts[msg.sender];
        if (acct.memberId == memberId && memberId != 0 && acct.flags & Roles.ADMIN != 0) {
            _activeCore(memberId);
            return;
        }
        _checkGovernance();
        MemberStatus status = _memberCore[memberId].status;
        if (status != MemberStatus.Active && status != MemberStatus.Suspended) revert UnknownMember(memberId);
    }

    function _checkNoLockOut() internal view {
        if (!_guardsActive()) return;
        Totals memory t = _totals;
        if (t.activeMembers == 0) revert WouldLeaveNoActiveMember();
        if (t.activeAdmins == 0) revert WouldLeaveNoAdmin();
        if (t.activeNodes == 0) revert WouldLeaveNoNode();
    }

    /// @dev Returns whether an active member that had no admin account got one (its weight counts again).
    function _addAccounts(uint32 memberId, address[] calldata accounts, uint8[] calldata flags)
        private
        returns (bool firstAdmin)
    {
        if (accounts.length != flags.length) revert LengthMismatch();
        uint32 admins = 0;
        for (uint256 i = 0; i < accounts.length; ++i) {
            address account = accounts[i];
            uint8 f = flags[i];
            if (f == 0 || f & ~Roles.ALL != 0 || account == address(0)) revert InvalidFlags(account, f);
            // One read and one write of the account's word (Account's layout: memberId in bits 0..31,
            // flags in 32..39, vote nonce above), keeping its vote nonce.
            Account storage acct = _accounts[account];
            uint256 word;
            assembly ("memory-safe") {
                word := sload(acct.slot)
            }
            uint32 owner = uint32(word);
            if (owner == 0 ? uint8(word >> 32) != 0 : _memberCore[owner].status != MemberStatus.Removed) {
                revert AccountAlreadyRegistered(account, owner);
            }
            word = ((word >> 40) << 40) | (uint256(f) << 32) | memberId;
            assembly ("memory-safe") {
                sstore(acct.slot, word)
            }
            if (f & Roles.ADMIN != 0) ++admins;
            emit AccountAdded(memberId, account, f);
        }
        MemberInfo storage info = _memberInfo[memberId];
        uint256 count = uint256(info.accountCount) + accounts.length;
        if (count > _limits.maxAccounts) revert MemberLimitExceeded(memberId, _limits.maxAccounts);
        info.accountCount = uint32(count);
        uint32 adminsBefore = info.adminCount;
        info.adminCount = adminsBefore + admins;
        if (_memberCore[memberId].status == MemberStatus.Active) {
            _totals.activeAdmins += admins;
            firstAdmin = adminsBefore == 0 && admins != 0;
        }
    }

    function _addNodes(uint32 memberId, NodeSpec[] calldata nodes) private {
        for (uint256 i = 0; i < nodes.length; ++i) {
            bytes calldata publicKey = nodes[i].publicKey;
            if (publicKey.length != 64) revert InvalidPublicKey(publicKey);
            bytes32 key = keccak256(publicKey);
            Node storage node = _nodes[key];
            uint32 owner = node.memberId;
            if (owner != 0 && _memberCore[owner].status != MemberStatus.Removed) revert NodeAlreadyRegistered(key, owner);
            node.memberId = memberId;
            node.port = nodes[i].port;
            node.hostHash = EnodeId.hostHash(nodes[i].host);
            emit NodeAdded(memberId, key, publicKey, nodes[i].host, nodes[i].port);
        }
        MemberInfo storage info = _memberInfo[memberId];
        uint256 count = uint256(info.nodeCount) + nodes.length;
        if (count > _limits.maxNodes) revert MemberLimitExceeded(memberId, _limits.maxNodes);
        info.nodeCount = uint32(count);
        if (_memberCore[memberId].status == MemberStatus.Active) _totals.activeNodes += uint32(nodes.length);
    }

    function _setLimits(MemberLimits memory limits) private {
        if (limits.maxAccounts == 0 || limits.maxNodes == 0) revert InvalidLimits(limits.maxAccounts, limits.maxNodes);
        _limits = limits;
        emit MemberLimitsChanged(limits.maxAccounts, limits.maxNodes);
    }
}
