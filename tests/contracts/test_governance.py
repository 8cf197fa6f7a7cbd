"""Governance: proposing, voting, the proposal life cycle, execution, cancellation and settings.

Each test starts from the three founding members of tests/support/consortium.py (weights 40/35/25, quorum 50 %,
threshold 50.01 %, voting period one hour, expiry seven days) and checks what a member or an
operator relies on: who may do what, what each state means, and which named error a refusal gives.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_abi.abi import encode as abi_encode
from web3 import Web3
from web3.logs import DISCARD

from consortium_evm.domain.proposals import ProposalState, proposal_number, proposer_member_id
from tests.support.consortium import EXPIRY, SETTINGS, VOTING_PERIOD, Env, bootstrap_node, signed_node
from tests.support.contracts import ABSTAIN, AGAINST, FOR, Call, refused, send
from tests.support.governance import (
    DAY,
    add_admin,
    core,
    deploy_fresh,
    end_vote,
    execute,
    execute_fn,
    member_weight,
    noop,
    passed,
    propose,
    set_time,
    settings,
    state,
    tally,
    view_refused,
    vote,
)


@pytest.fixture
def one(env: Env) -> Iterator[tuple[Env, int, list[Call]]]:
    """An active proposal by founder 1 (number 1) with a harmless action."""
    calls = [noop(env)]
    yield env, propose(env, calls), calls


# ---------------------------------------------------------------------------------------- propose


def test_propose_emits_proposal_created_with_all_fields(env: Env) -> None:
    target, value, data = env.call("setMemberWeight", 2, 30)
    description = "Lower Globex's weight to 30"
    fn = env.consortium.functions.propose([target], [value], [data], description)
    receipt = send(env, fn, env.founders[0].admin).receipt
    (event,) = env.consortium.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)
    a = event.args
    assert a.proposerMemberId == 1
    assert a.proposer == env.founders[0].admin
    assert list(a.targets) == [target]
    assert list(a.values) == [0]
    assert [bytes(d) for d in a.calldatas] == [data]
    assert a.description == description

    # The id: top 192 bits of the content digest, proposer member id in bits 32..63, number in 0..31.
    digest = Web3.keccak(
        abi_encode(
            ["address[]", "uint256[]", "bytes[]", "bytes32", "uint32", "uint32"],
            [[target], [value], [data], Web3.keccak(text=description), 1, 1],
        )
    )
    expected = (int.from_bytes(digest, "big") & ~(2**64 - 1)) | (1 << 32) | 1
    assert a.proposalId == expected
    assert env.consortium.functions.proposalCount().call() == 1

    c = core(env, a.proposalId)
    block = env.w3.eth.get_block(receipt["blockNumber"])
    assert c["voteStart"] == block["timestamp"]
    assert c["voteEnd"] == c["voteStart"] + VOTING_PERIOD
    assert c["snapshot"] == env.consortium.functions.epoch().call()
    assert (c["executed"], c["canceled"]) == (False, False)
    assert tally(env, a.proposalId) == (0, 0, 0)
    assert state(env, a.proposalId) == ProposalState.ACTIVE


def test_proposal_id_carries_the_proposer_member_and_the_running_number(env: Env) -> None:
    first = propose(env, [noop(env)], by=0)
    second = propose(env, [noop(env)], by=2)
    third = propose(env, [noop(env)], by=1, description="same content, other number")
    assert proposer_member_id(first) == 1 and proposal_number(first) == 1
    assert proposer_member_id(second) == 3 and proposal_number(second) == 2
    assert proposer_member_id(third) == 2 and proposal_number(third) == 3
    # The same content proposed twice gets two distinct proposals.
    again = propose(env, [noop(env)], by=0)
    assert again != first and proposal_number(again) == 4


def test_non_member_cannot_propose(env: Env) -> None:
    outsider = env.spare[3]
    fn = env.consortium.functions.propose(*[[x] for x in noop(env)], "x")
    refused(env, fn, outsider, "NotMemberAdmin", account=outsider, memberId=0)
    refused(env, fn, env.deployer, "NotMemberAdmin", account=env.deployer, memberId=0)


def test_transact_only_account_cannot_propose(env: Env) -> None:
    user = env.founders[1].user
    fn = env.consortium.functions.propose(*[[x] for x in noop(env)], "x")
    refused(env, fn, user, "NotMemberAdmin", account=user, memberId=2)


@pytest.mark.parametrize("action", ["suspendMember", "removeMember"])
def test_suspended_or_removed_members_admin_cannot_propose(env: Env, action: str) -> None:
    passed(env, [env.call(action, 3)])
    fn = env.consortium.functions.propose(*[[x] for x in noop(env)], "x")
    refused(env, fn, env.founders[2].admin, "MemberNotActive", memberId=3)


@pytest.mark.parametrize(
    ("targets", "values", "datas"),
    [(0, 0, 0), (1, 2, 1), (1, 1, 0), (2, 1, 2), (0, 1, 1)],
    ids=["empty", "more-values", "no-calldata", "fewer-values", "no-target"],
)
def test_invalid_proposal_length(env: Env, targets: int, values: int, datas: int) -> None:
    fn = env.consortium.functions.propose(
        [env.consortium.address] * targets, [0] * values, [b""] * datas, "bad shape"
    )
    refused(env, fn, env.founders[0].admin, "InvalidProposalLength", targets=targets, values=values, calldatas=datas)
    assert env.consortium.functions.proposalCount().call() == 0


def test_governance_not_started_until_the_bootstrapper_hands_over(env: Env) -> None:
    fresh = deploy_fresh(env)
    admin = env.spare[2]
    send(env, fresh.functions.addMember("Solo", "", 10, [admin], [5], [bootstrap_node(9, "10.0.0.9")]), env.deployer)
    fn = fresh.functions.propose([fresh.address], [0], [b""], "too early")
    refused(env, fn, admin, "GovernanceNotStarted")
    assert fresh.functions.bootstrapper().call() == env.deployer

    send(env, fresh.functions.startGovernance(), env.deployer)
    assert fresh.functions.bootstrapper().call() == "0x" + "0" * 40
    send(env, fn, admin)
    assert fresh.functions.proposalCount().call() == 1


# ---------------------------------------------------------------------------------------- states


def test_active_until_the_last_second_of_the_vote_then_decided(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, _ = one
    assert state(env, pid) == ProposalState.ACTIVE
    vote(env, pid, 0)
    vote(env, pid, 1)
    vote_end = core(env, pid)["voteEnd"]
    set_time(env, vote_end - 1)  # the last second of the vote
    assert state(env, pid) == ProposalState.ACTIVE
    set_time(env, vote_end)  # voteEnd itself is after the vote; no execution delay: executable at once
    assert state(env, pid) == ProposalState.SUCCEEDED


def test_pending_during_a_voting_delay_set_by_governance(env: Env) -> None:
    passed(env, [env.call("setSettings", (5000, 5001, 600, VOTING_PERIOD, 0, EXPIRY))])
    assert settings(env)[2] == 600
    pid = propose(env, [noop(env)])
    c = core(env, pid)
    assert c["voteStart"] == env.now() + 600
    assert c["voteEnd"] == c["voteStart"] + VOTING_PERIOD
    assert state(env, pid) == ProposalState.PENDING
    refused(env, env.consortium.functions.castVote(pid, FOR), env.founders[0].admin,
            "ProposalNotActive", proposalId=pid, state=ProposalState.PENDING)
    set_time(env, c["voteStart"])
    assert state(env, pid) == ProposalState.ACTIVE
    vote(env, pid, 0)
    assert tally(env, pid) == (40, 0, 0)


def test_defeated_without_quorum(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, calls = one
    vote(env, pid, 0)  # 40 of 100: below the 50 % quorum, although unanimous
    end_vote(env, pid)
    assert state(env, pid) == ProposalState.DEFEATED
    refused(env, execute_fn(env, pid, calls), env.spare[0], "ProposalNotExecutable", proposalId=pid, state=ProposalState.DEFEATED)


def test_defeated_by_the_threshold(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, _ = one
    vote(env, pid, 0, AGAINST)  # 40 against
    vote(env, pid, 1, FOR)  # 35 for
    end_vote(env, pid)
    assert tally(env, pid) == (35, 40, 0)
    assert state(env, pid) == ProposalState.DEFEATED


def test_a_tie_does_not_reach_the_threshold(env: Env) -> None:
    passed(env, [env.call("setMemberWeight", 2, 40)])
    pid = propose(env, [noop(env)])
    vote(env, pid, 0, FOR)
    vote(env, pid, 1, AGAINST)
    end_vote(env, pid)
    assert tally(env, pid) == (40, 40, 0)
    assert state(env, pid) == ProposalState.DEFEATED  # 50.00 % < 50.01 %


def test_abstentions_count_for_quorum_only(env: Env) -> None:
    # 25 for + 40 abstain: quorum reached by the abstention, the only decisive votes are for.
    carried = propose(env, [noop(env)], description="carried")
    vote(env, carried, 2, FOR)
    vote(env, carried, 0, ABSTAIN)
    # Abstentions alone reach quorum but pass nothing.
    abstained = propose(env, [noop(env)], description="abstained")
    vote(env, abstained, 0, ABSTAIN)
    vote(env, abstained, 1, ABSTAIN)
    end_vote(env, carried, abstained)
    assert tally(env, carried) == (25, 0, 40)
    assert state(env, carried) == ProposalState.SUCCEEDED
    assert tally(env, abstained) == (0, 0, 75)
    assert state(env, abstained) == ProposalState.DEFEATED


def test_succeeded_then_executed(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, calls = one
    for who in range(3):
        vote(env, pid, who)
    end_vote(env, pid)
    assert state(env, pid) == ProposalState.SUCCEEDED
    receipt = execute(env, pid, calls)
    (event,) = env.consortium.events.ProposalExecuted().process_receipt(receipt, errors=DISCARD)
    assert event.args.proposalId == pid
    assert state(env, pid) == ProposalState.EXECUTED
    assert core(env, pid)["executed"] is True


def test_queued_during_the_execution_delay(env: Env) -> None:
    passed(env, [env.call("setSettings", (5000, 5001, 0, VOTING_PERIOD, DAY, EXPIRY))])
    calls = [env.call("setMemberWeight", 3, 30)]
    pid = propose(env, calls)
    vote(env, pid, 0)
    vote(env, pid, 1)
    vote_end = core(env, pid)["voteEnd"]
    set_time(env, vote_end)
    assert state(env, pid) == ProposalState.QUEUED
    refused(env, execute_fn(env, pid, calls), env.spare[0], "ProposalNotExecutable", proposalId=pid, state=ProposalState.QUEUED)
    set_time(env, vote_end + DAY - 1)  # the last queued second
    assert state(env, pid) == ProposalState.QUEUED
    set_time(env, vote_end + DAY)  # executableAt = voteEnd + executionDelay
    assert state(env, pid) == ProposalState.SUCCEEDED
    execute(env, pid, calls)
    assert member_weight(env, 3) == 30


def test_expired_after_the_expiry_period(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, calls = one
    vote(env, pid, 0)
    vote(env, pid, 1)
    executable_at = core(env, pid)["voteEnd"]  # no execution delay
    set_time(env, executable_at + EXPIRY - 1)
    assert state(env, pid) == ProposalState.SUCCEEDED  # the last executable second
    set_time(env, executable_at + EXPIRY)
    assert state(env, pid) == ProposalState.EXPIRED
    refused(env, execute_fn(env, pid, calls), env.spare[0], "ProposalNotExecutable", proposalId=pid, state=ProposalState.EXPIRED)
    assert member_weight(env, 1) == 40


def test_canceled_by_the_proposer(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, calls = one
    vote(env, pid, 0)
    vote(env, pid, 1)
    receipt = send(env, env.consortium.functions.cancel(pid), env.founders[0].admin).receipt
    (event,) = env.consortium.events.ProposalCanceled().process_receipt(receipt, errors=DISCARD)
    assert event.args.proposalId == pid
    assert state(env, pid) == ProposalState.CANCELED
    assert core(env, pid)["canceled"] is True
    end_vote(env, pid)
    assert state(env, pid) == ProposalState.CANCELED  # a majority was reached before: canceled stays canceled
    refused(env, execute_fn(env, pid, calls), env.spare[0], "ProposalNotExecutable", proposalId=pid, state=ProposalState.CANCELED)


# ---------------------------------------------------------------------------------------- voting


def test_cast_vote_emits_weight_and_updates_the_tally(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, _ = one
    assert env.consortium.functions.castVote(pid, FOR).call({"from": env.founders[1].admin}) == 35
    receipt = vote(env, pid, 1, FOR)
    (event,) = env.consortium.events.VoteCast().process_receipt(receipt, errors=DISCARD)
    assert (event.args.proposalId, event.args.memberId, event.args.voter) == (pid, 2, env.founders[1].admin)
    assert (event.args.support, event.args.weight) == (FOR, 35)
    vote(env, pid, 0, AGAINST)
    vote(env, pid, 2, ABSTAIN)
    assert tally(env, pid) == (35, 40, 25)


def test_has_voted_reflects_votes(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, _ = one
    has = env.consortium.functions.hasVoted
    assert [has(pid, m).call() for m in (1, 2, 3)] == [False, False, False]
    vote(env, pid, 1, AGAINST)
    assert [has(pid, m).call() for m in (1, 2, 3)] == [False, True, False]
    other = propose(env, [noop(env)], description="another")
    assert has(other, 2).call() is False
    vote(env, pid, 2, ABSTAIN)
    assert [has(pid, m).call() for m in (1, 2, 3)] == [False, True, True]


def test_tally_uses_weights_of_the_snapshot_not_later_changes(env: Env) -> None:
    change = [env.call("setMemberWeight", 3, 60)]
    reweigh = propose(env, change, description="reweigh")
    for who in range(3):
        vote(env, reweigh, who)
    env.advance(10)
    older = propose(env, [noop(env)], description="older", by=1)
    vote(env, older, 0, FOR)  # counted with 40 before the change
    end_vote(env, reweigh)
    assert state(env, older) == ProposalState.ACTIVE
    execute(env, reweigh, change, "reweigh")
    assert member_weight(env, 3) == 60

    snap = core(env, older)["snapshot"]
    assert env.consortium.functions.memberWeightAt(3, snap).call() == 25
    assert env.consortium.functions.totalWeightAt(snap).call() == 100
    receipt = vote(env, older, 2, AGAINST)
    (event,) = env.consortium.events.VoteCast().process_receipt(receipt, errors=DISCARD)
    assert event.args.weight == 25
    assert tally(env, older) == (40, 25, 0)

    newer = propose(env, [noop(env)], description="newer")
    receipt = vote(env, newer, 2, AGAINST)
    assert env.consortium.events.VoteCast().process_receipt(receipt, errors=DISCARD)[0].args.weight == 60
    assert tally(env, newer) == (0, 60, 0)


def test_a_member_added_after_creation_has_no_weight_on_that_proposal(env: Env) -> None:
    newcomer = env.spare[4]
    add = [env.call("addMember", "Hooli", "", 50, [newcomer], [5], [signed_node(4, 4, "10.0.0.4")])]
    adding = propose(env, add, description="add Hooli")
    for who in range(3):
        vote(env, adding, who)
    env.advance(10)
    older = propose(env, [noop(env)], description="older")
    end_vote(env, adding)
    execute(env, adding, add, "add Hooli")
    assert env.consortium.functions.memberOf(newcomer).call() == [4, True]
    send(env, env.consortium.functions.acceptAdmin(), newcomer)  # added by a proposal: it accepts first

    refused(env, env.consortium.functions.castVote(older, FOR), newcomer, "NoVotingWeight", memberId=4, proposalId=older)
    snap = core(env, older)["snapshot"]
    assert env.consortium.functions.totalWeightAt(snap).call() == 100  # the quorum base is unchanged too
    newer = propose(env, [noop(env)], description="newer")
    receipt = send(env, env.consortium.functions.castVote(newer, FOR), newcomer).receipt
    assert env.consortium.events.VoteCast().process_receipt(receipt, errors=DISCARD)[0].args.weight == 50


def test_a_vote_counts_the_snapshot_weight_across_admin_accounts_lost_and_regained(env: Env) -> None:
    """castVote takes the weight from the member's record unless it changed since the snapshot: losing
    the last admin account and getting one back are changes, so a vote through the new admin account
    counts the weight the member had at each proposal's creation."""
    globex, regained = env.founders[1], env.spare[5]
    give_back = [env.call("addAccounts", 2, [regained], [4])]
    restoring = propose(env, give_back, description="Globex admin")
    for who in range(3):
        vote(env, restoring, who)
    env.advance(10)
    before = propose(env, [noop(env)], description="before")  # Globex counts: 35 of 100
    send(env, env.consortium.functions.removeAccounts(2, [globex.admin]), globex.admin)
    between = propose(env, [noop(env, 2)], description="between")  # Globex has no admin: 65
    end_vote(env, restoring)
    execute(env, restoring, give_back, "Globex admin")
    refused(env, env.consortium.functions.castVote(before, FOR), regained, "NotMemberAdmin")  # still pending
    send(env, env.consortium.functions.acceptAdmin(), regained)  # Globex has an admin again once it accepts
    assert state(env, before) == state(env, between) == ProposalState.ACTIVE

    snaps = [core(env, pid)["snapshot"] for pid in (before, between)]
    assert [env.consortium.functions.totalWeightAt(s).call() for s in snaps] == [100, 65]
    assert [env.consortium.functions.memberWeightAt(2, s).call() for s in snaps] == [35, 0]
    refused(env, env.consortium.functions.castVote(before, FOR), globex.admin, "NotMemberAdmin")
    receipt = send(env, env.consortium.functions.castVote(before, AGAINST), regained).receipt
    (event,) = env.consortium.events.VoteCast().process_receipt(receipt, errors=DISCARD)
    assert (event.args.memberId, event.args.weight) == (2, 35)
    assert tally(env, before) == (0, 35, 0)
    refused(env, env.consortium.functions.castVote(between, FOR), regained, "NoVotingWeight", memberId=2,
            proposalId=between)
    assert env.consortium.functions.hasVoted(between, 2).call() is False
    after = propose(env, [noop(env, 3)], description="after")
    assert env.consortium.functions.totalWeightAt(core(env, after)["snapshot"]).call() == 100
    receipt = send(env, env.consortium.functions.castVote(after, FOR), regained).receipt
    assert env.consortium.events.VoteCast().process_receipt(receipt, errors=DISCARD)[0].args.weight == 35


