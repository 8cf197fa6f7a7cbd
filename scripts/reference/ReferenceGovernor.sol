// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// The reference the gas report compares the consortium against: a stock OpenZeppelin 5.x Governor
// (settings, simple counting, token votes, quorum fraction; no timelock) over an ERC20Votes token.
// Compiled by scripts/gas_report.py with evm_version "cancun" into build/reference/.

import {ERC20} from "oz-reference/token/ERC20/ERC20.sol";
import {ERC20Permit} from "oz-reference/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "oz-reference/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "oz-reference/utils/Nonces.sol";
import {IVotes} from "oz-reference/governance/utils/IVotes.sol";
import {Governor} from "oz-reference/governance/Governor.sol";
import {GovernorSettings} from "oz-reference/governance/extensions/GovernorSettings.sol";
import {GovernorCountingSimple} from "oz-reference/governance/extensions/GovernorCountingSimple.sol";
import {GovernorVotes} from "oz-reference/governance/extensions/GovernorVotes.sol";
import {GovernorVotesQuorumFraction} from "oz-reference/governance/extensions/GovernorVotesQuorumFraction.sol";

/// @notice The voting token: one token unit per unit of member weight; holders delegate to themselves.
contract ReferenceVotesToken is ERC20, ERC20Permit, ERC20Votes {
    address internal immutable _minter;

    error OnlyMinter(address caller);

    constructor() ERC20("Reference Votes", "RVOTE") ERC20Permit("Reference Votes") {
        _minter = msg.sender;
    }

    /// @notice Mints `amount` to `to`. Only the deployer.
    function mint(address to, uint256 amount) external {
        if (msg.sender != _minter) revert OnlyMinter(msg.sender);
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }

    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}

/// @notice The same token with a set-up shortcut, used only to set up the 200-holder chain quickly:
/// one transaction gives each holder its tokens and makes it its own delegate, leaving exactly the
/// state that a mint and the holder's own `delegate(holder)` leave (the per-holder mint and delegate
/// are measured on the 5-holder chain, with the plain token). Its votes behave as the plain token's.
contract ReferenceVotesTokenForSetup is ReferenceVotesToken {
    /// @notice Makes each `holders[i]` its own delegate, then mints it `amounts[i]`. Only the deployer.
    function mintSelfDelegated(address[] calldata holders, uint256[] calldata amounts) external {
        if (msg.sender != _minter) revert OnlyMinter(msg.sender);
        for (uint256 i = 0; i < holders.length; ++i) {
            _delegate(holders[i], holders[i]);
            _mint(holders[i], amounts[i]);
        }
    }
}

/// @notice OpenZeppelin's Governor as its wizard composes it: voting delay 1 block, the given voting
/// period (blocks), proposal threshold 0, quorum 50 % of the supply at the snapshot, no timelock.
contract ReferenceGovernor is Governor, GovernorSettings, GovernorCountingSimple, GovernorVotes, GovernorVotesQuorumFraction {
    constructor(IVotes token, uint32 votingPeriodBlocks)
        Governor("ReferenceGovernor")
        GovernorSettings(1, votingPeriodBlocks, 0)
        GovernorVotes(token)
        GovernorVotesQuorumFraction(50)
    {}

    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }
}
