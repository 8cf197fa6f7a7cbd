// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ConsortiumGated} from "../access/ConsortiumGated.sol";
import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title Notice board (example application)
/// @notice A consortium application guarded by `ConsortiumGated`: any account of an active member may
/// post a notice; only member admin accounts may pin one. Suspending a member silences it at once.
contract NoticeBoard is ConsortiumGated {
    /// @notice How many notices were posted.
    uint256 public noticeCount;
    /// @notice The pinned notice's number (0 for none).
    uint256 public pinned;

    /// @notice A notice was posted.
    event NoticePosted(uint256 indexed number, address indexed author, string text);
    /// @notice A notice was pinned.
    event NoticePinned(uint256 indexed number, address indexed by);

    /// @notice No notice has this number.
    error UnknownNotice(uint256 number);

    constructor(IConsortiumRegistry registry) ConsortiumGated(registry) {}

    /// @notice Posts a notice. Any account of an active member.
    /// @return number The notice's number (from 1).
    function post(string calldata text) external onlyMember returns (uint256 number) {
        number = ++noticeCount;
        emit NoticePosted(number, msg.sender, text);
    }

    /// @notice Pins a notice. Member admin accounts only.
    function pin(uint256 number) external onlyFlag(Roles.ADMIN) {
        if (number == 0 || number > noticeCount) revert UnknownNotice(number);
        pinned = number;
        emit NoticePinned(number, msg.sender);
    }
}
