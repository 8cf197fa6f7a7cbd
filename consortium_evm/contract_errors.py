"""One Python exception per custom error of the consortium contracts.

A revert decoded by :func:`consortium_evm.domain.revert.decode_revert` is raised as the class named like
the Solidity error, so that a member back-end can write::

    try:
        client.proposals.vote(proposal_id, "for")
    except AlreadyVoted as exc:
        log.info("member %s already voted", exc.member_id)

Each class is a :class:`~consortium_evm.errors.ContractRevertError`: ``exc.name`` is the Solidity
name, ``exc.args_by_name`` the decoded arguments by their Solidity names, and each argument is also
an attribute in snake case (``exc.proposal_id``). ``str(exc)`` names the error, its arguments and
what it means. An error of another contract (one of yours, behind a proposal) stays a plain
``ContractRevertError`` with its name and arguments when its ABI is known to the client.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from eth_utils.address import to_checksum_address

from consortium_evm.errors import ContractRevertError

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def _repr(key: str, value: Any) -> str:
    return repr(value)


def _explained(cls: type[ContractRevertError]) -> str:
    return (cls.__doc__ or "").strip().splitlines()[0].rstrip(".") if cls.__doc__ else ""


class NamedRevert(ContractRevertError):
    """Base of the named contract errors: the message adds what the error means."""

    def __init__(self, name: str, args: dict[str, Any], message: str | None = None, *,
                 shown: Callable[[str, Any], str] = _repr) -> None:
        # ABI decoding gives addresses in lower case; the client gives them checksummed everywhere.
        # (No argument of these errors is a 20-byte value other than an address.)
        # ``shown(name, value)`` writes an argument for the message: the decoder passes
        # ``domain.proposals.shown_argument`` (a proposal id with its number, a state by name).
        args = {k: _checksummed(v) for k, v in args.items()}
        shown_args = ", ".join(f"{k}={shown(k, v)}" for k, v in args.items())
        meaning = _explained(type(self))
        super().__init__(name, args, message or f"reverted with {name}({shown_args}): {meaning}")


def _checksummed(value: Any) -> Any:
    return str(to_checksum_address(value)) if isinstance(value, str) and _ADDRESS.match(value) else value


# -- registry: members, accounts, nodes ---------------------------------------------------------


class UnknownMember(NamedRevert):
    """No member has this id (or it was removed)."""


class MemberNotActive(NamedRevert):
    """The member is suspended or removed: it can neither act nor vote until reinstated."""


class MemberNotSuspended(NamedRevert):
    """Only a suspended member can be reinstated."""


class InvalidWeight(NamedRevert):
    """A member's weight must be at least 1, and all weights together must fit in 40 bits."""


class EmptyName(NamedRevert):
    """A member needs a name."""


class LengthMismatch(NamedRevert):
    """Every account needs its role flags: the two lists must be as long as each other."""


class InvalidFlags(NamedRevert):
    """Role flags must be a non-empty combination of transact (1), deploy (2) and admin (4), for a non-zero address."""


class AccountAlreadyRegistered(NamedRevert):
    """The account already belongs to a member (or is allowed on its own): remove it there first."""


class AccountNotInMember(NamedRevert):
    """The account is not registered to this member."""


class ReservedAccount(NamedRevert):
    """The Consortium itself cannot be registered as an account: governance must always manage every member."""


class NoPendingAdmin(NamedRevert):
    """The account has no admin registration waiting for its acceptance (accepted already, removed, or never registered as admin)."""


class InvalidConsentSignature(NamedRevert):
    """The acceptance was not signed by the account's key over its current consent nonce, for this consortium and chain."""


class InvalidNodeSignature(NamedRevert):
    """The node's consent was not signed by its node key for this member, consortium and chain (sign it with the node's nodekey)."""


class InvalidPublicKey(NamedRevert):
    """A node's public key (its enode id) must be exactly 64 bytes."""


class NodeAlreadyRegistered(NamedRevert):
    """The node already belongs to a member: remove it there first."""


class NodeNotInMember(NamedRevert):
    """The node is not registered to this member."""


class MemberLimitExceeded(NamedRevert):
    """The member would own more accounts or nodes than the consortium's limit allows."""


class InvalidLimits(NamedRevert):
    """Member limits must be at least 1."""


class NotMemberAdmin(NamedRevert):
    """Only an admin account of an active member may do this (propose, vote, manage its accounts and nodes)."""


class WouldLeaveNoActiveMember(NamedRevert):
    """Refused: the consortium would be left without an active member."""


class WouldLeaveNoAdmin(NamedRevert):
    """Refused: the consortium would be left without an active admin account, so nobody could propose or vote."""


class WouldLeaveNoNode(NamedRevert):
    """Refused: the consortium would be left without an active node, so no node could connect."""


class CheckpointUnorderedInsertion(NamedRevert):
    """Internal weight history out of order (a bug: please report it)."""


# -- governance ---------------------------------------------------------------------------------


