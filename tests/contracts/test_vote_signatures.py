"""Votes by EIP-712 signature: a member admin signs its ballot offline, anyone submits it.

The signer is a fresh key (its private key is what the test needs) registered by founder 2's admin
as a second admin+transact account of member 2 (weight 35), which accepts its registration by
signature. Submitters are unregistered accounts. A ballot names the signer's member and carries the
member's ballot nonce (one sequence per member, whichever of its admin accounts signs).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.logs import DISCARD

from consortium_evm.domain.signatures import sign_admin_acceptance
from tests.support.consortium import VOTING_PERIOD, Env
from tests.support.contracts import ABSTAIN, AGAINST, FOR, refused, send


def key(label: str) -> LocalAccount:
    """A deterministic test key."""
    return Account.from_key(Web3.keccak(text=f"consortium-evm test key: {label}"))


def nonce_of(env: Env, member_id: int) -> int:
    """The member's ballot nonce: what its next signed ballot must carry."""
    return int(env.consortium.functions.ballotNonce(member_id).call())


def member_of(env: Env, account: str) -> int:
    return int(env.consortium.functions.accountInfo(account).call()[0])


def accept_by_sig(env: Env, account: LocalAccount) -> None:
    """``account`` accepts its pending admin registration with its signature, submitted by a spare."""
    member_id, _, pending, consent_nonce = env.consortium.functions.accountInfo(account.address).call()
    assert pending is True
    signature = sign_admin_acceptance(account, member_id, consent_nonce, env.w3.eth.chain_id, env.consortium.address)
    send(env, env.consortium.functions.acceptAdminBySig(account.address, signature), env.spare[2])


def ballot(
    env: Env,
    signer: LocalAccount,
    proposal_id: int,
    support: int,
    *,
    voter: str | None = None,
    member: int | None = None,
    nonce: int | None = None,
    chain_id: int | None = None,
    contract: str | None = None,
) -> bytes:
    """``signer``'s EIP-712 signature over Ballot(proposalId, support, memberId, voter, nonce); by
    default the voter's member and that member's next ballot nonce."""
    voter = voter or signer.address
    member = member if member is not None else member_of(env, voter)
    message = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Ballot": [
                {"name": "proposalId", "type": "uint256"},
                {"name": "support", "type": "uint8"},
                {"name": "memberId", "type": "uint32"},
                {"name": "voter", "type": "address"},
                {"name": "nonce", "type": "uint256"},
            ],
        },
        "primaryType": "Ballot",
        "domain": {
            "name": "Consortium",
            "version": "1",
            "chainId": chain_id if chain_id is not None else env.w3.eth.chain_id,
            "verifyingContract": contract or env.consortium.address,
        },
        "message": {
            "proposalId": proposal_id,
            "support": support,
            "memberId": member,
            "voter": voter,
            "nonce": nonce if nonce is not None else nonce_of(env, member),
        },
    }
    return bytes(Account.sign_typed_data(signer.key, full_message=message).signature)


def by_sig(env: Env, proposal_id: int, support: int, voter: str, nonce: int, signature: bytes) -> Any:
    return env.consortium.functions.castVoteBySig(proposal_id, support, voter, nonce, signature)


def propose(env: Env, description: str = "a proposal") -> int:
    calls = [env.call("setMemberWeight", 1, 41)]
    fn = env.consortium.functions.propose([c[0] for c in calls], [c[1] for c in calls], [c[2] for c in calls], description)
    receipt = send(env, fn, env.founders[0].admin).receipt
    return int(env.consortium.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)[0].args.proposalId)


def tally(env: Env, proposal_id: int) -> tuple[int, int, int]:
    c = env.consortium.functions.proposalCore(proposal_id).call()
    return c[5], c[6], c[7]


@pytest.fixture
def signer(env: Env) -> Iterator[LocalAccount]:
    """A key registered as an admin+transact account of member 2 by founder 2's admin; accepted."""
    account = key("member 2 signer")
    send(env, env.consortium.functions.addAccounts(2, [account.address], [5]), env.founders[1].admin)
    accept_by_sig(env, account)
    yield account