def test_has_voted_is_false_for_a_member_that_never_voted(env: Env) -> None:
    newcomer = env.spare[4]
    add = [env.call("addMember", "Hooli", "", 50, [newcomer], [5], [signed_node(4, 4, "10.0.0.4")])]
    adding = propose(env, add, description="add Hooli")
    for who in range(3):
        vote(env, adding, who)
    env.advance(10)
    older = propose(env, [noop(env)], description="older")
    end_vote(env, adding)
    execute(env, adding, add, "add Hooli")
    send(env, env.consortium.functions.acceptAdmin(), newcomer)  # added by a proposal: it accepts first
    # The newcomer's vote window starts after ``older``, yet it never voted on it (and cannot).
    assert env.consortium.functions.hasVoted(older, 4).call() is False
    newer = propose(env, [noop(env)], description="newer")
    assert env.consortium.functions.hasVoted(newer, 4).call() is False
    send(env, env.consortium.functions.castVote(newer, FOR), newcomer)
    assert env.consortium.functions.hasVoted(newer, 4).call() is True
    assert env.consortium.functions.hasVoted(older, 4).call() is False


def test_a_member_votes_once(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, _ = one
    vote(env, pid, 0, FOR)
    refused(env, env.consortium.functions.castVote(pid, AGAINST), env.founders[0].admin,
            "AlreadyVoted", proposalId=pid, memberId=1)
    assert tally(env, pid) == (40, 0, 0)


def test_a_member_votes_once_whichever_admin_account_votes(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, _ = one
    second_admin = env.spare[5]
    add_admin(env, 1, second_admin)
    vote(env, pid, 1, FOR)
    refused(env, env.consortium.functions.castVote(pid, AGAINST), second_admin, "AlreadyVoted", proposalId=pid, memberId=2)
    # And the other way round on a new proposal.
    other = propose(env, [noop(env)], description="other")
    receipt = send(env, env.consortium.functions.castVote(other, AGAINST), second_admin).receipt
    assert env.consortium.events.VoteCast().process_receipt(receipt, errors=DISCARD)[0].args.memberId == 2
    refused(env, env.consortium.functions.castVote(other, FOR), env.founders[1].admin, "AlreadyVoted", proposalId=other, memberId=2)
    assert tally(env, pid) == (35, 0, 0)
    assert tally(env, other) == (0, 35, 0)


def test_vote_after_the_end_is_refused(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, _ = one
    vote(env, pid, 0)
    vote(env, pid, 1)
    end_vote(env, pid)
    refused(env, env.consortium.functions.castVote(pid, AGAINST), env.founders[2].admin,
            "ProposalNotActive", proposalId=pid, state=ProposalState.SUCCEEDED)
    defeated = propose(env, [noop(env)], description="ignored")
    end_vote(env, defeated)
    refused(env, env.consortium.functions.castVote(defeated, FOR), env.founders[2].admin,
            "ProposalNotActive", proposalId=defeated, state=ProposalState.DEFEATED)


def test_vote_on_executed_or_canceled_proposal_is_refused(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, _ = one
    send(env, env.consortium.functions.cancel(pid), env.founders[0].admin)
    refused(env, env.consortium.functions.castVote(pid, FOR), env.founders[1].admin,
            "ProposalNotActive", proposalId=pid, state=ProposalState.CANCELED)
    done = passed(env, [noop(env, 2)], "done")
    refused(env, env.consortium.functions.castVote(done, FOR), env.founders[1].admin,
            "ProposalNotActive", proposalId=done, state=ProposalState.EXECUTED)


@pytest.mark.parametrize("support", [3, 4, 255])
def test_invalid_vote_type(one: tuple[Env, int, list[Call]], support: int) -> None:
    env, pid, _ = one
    refused(env, env.consortium.functions.castVote(pid, support), env.founders[0].admin, "InvalidVoteType", support=support)
    assert env.consortium.functions.hasVoted(pid, 1).call() is False


def test_only_admins_of_active_members_vote(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, _ = one
    refused(env, env.consortium.functions.castVote(pid, FOR), env.founders[0].user, "NotMemberAdmin",
            account=env.founders[0].user, memberId=1)
    refused(env, env.consortium.functions.castVote(pid, FOR), env.spare[3], "NotMemberAdmin", account=env.spare[3], memberId=0)


def test_suspended_member_cannot_vote_on_an_older_proposal(env: Env) -> None:
    suspend = [env.call("suspendMember", 3)]
    suspending = propose(env, suspend, description="suspend")
    for who in range(3):
        vote(env, suspending, who)
    env.advance(10)
    older = propose(env, [noop(env)], description="older")
    end_vote(env, suspending)
    execute(env, suspending, suspend, "suspend")
    refused(env, env.consortium.functions.castVote(older, FOR), env.founders[2].admin, "MemberNotActive", memberId=3)


def test_unknown_proposal(env: Env) -> None:
    bogus = (123 << 64) | (1 << 32) | 7
    refused(env, env.consortium.functions.castVote(bogus, FOR), env.founders[0].admin, "UnknownProposal", proposalId=bogus)
    refused(env, env.consortium.functions.cancel(bogus), env.founders[0].admin, "UnknownProposal", proposalId=bogus)
    view_refused(env, env.consortium.functions.state(bogus), "UnknownProposal", proposalId=bogus)


def test_vote_window_passed_after_voting_128_numbers_newer(env: Env) -> None:
    oldest = propose(env, [noop(env)], description="oldest")  # number 1
    # 126 cheap proposals (numbers 2..127), sent straight to the chain, then numbers 128 and 129.
    admin = env.founders[0].admin
    tester = getattr(env.w3.provider, "ethereum_tester")  # noqa: B009 - the embedded chain's own API
    data = env.consortium.encode_abi("propose", [[env.spare[0]], [0], [b""], "filler"])
    for _ in range(126):
        tester.send_transaction({"from": admin, "to": env.consortium.address, "gas": 500_000, "data": data})
    p128 = propose(env, [noop(env)], description="number 128")
    p129 = propose(env, [noop(env)], description="number 129")
    assert (proposal_number(p128), proposal_number(p129)) == (128, 129)
    assert state(env, oldest) == ProposalState.ACTIVE

    # 127 numbers newer: the oldest is still within member 2's window (VOTE_WINDOW = 128).
    vote(env, p128, 1)
    assert env.consortium.functions.hasVoted(oldest, 2).call() is False
    vote(env, oldest, 1)
    # 128 numbers newer: member 3 can no longer vote on the oldest, and hasVoted says so.
    assert env.consortium.functions.hasVoted(oldest, 3).call() is False
    vote(env, p129, 2)
    assert env.consortium.functions.hasVoted(oldest, 3).call() is True
    refused(env, env.consortium.functions.castVote(oldest, FOR), env.founders[2].admin,
            "VoteWindowPassed", proposalId=oldest, memberId=3)
    assert tally(env, oldest) == (35, 0, 0)
    # Member 1 never voted and is unaffected.
    assert env.consortium.functions.hasVoted(oldest, 1).call() is False
    vote(env, oldest, 0)
    assert tally(env, oldest) == (75, 0, 0)


# ---------------------------------------------------------------------------------------- execute


def test_execute_twice_is_refused(env: Env) -> None:
    calls = [env.call("setMemberWeight", 2, 36)]
    pid = passed(env, calls)
    refused(env, execute_fn(env, pid, calls), env.spare[1], "ProposalNotExecutable", proposalId=pid, state=ProposalState.EXECUTED)
    executed = env.consortium.events.ProposalExecuted().get_logs(from_block=env.w3.eth.block_number - 2)
    assert [e.args.proposalId for e in executed] == [pid]


def test_execute_an_active_proposal_is_refused(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, calls = one
    for who in range(3):
        vote(env, pid, who)
    refused(env, execute_fn(env, pid, calls), env.spare[0], "ProposalNotExecutable", proposalId=pid, state=ProposalState.ACTIVE)


@pytest.mark.parametrize(
    "change",
    ["description", "calldata", "target", "value", "extra action", "missing action"],
)
def test_execute_with_other_actions_is_refused(env: Env, change: str) -> None:
    calls = [env.call("setMemberWeight", 2, 36), env.call("setMemberWeight", 3, 26)]
    pid = propose(env, calls)
    for who in range(3):
        vote(env, pid, who)
    end_vote(env, pid)
    description = "a proposal"
    wrong = list(calls)
    if change == "description":
        description = "another proposal"
    elif change == "calldata":
        wrong[0] = env.call("setMemberWeight", 2, 99)
    elif change == "target":
        wrong[0] = (env.ingress.address, 0, wrong[0][2])
    elif change == "value":
        wrong[0] = (wrong[0][0], 1, wrong[0][2])
    elif change == "extra action":
        wrong.append(noop(env))
    else:
        wrong.pop()
    refused(env, execute_fn(env, pid, wrong, description), env.spare[0], "ProposalActionsMismatch", proposalId=pid)
    assert state(env, pid) == ProposalState.SUCCEEDED
    execute(env, pid, calls)
    assert (member_weight(env, 2), member_weight(env, 3)) == (36, 26)


@pytest.mark.parametrize("executor", ["outsider", "user", "other member's admin", "deployer"])
def test_anyone_may_execute_a_passed_proposal(env: Env, executor: str) -> None:
    sender = {
        "outsider": env.spare[6],
        "user": env.founders[2].user,
        "other member's admin": env.founders[1].admin,
        "deployer": env.deployer,
    }[executor]
    calls = [env.call("setMemberWeight", 1, 41)]
    pid = propose(env, calls)
    vote(env, pid, 0)
    vote(env, pid, 1)
    end_vote(env, pid)
    execute(env, pid, calls, sender=sender)
    assert state(env, pid) == ProposalState.EXECUTED
    assert member_weight(env, 1) == 41


def test_a_failing_action_reverts_the_execution_and_the_proposal_stays_executable(env: Env) -> None:
    taken = env.founders[0].user  # already registered to member 1
    calls = [env.call("setMemberWeight", 1, 45), env.call("addAccounts", 2, [taken], [1])]
    pid = propose(env, calls)
    for who in range(3):
        vote(env, pid, who)
    end_vote(env, pid)
    refused(env, execute_fn(env, pid, calls), env.spare[0], "AccountAlreadyRegistered", account=taken, memberId=1)
    assert member_weight(env, 1) == 40  # the first action was rolled back with the second
    assert state(env, pid) == ProposalState.SUCCEEDED
    assert core(env, pid)["executed"] is False

    # Member 1 lets the account go; the same proposal now executes.
    send(env, env.consortium.functions.removeAccounts(1, [taken]), env.founders[0].admin)
    execute(env, pid, calls)
    assert state(env, pid) == ProposalState.EXECUTED
    assert member_weight(env, 1) == 45
    assert env.consortium.functions.memberOf(taken).call() == [2, True]


def test_a_call_reverting_without_data_is_reported_by_index(env: Env) -> None:
    calls = [noop(env), (env.ingress.address, 0, bytes.fromhex("deadbeef"))]  # no such function, no fallback
    pid = propose(env, calls)
    for who in range(3):
        vote(env, pid, who)
    end_vote(env, pid)
    refused(env, execute_fn(env, pid, calls), env.spare[0], "CallFailed", index=1)
    assert state(env, pid) == ProposalState.SUCCEEDED


# ---------------------------------------------------------------------------------------- cancel


def test_cancel_by_another_admin_of_the_proposing_member(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, _ = one
    colleague = env.spare[5]
    add_admin(env, 0, colleague)
    send(env, env.consortium.functions.cancel(pid), colleague)
    assert state(env, pid) == ProposalState.CANCELED


@pytest.mark.parametrize("who", ["other member's admin", "proposer's transact-only user", "outsider", "deployer"])
def test_cancel_by_anyone_else_is_refused(one: tuple[Env, int, list[Call]], who: str) -> None:
    env, pid, _ = one
    sender = {
        "other member's admin": env.founders[1].admin,
        "proposer's transact-only user": env.founders[0].user,
        "outsider": env.spare[6],
        "deployer": env.deployer,
    }[who]
    refused(env, env.consortium.functions.cancel(pid), sender, "NotProposer", account=sender, proposalId=pid)
    assert state(env, pid) == ProposalState.ACTIVE


def test_cancel_while_pending(env: Env) -> None:
    passed(env, [env.call("setSettings", (5000, 5001, 600, VOTING_PERIOD, 0, EXPIRY))])
    pid = propose(env, [noop(env)], by=1)
    assert state(env, pid) == ProposalState.PENDING
    send(env, env.consortium.functions.cancel(pid), env.founders[1].admin)
    assert state(env, pid) == ProposalState.CANCELED


def test_cancel_only_while_pending_or_active(env: Env) -> None:
    cancel = env.consortium.functions.cancel
    admin = env.founders[0].admin
    winning = propose(env, [noop(env)], description="winning")
    losing = propose(env, [noop(env)], description="losing")
    canceled = propose(env, [noop(env)], description="canceled")
    for who in range(3):
        vote(env, winning, who)
    send(env, cancel(canceled), admin)
    refused(env, cancel(canceled), admin, "ProposalNotCancelable", proposalId=canceled, state=ProposalState.CANCELED)
    end_vote(env, winning, losing)
    refused(env, cancel(winning), admin, "ProposalNotCancelable", proposalId=winning, state=ProposalState.SUCCEEDED)
    refused(env, cancel(losing), admin, "ProposalNotCancelable", proposalId=losing, state=ProposalState.DEFEATED)
    execute(env, winning, [noop(env)], "winning")
    refused(env, cancel(winning), admin, "ProposalNotCancelable", proposalId=winning, state=ProposalState.EXECUTED)


@pytest.mark.parametrize("action", ["suspendMember", "removeMember"])
def test_suspended_or_removed_member_cannot_cancel_its_proposals(env: Env, action: str) -> None:
    drop = [env.call(action, 3)]
    dropping = propose(env, drop, description="drop member 3")
    for who in range(3):
        vote(env, dropping, who)
    env.advance(10)
    own = propose(env, [noop(env)], description="member 3's proposal", by=2)
    vote(env, own, 0)
    end_vote(env, dropping)
    execute(env, dropping, drop, "drop member 3")
    assert state(env, own) == ProposalState.ACTIVE
    refused(env, env.consortium.functions.cancel(own), env.founders[2].admin, "MemberNotActive", memberId=3)
    assert state(env, own) == ProposalState.ACTIVE
    # Another member's admin still gets NotProposer, whatever the proposer's status.
    refused(env, env.consortium.functions.cancel(own), env.founders[0].admin, "NotProposer", proposalId=own)


# ---------------------------------------------------------------------------------------- settings


def test_settings_change_through_governance(env: Env) -> None:
    epoch_before = env.consortium.functions.epoch().call()
    new = (6000, 6000, 60, 7200, 120, 3 * DAY)
    calls = [env.call("setSettings", new)]
    pid = propose(env, calls)
    for who in range(3):
        vote(env, pid, who)
    end_vote(env, pid)
    receipt = execute(env, pid, calls)
    (event,) = env.consortium.events.SettingsChanged().process_receipt(receipt, errors=DISCARD)
    assert tuple(event.args.settings.values()) == new
    assert settings(env) == new
    epoch_after = env.consortium.functions.epoch().call()
    assert epoch_after == epoch_before + 1
    assert tuple(env.consortium.functions.settingsAt(epoch_after).call()) == new
    assert tuple(env.consortium.functions.settingsAt(epoch_before).call()) == SETTINGS
    # A new proposal follows the new timings.
    fresh = propose(env, [noop(env)])
    c = core(env, fresh)
    assert c["voteStart"] == env.now() + 60 and c["voteEnd"] == c["voteStart"] + 7200


def test_settings_bounds_accept_the_extremes(env: Env) -> None:
    extremes = (10_000, 10_000, 30 * DAY, 365 * DAY, 30 * DAY, 365 * DAY)
    passed(env, [env.call("setSettings", extremes)])
    assert settings(env) == extremes
    # And the lowest values: voting period and expiry at their floors (fixed at deployment: the
    # session's are one hour and one day).
    assert tuple(env.consortium.functions.settingsFloors().call()) == (VOTING_PERIOD, DAY)
    lowest = (1, 1, 0, VOTING_PERIOD, 0, DAY)
    calls = [env.call("setSettings", lowest)]
    pid = propose(env, calls)
    set_time(env, core(env, pid)["voteStart"])
    for who in range(3):
        vote(env, pid, who)
    set_time(env, core(env, pid)["voteEnd"] + 30 * DAY)  # executableAt: after the 30-day execution delay
    execute(env, pid, calls)
    assert settings(env) == lowest


def test_settings_only_through_governance(env: Env) -> None:
    fn = env.consortium.functions.setSettings((1, 1, 0, 1, 0, 1))
    for sender in (env.founders[0].admin, env.deployer, env.spare[1]):
        refused(env, fn, sender, "OnlyGovernance", caller=sender)
    assert settings(env) == SETTINGS


_LONG = 365 * DAY


@pytest.mark.parametrize(
    "bad",
    [
        (0, 5001, 0, VOTING_PERIOD, 0, EXPIRY),
        (10_001, 5001, 0, VOTING_PERIOD, 0, EXPIRY),
        (5000, 0, 0, VOTING_PERIOD, 0, EXPIRY),
        (5000, 10_001, 0, VOTING_PERIOD, 0, EXPIRY),
        (5000, 5001, 0, 0, 0, EXPIRY),
        (5000, 5001, 0, VOTING_PERIOD - 1, 0, EXPIRY),
        (5000, 5001, 0, _LONG + 1, 0, EXPIRY),
        (5000, 5001, 0, VOTING_PERIOD, 0, 0),
        (5000, 5001, 0, VOTING_PERIOD, 0, DAY - 1),
        (5000, 5001, 0, VOTING_PERIOD, 0, _LONG + 1),
        (5000, 5001, 30 * DAY + 1, VOTING_PERIOD, 0, EXPIRY),
        (5000, 5001, 0, VOTING_PERIOD, 30 * DAY + 1, EXPIRY),
    ],
    ids=[
        "quorum-0", "quorum-over-100%", "threshold-0", "threshold-over-100%", "voting-period-0",
        "voting-period-below-its-floor", "voting-period-over-a-year", "expiry-0", "expiry-below-its-floor",
        "expiry-over-a-year", "voting-delay-over-30-days",
        "execution-delay-over-30-days",
    ],
)
def test_settings_out_of_bounds_are_refused(env: Env, bad: tuple[int, ...]) -> None:
    epoch = env.consortium.functions.epoch().call()
    calls = [env.call("setSettings", bad)]
    pid = propose(env, calls)
    vote(env, pid, 0)
    vote(env, pid, 1)
    end_vote(env, pid)
    err = refused(env, execute_fn(env, pid, calls), env.spare[0], "InvalidSettings")
    assert tuple(err.args_by_name["settings"]) == bad
    assert settings(env) == SETTINGS
    assert env.consortium.functions.epoch().call() == epoch
    assert state(env, pid) == ProposalState.SUCCEEDED


def test_a_quorum_change_applies_to_new_proposals_only(env: Env) -> None:
    raise_quorum = [env.call("setSettings", (9000, 5001, 0, VOTING_PERIOD, 0, EXPIRY))]
    raising = propose(env, raise_quorum, description="quorum 90 %")
    for who in range(3):
        vote(env, raising, who)
    env.advance(10)
    older = propose(env, [noop(env)], description="older")
    end_vote(env, raising)
    execute(env, raising, raise_quorum, "quorum 90 %")
    assert settings(env)[0] == 9000

    newer = propose(env, [noop(env)], description="newer")
    for pid in (older, newer):  # the same 65 % turnout on both
        vote(env, pid, 0)
        vote(env, pid, 2)
    assert env.consortium.functions.settingsAt(core(env, older)["snapshot"]).call()[0] == 5000
    assert env.consortium.functions.settingsAt(core(env, newer)["snapshot"]).call()[0] == 9000
    end_vote(env, older, newer)
    assert state(env, older) == ProposalState.SUCCEEDED
    assert state(env, newer) == ProposalState.DEFEATED


def test_an_execution_delay_change_does_not_delay_older_proposals(env: Env) -> None:
    delay = [env.call("setSettings", (5000, 5001, 0, VOTING_PERIOD, DAY, EXPIRY))]
    delaying = propose(env, delay, description="delay")
    for who in range(3):
        vote(env, delaying, who)
    env.advance(10)
    older = propose(env, [noop(env)], description="older")
    vote(env, older, 0)
    vote(env, older, 1)
    end_vote(env, delaying)
    execute(env, delaying, delay, "delay")
    end_vote(env, older)
    assert state(env, older) == ProposalState.SUCCEEDED
    execute(env, older, [noop(env)], "older")