class GovernanceNotStarted(NamedRevert):
    """Governance has not taken over yet: the bootstrap is not finished."""


class InvalidProposalLength(NamedRevert):
    """A proposal needs at least one action, and as many values and calldatas as targets."""


class UnknownProposal(NamedRevert):
    """No proposal has this id."""


class ProposalNotActive(NamedRevert):
    """The proposal is not open for votes (state is the proposal's current state)."""


class ProposalNotExecutable(NamedRevert):
    """The proposal cannot be executed now: it has not passed, waits for its delay, expired or already ran."""


class ProposalNotCancelable(NamedRevert):
    """Only a pending or active proposal can be canceled."""


class ProposalActionsMismatch(NamedRevert):
    """The actions or description given do not match the proposal's."""


class NotProposer(NamedRevert):
    """Only an admin account of the member that made the proposal may cancel it."""


class NoVotingWeight(NamedRevert):
    """The member had no voting weight when the proposal was created (it joined later, or was not active)."""


class AlreadyVoted(NamedRevert):
    """This member has already voted on the proposal (one vote per member, whichever admin account casts it)."""


class VoteWindowPassed(NamedRevert):
    """The member voted on a proposal 128 or more numbers newer, so it can no longer vote on this one."""


class InvalidVoteType(NamedRevert):
    """A vote is 0 (against), 1 (for) or 2 (abstain)."""


class InvalidSettings(NamedRevert):
    """A governance setting is out of bounds (quorum and threshold 1..10000 bps; voting and expiry periods from their floors to 365 d; delays up to 30 d)."""


class InvalidSettingsFloors(NamedRevert):
    """The floors under the voting and expiry periods must be at least 10 s and 60 s, and at most 365 d."""


class CallFailed(NamedRevert):
    """One of the proposal's calls failed without a reason (index is the failing call); the whole execution was undone."""


class CallToAddressWithoutCode(NamedRevert):
    """One of the proposal's calls carries calldata to an address without code: it would do nothing, so the execution was undone."""


class InvalidExecutionValue(NamedRevert):
    """The execution must carry exactly the sum of the proposal's values."""


class InvalidVoteNonce(NamedRevert):
    """The ballot's nonce is not its member's next ballot nonce (used already, or signed ahead of another ballot of the member not yet submitted)."""


class InvalidVoteSignature(NamedRevert):
    """The vote's signature was not made by the voter's key for this consortium and chain."""


class OnlyGovernance(NamedRevert):
    """Only governance (a passed proposal) may do this."""


class NotBootstrapper(NamedRevert):
    """Only the deployer that bootstrapped the consortium may start governance, once."""


# -- permissioning ------------------------------------------------------------------------------


class RulesWithoutCode(NamedRevert):
    """The new rules address has no contract code."""


class RulesInterfaceMissing(NamedRevert):
    """The new rules contract does not declare both rule interfaces (ERC-165)."""


class RulesAllowEveryone(NamedRevert):
    """The new rules would let an account nobody can register transact (the zero address or the
    per-call outsider): refused (never fail-open)."""


class RulesLockOut(NamedRevert):
    """The new rules would lock out the account executing the change: refused (never locked out)."""


class RulesRefuseNode(NamedRevert):
    """The new rules would refuse the registered node the proposal names: refused (the network must still form)."""


class ProbeNodeNotActive(NamedRevert):
    """The node named to probe the new rules is not registered to an active member."""


class ProbeNodeMismatch(NamedRevert):
    """The host or port named for the probe node differs from the node's registration."""


class ZeroGovernance(NamedRevert):
    """A governance-owned contract needs a non-zero governance address."""


class ZeroRegistry(NamedRevert):
    """The rules need a non-zero registry address."""


# -- validators (ValidatorSet) -------------------------------------------------------------------


class ZeroValidator(NamedRevert):
    """A validator cannot be the zero address."""


class DuplicateValidator(NamedRevert):
    """The address is a validator already."""


class UnknownValidator(NamedRevert):
    """The address is not a validator."""


class LastValidator(NamedRevert):
    """Refused: removing the last validator would stop the chain."""


class NoValidators(NamedRevert):
    """A validator set needs at least one validator."""


# -- consortium applications (ConsortiumGated) --------------------------------------------------


class NotConsortiumMember(NamedRevert):
    """The account does not belong to an active member."""


class MissingRole(NamedRevert):
    """The account lacks the role flag this function needs."""


class UnknownNotice(NamedRevert):
    """No notice has this number on the notice board (the example application)."""


REVERT_TYPES: dict[str, type[NamedRevert]] = {
    cls.__name__: cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, NamedRevert) and cls is not NamedRevert
}
"""The exception class of each named contract error, by its Solidity name."""


def revert_class(name: str) -> type[ContractRevertError]:
    """The exception class for the Solidity error ``name`` (``ContractRevertError`` if unnamed here)."""
    return REVERT_TYPES.get(name, ContractRevertError)


__all__ = sorted([*REVERT_TYPES, "NamedRevert", "REVERT_TYPES", "revert_class"])