def test_a_signed_ballot_submitted_by_anyone_counts_for_the_signers_member(env: Env, signer: LocalAccount) -> None:
    pid = propose(env)
    submitter = env.spare[3]  # registered nowhere
    assert nonce_of(env, 2) == 0
    signature = ballot(env, signer, pid, AGAINST)
    fn = by_sig(env, pid, AGAINST, signer.address, 0, signature)
    assert fn.call({"from": submitter}) == 35  # returns the weight counted
    receipt = send(env, fn, submitter).receipt
    (event,) = env.consortium.events.VoteCast().process_receipt(receipt, errors=DISCARD)
    assert (event.args.proposalId, event.args.memberId, event.args.voter) == (pid, 2, signer.address)
    assert (event.args.support, event.args.weight) == (AGAINST, 35)
    assert tally(env, pid) == (0, 35, 0)
    assert env.consortium.functions.hasVoted(pid, 2).call() is True
    assert nonce_of(env, 2) == 1
    # The submitter's own standing is irrelevant: it did not vote; no other member's nonce moved.
    assert member_of(env, submitter) == 0
    assert [nonce_of(env, m) for m in (0, 1, 3)] == [0, 0, 0]


def test_the_nonce_increments_with_each_signed_vote(env: Env, signer: LocalAccount) -> None:
    first, second = propose(env, "first"), propose(env, "second")
    send(env, by_sig(env, first, FOR, signer.address, 0, ballot(env, signer, first, FOR)), env.spare[3])
    assert nonce_of(env, 2) == 1
    send(env, by_sig(env, second, ABSTAIN, signer.address, 1, ballot(env, signer, second, ABSTAIN)), env.spare[4])
    assert nonce_of(env, 2) == 2
    assert tally(env, first) == (35, 0, 0)
    assert tally(env, second) == (0, 0, 35)


def test_a_replayed_signature_is_refused(env: Env, signer: LocalAccount) -> None:
    pid = propose(env)
    signature = ballot(env, signer, pid, FOR)
    send(env, by_sig(env, pid, FOR, signer.address, 0, signature), env.spare[3])
    refused(env, by_sig(env, pid, FOR, signer.address, 0, signature), env.spare[4],
            "InvalidVoteNonce", memberId=2, expected=1)
    assert tally(env, pid) == (35, 0, 0)
    assert nonce_of(env, 2) == 1


def test_a_signature_for_a_future_nonce_is_refused(env: Env, signer: LocalAccount) -> None:
    pid = propose(env)
    signature = ballot(env, signer, pid, FOR, nonce=5)
    refused(env, by_sig(env, pid, FOR, signer.address, 5, signature), env.spare[3],
            "InvalidVoteNonce", memberId=2, expected=0)


def test_a_signature_cannot_be_replayed_after_the_account_is_removed_and_registered_again(
    env: Env, signer: LocalAccount
) -> None:
    pid = propose(env)
    signature = ballot(env, signer, pid, FOR)
    send(env, by_sig(env, pid, FOR, signer.address, 0, signature), env.spare[3])
    send(env, env.consortium.functions.removeAccounts(2, [signer.address]), env.founders[1].admin)
    send(env, env.consortium.functions.addAccounts(3, [signer.address], [5]), env.founders[2].admin)
    accept_by_sig(env, signer)
    # Member 3's ballot nonce is still 0, as the replayed ballot's: what refuses it is the member it
    # names (member 2), not the nonce.
    assert (nonce_of(env, 2), nonce_of(env, 3)) == (1, 0)
    refused(env, by_sig(env, pid, FOR, signer.address, 0, signature), env.spare[3],
            "InvalidVoteSignature", voter=signer.address)
    assert tally(env, pid) == (35, 0, 0)  # member 3's vote was not cast by the replay
    assert env.consortium.functions.hasVoted(pid, 3).call() is False


def test_a_signature_cannot_be_replayed_after_the_account_is_registered_again_to_its_member(
    env: Env, signer: LocalAccount
) -> None:
    pid = propose(env)
    signature = ballot(env, signer, pid, FOR)
    send(env, by_sig(env, pid, FOR, signer.address, 0, signature), env.spare[3])
    send(env, env.consortium.functions.removeAccounts(2, [signer.address]), env.founders[1].admin)
    send(env, env.consortium.functions.addAccounts(2, [signer.address], [5]), env.founders[1].admin)
    accept_by_sig(env, signer)
    refused(env, by_sig(env, pid, FOR, signer.address, 0, signature), env.spare[3],
            "InvalidVoteNonce", memberId=2, expected=1)
    assert tally(env, pid) == (35, 0, 0)


