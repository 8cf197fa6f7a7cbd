// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {Roles} from "../libraries/Roles.sol";
import {EnodeId} from "../libraries/EnodeId.sol";
import {TypedSignatures} from "../utils/TypedSignatures.sol";
import {AccountWord} from "../storage/AccountWord.sol";

/// @title Member registry
/// @notice The consortium's members (organizations), the accounts and nodes each one owns, and each
/// member's voting weight with its history, so that a proposal counts the weights it was created with.
/// A member's weight counts (in votes and in the quorum's base: its *effective* weight) only while it
/// is active and has at least one admin account, since only an admin account can vote for it.
/// @dev Abstract: the contract that inherits it decides who governance is (`_checkGovernance`).
/// Every state-changing path is bounded by its own input; nothing loops over all members or accounts.
/// Accounts and nodes of a removed member stay recorded but inert, and may be registered again.
///
/// Keys, not addresses: an admin account counts (for the lock-out guard, the member's weight,
/// proposing, voting and managing the member) only once the holder of its key has accepted it, by a
/// transaction from it (`acceptAdmin`) or an EIP-712 consent it signed (`acceptAdminBySig`, submitted
/// by anyone); a mistyped or dead address stays a pending admin for ever. A node is registered only
/// with a consent signed by its own node key (its address is the last 20 bytes of keccak-256 of its
/// 64-byte public key), so that no member can register, then drop or take down with it, another
/// member's node. The bootstrap (before governance starts) is exempt from both: the deployer's
/// founding members are accepted as the consortium file lists them.
abstract contract MemberRegistry is IConsortiumRegistry, TypedSignatures {
    using Checkpoints for Checkpoints.Trace224;

    enum MemberStatus {
        None,
        Active,
        Suspended,
        Removed
    }

    /// @dev One storage word per account: the member it belongs to (0: none), the role flags in force
    /// (`Roles.ADMIN` only once accepted), whether an admin registration waits for its acceptance, and
    /// the nonce of its signed acceptances (kept when the account is removed, so that no consent
    /// replays). The account registry writes it whole (bit positions and helpers: `AccountWord`).
    struct Account {
        uint32 memberId;
        uint8 flags;
        bool adminPending;
        uint64 consentNonce;
    }

    /// @dev The word a vote reads and writes: status, weight, the epoch from which the current
    /// effective weight counts, the nonce of the member's next signed ballot (one sequence per member,
    /// whichever admin signs) and the member's voted marks as a window of proposal numbers. The
    /// effective weight is `weight` while the member is active and has an admin account, else zero;
    /// every change of it (status, weight, admin accounts going from none to some or back) is
    /// checkpointed, so `checkpointEpoch` is the epoch of the last such change. A vote reads and writes
    /// it whole (bit positions and helpers: `MemberWord`).
    struct MemberCore {
        MemberStatus status;
        uint32 weight;
        uint32 checkpointEpoch;
        uint32 voteBase;
        uint24 ballotNonce;
        uint128 voteBits;
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
    /// and the P2P port of its enode URL, and its node key's EIP-712 signature of
    /// `NodeConsent(bytes32 nodeKey,uint32 memberId)` (empty during the bootstrap, which needs none).
    struct NodeSpec {
        bytes publicKey;
        string host;
        uint16 port;
        bytes signature;
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

    /// @notice The EIP-712 type an admin account signs to accept its registration.
    bytes32 internal constant ADMIN_ACCEPTANCE_TYPEHASH =
        keccak256("AdminAcceptance(address account,uint32 memberId,uint256 nonce)");

    /// @notice The EIP-712 type a node key signs to consent to its registration for a member.
    bytes32 internal constant NODE_CONSENT_TYPEHASH = keccak256("NodeConsent(bytes32 nodeKey,uint32 memberId)");

    mapping(address account => Account) internal _accounts;
    mapping(uint256 memberId => MemberCore) internal _memberCore;
    mapping(uint256 memberId => MemberInfo) internal _memberInfo;
    mapping(uint256 memberId => Checkpoints.Trace224) internal _weightHistory;
    mapping(bytes32 nodeKey => Node) internal _nodes;
    Totals internal _totals;
    Checkpoints.Trace224 internal _totalWeightHistory;
    MemberLimits internal _limits;

    /// @notice A member was added with the given name, metadata URI and weight.
    event MemberAdded(uint32 indexed memberId, string name, string metadataURI, uint32 weight);
    /// @notice A member was suspended: its accounts and nodes lost access and it cannot vote.
    event MemberSuspended(uint32 indexed memberId);
    /// @notice A suspended member got its access and vote back.
    event MemberReinstated(uint32 indexed memberId);
    /// @notice A member was removed for good.
    event MemberRemoved(uint32 indexed memberId);
    /// @notice A member's voting weight changed.
    event MemberWeightChanged(uint32 indexed memberId, uint32 oldWeight, uint32 newWeight);
    /// @notice An account was registered for a member (0: on its own) with the flags asked for; an
    /// admin flag among them is in force once the account accepts it (see `AdminAcceptancePending`).
    event AccountAdded(uint32 indexed memberId, address indexed account, uint8 flags);
    /// @notice An account was removed from a member (0: an account on its own was withdrawn).
    event AccountRemoved(uint32 indexed memberId, address indexed account);
    /// @notice An admin registration waits for the account to accept it (`acceptAdmin` or `acceptAdminBySig`).
    event AdminAcceptancePending(uint32 indexed memberId, address indexed account);
    /// @notice An account accepted its admin registration: from now on it counts as the member's admin.
    event AdminAccepted(uint32 indexed memberId, address indexed account);
    /// @notice A node was registered for a member, with its public key, host and port.
    event NodeAdded(uint32 indexed memberId, bytes32 indexed nodeKey, bytes publicKey, string host, uint16 port);
    /// @notice A node was removed from a member.
    event NodeRemoved(uint32 indexed memberId, bytes32 indexed nodeKey);
    /// @notice The caps on accounts and nodes per member changed.
    event MemberLimitsChanged(uint32 maxAccounts, uint32 maxNodes);

    /// @notice No member has this id (or it was removed).
    error UnknownMember(uint32 memberId);
    /// @notice The member is not active (suspended or removed).
    error MemberNotActive(uint32 memberId);
    /// @notice Only a suspended member can be reinstated.
    error MemberNotSuspended(uint32 memberId);
    /// @notice A weight must be at least 1 and keep the total within `MAX_TOTAL_WEIGHT`.
    error InvalidWeight(uint256 weight);
    /// @notice A member needs a name.
    error EmptyName();
    /// @notice The accounts and their flags differ in length.
    error LengthMismatch();
    /// @notice Flags must be at least one known role (transact and deploy only for an account on its
    /// own), for a non-zero address.
    error InvalidFlags(address account, uint8 flags);
    /// @notice The account belongs to the consortium's own machinery (the Consortium itself) and cannot
    /// be registered: governance must always be able to manage every member.
    error ReservedAccount(address account);
    /// @notice The account is already registered (to this member id; 0: on its own).
    error AccountAlreadyRegistered(address account, uint32 memberId);
    /// @notice The account is not registered to this member.
    error AccountNotInMember(address account, uint32 memberId);
    /// @notice The account has no admin registration waiting for its acceptance.
    error NoPendingAdmin(address account);
    /// @notice The acceptance signature is not the account's over its current consent nonce.
    error InvalidConsentSignature(address account);
    /// @notice A node's public key must be 64 bytes.
    error InvalidPublicKey(bytes publicKey);
    /// @notice The node's consent signature is not its node key's over `NodeConsent(nodeKey, memberId)`.
    error InvalidNodeSignature(bytes32 nodeKey);
    /// @notice The node is already registered (to this member id).
    error NodeAlreadyRegistered(bytes32 nodeKey, uint32 memberId);
    /// @notice The node is not registered to this member.
    error NodeNotInMember(bytes32 nodeKey, uint32 memberId);
    /// @notice The member would own more accounts or nodes than the limit.
    error MemberLimitExceeded(uint32 memberId, uint256 limit);
    /// @notice Both limits must be at least 1.
    error InvalidLimits(uint32 maxAccounts, uint32 maxNodes);
    /// @notice The account is not an accepted admin account of this (active) member.
    error NotMemberAdmin(address account, uint32 memberId);
    /// @notice Refused: no active member would be left.
    error WouldLeaveNoActiveMember();
    /// @notice Refused: no accepted admin account of an active member would be left, so nobody could propose.
    error WouldLeaveNoAdmin();
    /// @notice Refused: no node of an active member would be left, so the network could not run.
    error WouldLeaveNoNode();

    constructor(MemberLimits memory limits) {
        _setLimits(limits);
    }

    /// @dev Reverts unless the caller is governance.
    function _checkGovernance() internal view virtual;

    /// @dev Whether `caller` acts as governance (a passed proposal, or the bootstrapper before it hands over).
    function _isGovernance(address caller) internal view virtual returns (bool);

    /// @dev Whether this call is the bootstrap: the bootstrapper, before governance has started.
    function _bootstrapping() internal view virtual returns (bool);

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
            ballotNonce: 0,
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
    /// the given flags; flags 0 withdraws it. It cannot be an admin, nor the Consortium itself.
    /// Governance only.
    /// @param account The account.
    /// @param flags `Roles.TRANSACT` and/or `Roles.DEPLOY`, or 0 to withdraw it.
    function setUnaffiliatedAccount(address account, uint8 flags) external onlyGovernance {
        if (flags & ~(Roles.TRANSACT | Roles.DEPLOY) != 0 || account == address(0)) revert InvalidFlags(account, flags);
        if (account == address(this)) revert ReservedAccount(account);
        Account storage acct = _accounts[account];
        uint32 owner = acct.memberId;
        if (owner != 0 && _memberCore[owner].status != MemberStatus.Removed) revert AccountAlreadyRegistered(account, owner);
        // A pending admin registration of a removed member ends here too (a signed acceptance of it
        // named that member, whose id is never reused).
        acct.memberId = 0;
        acct.flags = flags;
        acct.adminPending = false;
        if (flags == 0) emit AccountRemoved(0, account);
        else emit AccountAdded(0, account, flags);
    }

    // ------------------------------------------------------------------ members manage themselves

    /// @notice Registers accounts for a member. Governance, or an admin account of that active member.
    /// An admin flag is in force once the account accepts it (`acceptAdmin`, `acceptAdminBySig`);
    /// the other flags at once. The bootstrap's admin accounts are accepted as registered.
    /// @param memberId The member.
    /// @param accounts The accounts to register (not the Consortium itself).
    /// @param flags Role flags for each account (see `Roles`): at least one flag each.
    function addAccounts(uint32 memberId, address[] calldata accounts, uint8[] calldata flags) external {
        _checkManager(memberId);
        if (_addAccounts(memberId, accounts, flags)) _checkpointWeight(memberId, 0);
    }

    /// @notice Removes accounts from a member (pending admins included). Governance, or an admin
    /// account of that active member; refused if it would leave the consortium without an accepted
    /// admin account. An active member left without admin accounts cannot vote, so its weight stops
    /// counting (in the quorum's base too) for the proposals created after it, until it has an accepted
    /// admin account again.
    /// @param memberId The member.
    /// @param accounts Its accounts to remove.
    function removeAccounts(uint32 memberId, address[] calldata accounts) external {
        _checkManager(memberId);
        uint32 admins = 0;
        for (uint256 i = 0; i < accounts.length; ++i) {
            Account storage acct = _accounts[accounts[i]];
            Account memory old = acct;
            if (old.memberId != memberId || (old.flags == 0 && !old.adminPending)) {
                revert AccountNotInMember(accounts[i], memberId);
            }
            if (old.flags & Roles.ADMIN != 0) ++admins;
            // The consent nonce moves on, so that a signed acceptance of this registration cannot
            // accept a later one.
            _storeAccount(accounts[i], 0, 0, false, old.consentNonce + 1);
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
    /// Each node needs its node key's consent signature (see `NodeSpec`).
    /// @param memberId The member.
    /// @param nodes The nodes, each with its consent signature.
    function addNodes(uint32 memberId, NodeSpec[] calldata nodes) external {
        _checkManager(memberId);
        _addNodes(memberId, nodes);
    }

    // ------------------------------------------------------------------ admin acceptance

    /// @notice Accepts the caller's pending admin registration: from now on it counts as its member's
    /// admin account (for proposing, voting, managing the member and the lock-out guard). A contract
    /// account (a Safe multisig, say) accepts this way; on a permissioned chain, a pending account
    /// without the transact flag accepts by signature instead (`acceptAdminBySig`, anyone submits it).
    function acceptAdmin() external {
        _acceptAdmin(msg.sender);
    }

    /// @notice Accepts `account`'s pending admin registration with its EIP-712 signature of
    /// `AdminAcceptance(address account,uint32 memberId,uint256 nonce)`, where `nonce` is its current
    /// consent nonce (see `accountInfo`); anyone may submit it.
    /// @param account The pending admin account.
    /// @param signature Its signature.
    function acceptAdminBySig(address account, bytes calldata signature) external {
        Account memory acct = _accounts[account];
        bytes32 structHash = keccak256(abi.encode(ADMIN_ACCEPTANCE_TYPEHASH, account, acct.memberId, acct.consentNonce));
        if (!_signedBy(structHash, signature, account)) revert InvalidConsentSignature(account);
        _acceptAdmin(account);
    }

    function _acceptAdmin(address account) private {
        Account memory acct = _accounts[account];
        uint32 memberId = acct.memberId;
        MemberStatus status = _memberCore[memberId].status;
        if (!acct.adminPending || memberId == 0 || status == MemberStatus.Removed) revert NoPendingAdmin(account);
        _storeAccount(account, memberId, acct.flags | Roles.ADMIN, false, acct.consentNonce + 1);
        MemberInfo storage info = _memberInfo[memberId];
        uint32 adminsBefore = info.adminCount;
        info.adminCount = adminsBefore + 1;
        emit AdminAccepted(memberId, account);
        if (status == MemberStatus.Active) {
            _totals.activeAdmins += 1;
            if (adminsBefore == 0) _checkpointWeight(memberId, 0);
        }
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

    /// @notice An account's registration: its member (0 for none), its flags as registered (the admin
    /// flag only once accepted; `accountAccess` gives what is in force), whether an admin registration
    /// waits for its acceptance, and the nonce its signed acceptance must carry.
    function accountInfo(address account)
        external
        view
        returns (uint32 memberId, uint8 flags, bool pending, uint64 consentNonce)
    {
        Account memory acct = _accounts[account];
        return (acct.memberId, acct.flags, acct.adminPending, acct.consentNonce);
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

    /// @dev Governance may manage any existing member (its path first: whatever accounts are
    /// registered, a suspended member stays manageable by governance); an accepted admin account
    /// only its own active member.
    function _checkManager(uint32 memberId) internal view {
        if (!_isGovernance(msg.sender)) {
            Account memory acct = _accounts[msg.sender];
            if (acct.memberId != memberId || memberId == 0 || acct.flags & Roles.ADMIN == 0) _checkGovernance();
            _activeCore(memberId);
            return;
        }
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
        bool bootstrapping = _bootstrapping();
        for (uint256 i = 0; i < accounts.length; ++i) {
            address account = accounts[i];
            uint8 f = flags[i];
            if (f == 0 || f & ~Roles.ALL != 0 || account == address(0)) revert InvalidFlags(account, f);
            if (account == address(this)) revert ReservedAccount(account);
            // One read and one write of the account's word, keeping its consent nonce.
            Account storage acct = _accounts[account];
            uint256 word;
            assembly ("memory-safe") {
                word := sload(acct.slot)
            }
            uint32 owner = AccountWord.memberId(word);
            if (owner == 0 ? AccountWord.flags(word) != 0 : _memberCore[owner].status != MemberStatus.Removed) {
                revert AccountAlreadyRegistered(account, owner);
            }
            // Outside the bootstrap an admin flag waits for the account's acceptance.
            bool pending = f & Roles.ADMIN != 0 && !bootstrapping;
            uint8 inForce = pending ? f & ~Roles.ADMIN : f;
            word = AccountWord.withRegistration(word, memberId, inForce, pending);
            assembly ("memory-safe") {
                sstore(acct.slot, word)
            }
            if (inForce & Roles.ADMIN != 0) ++admins;
            emit AccountAdded(memberId, account, f);
            if (pending) emit AdminAcceptancePending(memberId, account);
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
        bool bootstrapping = nodes.length != 0 && _bootstrapping();
        for (uint256 i = 0; i < nodes.length; ++i) {
            bytes calldata publicKey = nodes[i].publicKey;
            if (publicKey.length != 64) revert InvalidPublicKey(publicKey);
            bytes32 key = keccak256(publicKey);
            Node storage node = _nodes[key];
            uint32 owner = node.memberId;
            if (owner != 0 && _memberCore[owner].status != MemberStatus.Removed) revert NodeAlreadyRegistered(key, owner);
            // The node key's address is the last 20 bytes of keccak-256 of its public key: `key`'s.
            if (
                !bootstrapping
                    && !_signedBy(
                        keccak256(abi.encode(NODE_CONSENT_TYPEHASH, key, memberId)),
                        nodes[i].signature,
                        address(uint160(uint256(key)))
                    )
            ) revert InvalidNodeSignature(key);
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

    /// @dev Writes an account's whole word with one store (a struct assignment stores field by field).
    function _storeAccount(address account, uint32 memberId, uint8 flags, bool pending, uint64 consentNonce) private {
        Account storage acct = _accounts[account];
        uint256 word = AccountWord.pack(memberId, flags, pending, consentNonce);
        assembly ("memory-safe") {
            sstore(acct.slot, word)
        }
    }

    function _setLimits(MemberLimits memory limits) private {
        if (limits.maxAccounts == 0 || limits.maxNodes == 0) revert InvalidLimits(limits.maxAccounts, limits.maxNodes);
        _limits = limits;
        emit MemberLimitsChanged(limits.maxAccounts, limits.maxNodes);
    }
}