@pytest.mark.parametrize(
    "tamper",
    ["other key", "support changed", "other proposal", "other voter field", "other member field", "other chain",
     "other contract", "garbage"],
)
def test_a_signature_that_does_not_match_is_refused(env: Env, signer: LocalAccount, tamper: str) -> None:
    pid = propose(env)
    other = propose(env, "other")
    support, target = FOR, pid
    if tamper == "other key":
        signature = ballot(env, key("intruder"), pid, FOR, voter=signer.address)
    elif tamper == "support changed":
        signature = ballot(env, signer, pid, AGAINST)
    elif tamper == "other proposal":
        signature = ballot(env, signer, other, FOR)
    elif tamper == "other voter field":
        # Signed for founder 2's admin as voter, submitted as the signer's ballot.
        signature = ballot(env, signer, pid, FOR, voter=env.founders[1].admin, nonce=0)
    elif tamper == "other member field":
        # Signed as a ballot of member 3 (whose nonce is 0 too), submitted for the signer (member 2).
        signature = ballot(env, signer, pid, FOR, member=3, nonce=0)
    elif tamper == "other chain":
        signature = ballot(env, signer, pid, FOR, chain_id=1)
    elif tamper == "other contract":
        signature = ballot(env, signer, pid, FOR, contract=env.ingress.address)
    else:
        signature = b"\x01" * 65
    refused(env, by_sig(env, target, support, signer.address, 0, signature), env.spare[3],
            "InvalidVoteSignature", voter=signer.address)
    assert tally(env, pid) == (0, 0, 0)
    assert nonce_of(env, 2) == 0


def test_a_signature_claiming_another_voter_is_refused(env: Env, signer: LocalAccount) -> None:
    """The signer cannot cast founder 1's vote by naming founder 1's admin as the voter."""
    pid = propose(env)
    victim = env.founders[0].admin
    signature = ballot(env, signer, pid, AGAINST, voter=victim)
    refused(env, by_sig(env, pid, AGAINST, victim, 0, signature), env.spare[3], "InvalidVoteSignature", voter=victim)
    assert env.consortium.functions.hasVoted(pid, 1).call() is False


def test_a_signed_vote_after_the_member_voted_directly_is_refused(env: Env, signer: LocalAccount) -> None:
    pid = propose(env)
    send(env, env.consortium.functions.castVote(pid, FOR), env.founders[1].admin)
    signature = ballot(env, signer, pid, AGAINST)
    refused(env, by_sig(env, pid, AGAINST, signer.address, 0, signature), env.spare[3],
            "AlreadyVoted", proposalId=pid, memberId=2)
    assert tally(env, pid) == (35, 0, 0)
    assert nonce_of(env, 2) == 0  # nothing consumed: the whole call reverted


def test_a_direct_vote_after_a_signed_vote_is_refused(env: Env, signer: LocalAccount) -> None:
    pid = propose(env)
    send(env, by_sig(env, pid, AGAINST, signer.address, 0, ballot(env, signer, pid, AGAINST)), env.spare[3])
    refused(env, env.consortium.functions.castVote(pid, FOR), env.founders[1].admin, "AlreadyVoted", proposalId=pid, memberId=2)


@pytest.mark.parametrize(
    "registration", ["unregistered", "transact-only account of member 3", "admin of member 3 not yet accepted"]
)
def test_a_signer_that_is_not_a_member_admin_is_refused(env: Env, registration: str) -> None:
    pid = propose(env)
    outsider = key("not an admin")
    member = 0
    if registration != "unregistered":
        member = 3
        flags = 1 if registration.startswith("transact-only") else 5
        send(env, env.consortium.functions.addAccounts(3, [outsider.address], [flags]), env.founders[2].admin)
    signature = ballot(env, outsider, pid, FOR)
    refused(env, by_sig(env, pid, FOR, outsider.address, 0, signature), env.spare[3],
            "NotMemberAdmin", account=outsider.address, memberId=member)
    assert tally(env, pid) == (0, 0, 0)


def test_a_signed_vote_after_the_vote_ended_is_refused(env: Env, signer: LocalAccount) -> None:
    pid = propose(env)
    signature = ballot(env, signer, pid, FOR)  # signed in time, submitted too late
    env.advance(VOTING_PERIOD + 2)
    refused(env, by_sig(env, pid, FOR, signer.address, 0, signature), env.spare[3], "ProposalNotActive", proposalId=pid)
