"""Governance: proposing, voting, the proposal life cycle, execution, cancellation and settings.

Each test starts from the three founding members of tests/support/consortium.py (weights 40/35/25, quorum 50 %,
threshold 50.01 %, voting period one hour, expiry seven days) and checks what a member or an
operator relies on: who may do what, what each state means, and which named error a refusal gives.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any

import pytest
from eth_abi.abi import encode as abi_encode
from web3 import Web3
from web3.logs import DISCARD

from consortium_evm.compiler import load_artifact
from consortium_evm.deploy.suite import suite_abis
from consortium_evm.errors import ContractRevertError
from consortium_evm.tx.transactions import Transactor
from tests.support.consortium import EXPIRY, VOTING_PERIOD, Env, bootstrap_node, signed_node

GAS = 5_000_000
ABIS = suite_abis()
DAY = 24 * 3600
BASE_SETTINGS = (5000, 5001, 0, VOTING_PERIOD, 0, EXPIRY)
AGAINST, FOR, ABSTAIN = 0, 1, 2

Call = tuple[str, int, bytes]


class S(enum.IntEnum):
    """Proposal states, in the contract's (OpenZeppelin's) order."""

    PENDING = 0
    ACTIVE = 1
    CANCELED = 2
    DEFEATED = 3
    SUCCEEDED = 4
    QUEUED = 5
    EXPIRED = 6
    EXECUTED = 7


# ---------------------------------------------------------------------------------------- helpers


def send(env: Env, fn: Any, sender: str) -> Any:
    """Simulate then send (fixed gas: no estimation round trips); returns the receipt."""
    return Transactor(env.w3, sender, ABIS).send(fn, gas=GAS).receipt


def _norm(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def refused(env: Env, fn: Any, sender: str, name: str, **expected: Any) -> ContractRevertError:
    """Sending ``fn`` is refused with custom error ``name`` (and these arguments)."""
    with pytest.raises(ContractRevertError) as info:
        send(env, fn, sender)
    err = info.value
    assert err.name == name, str(err)
    for key, value in expected.items():
        assert _norm(err.args_by_name[key]) == _norm(value), str(err)
    return err


def view_refused(env: Env, fn: Any, name: str, **expected: Any) -> None:
    """A read (eth_call) reverts with custom error ``name``."""
    with pytest.raises(ContractRevertError) as info:
        Transactor(env.w3, env.spare[-1], ABIS).simulate(fn)
    assert info.value.name == name, str(info.value)
    for key, value in expected.items():
        assert _norm(info.value.args_by_name[key]) == _norm(value), str(info.value)


def propose(env: Env, calls: list[Call], description: str = "a proposal", by: int = 0, sender: str | None = None) -> int:
    fn = env.consortium.functions.propose(
        [c[0] for c in calls], [c[1] for c in calls], [c[2] for c in calls], description
    )
    receipt = send(env, fn, sender or env.founders[by].admin)
    (event,) = env.consortium.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)
    return int(event.args.proposalId)


def vote(env: Env, proposal_id: int, who: int, support: int = FOR, sender: str | None = None) -> Any:
    return send(env, env.consortium.functions.castVote(proposal_id, support), sender or env.founders[who].admin)


def execute_fn(env: Env, proposal_id: int, calls: list[Call], description: str = "a proposal") -> Any:
    return env.consortium.functions.execute(
        proposal_id, [c[0] for c in calls], [c[1] for c in calls], [c[2] for c in calls], Web3.keccak(text=description)
    )


def execute(env: Env, proposal_id: int, calls: list[Call], description: str = "a proposal", sender: str | None = None) -> Any:
    return send(env, execute_fn(env, proposal_id, calls, description), sender or env.spare[0])


def passed(env: Env, calls: list[Call], description: str = "a proposal", voters: tuple[int, ...] = (0, 1, 2)) -> int:
    """Propose, vote for with ``voters``, wait for the end and execute; returns the id."""
    proposal_id = propose(env, calls, description, by=voters[0])
    for who in voters:
        vote(env, proposal_id, who)
    end_vote(env, proposal_id)
    execute(env, proposal_id, calls, description)
    return proposal_id


def set_time(env: Env, timestamp: int) -> None:
    """Mine a block whose timestamp is exactly ``timestamp``: reads (``state``) see it, and the next
    transaction is mined one second later."""
    env.advance(timestamp - env.now())
    if env.now() < timestamp:
        env.advance(timestamp - env.now() + 1)
    assert env.now() == timestamp


def end_vote(env: Env, *proposal_ids: int) -> None:
    """Move time to the first second after the voting of every given proposal (``voteEnd``: votes
    are taken until the second before)."""
    target = max(core(env, pid)["voteEnd"] for pid in proposal_ids)
    if env.now() < target:
        set_time(env, target)


def state(env: Env, proposal_id: int) -> S:
    return S(env.consortium.functions.state(proposal_id).call())


def core(env: Env, proposal_id: int) -> dict[str, Any]:
    fields = ("voteStart", "voteEnd", "snapshot", "executed", "canceled", "forVotes", "againstVotes", "abstainVotes")
    return dict(zip(fields, env.consortium.functions.proposalCore(proposal_id).call()))


def tally(env: Env, proposal_id: int) -> tuple[int, int, int]:
    c = core(env, proposal_id)
    return c["forVotes"], c["againstVotes"], c["abstainVotes"]


def settings(env: Env) -> tuple[int, ...]:
    return tuple(env.consortium.functions.settings().call())


def noop(env: Env, n: int = 1) -> Call:
    """A harmless action: set member 1's metadata-free weight to its current 40 (+n-1 to vary ids)."""
    return env.call("setMemberWeight", 1, 40 + n - 1)


def member_weight(env: Env, member_id: int) -> int:
    (view,) = env.consortium.functions.getMembers(member_id - 1, 1).call()
    return int(view[3])


def add_admin(env: Env, member: int, account: str) -> None:
    """The founder's admin registers ``account`` as a second admin+transact account of its member, and
    ``account`` accepts it (an admin added after the bootstrap counts only once accepted)."""
    send(env, env.consortium.functions.addAccounts(member + 1, [account], [5]), env.founders[member].admin)
    send(env, env.consortium.functions.acceptAdmin(), account)


def deploy_fresh(env: Env) -> Any:
    """A new, not yet started Consortium deployed by the deployer (the bootstrapper)."""
    art = load_artifact("Consortium")
    factory = env.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    sent = Transactor(env.w3, env.deployer, ABIS).send(
        factory.constructor(BASE_SETTINGS, (VOTING_PERIOD, DAY), (1000, 64)), gas=10_000_000
    )
    return env.w3.eth.contract(address=sent.contract_address, abi=art.abi)


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
    receipt = send(env, fn, env.founders[0].admin)
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
    assert state(env, a.proposalId) == S.ACTIVE


def test_proposal_id_carries_the_proposer_member_and_the_running_number(env: Env) -> None:
    first = propose(env, [noop(env)], by=0)
    second = propose(env, [noop(env)], by=2)
    third = propose(env, [noop(env)], by=1, description="same content, other number")
    assert (first >> 32) & 0xFFFFFFFF == 1 and first & 0xFFFFFFFF == 1
    assert (second >> 32) & 0xFFFFFFFF == 3 and second & 0xFFFFFFFF == 2
    assert (third >> 32) & 0xFFFFFFFF == 2 and third & 0xFFFFFFFF == 3
    # The same content proposed twice gets two distinct proposals.
    again = propose(env, [noop(env)], by=0)
    assert again != first and again & 0xFFFFFFFF == 4


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
    boot = Transactor(env.w3, env.deployer, ABIS)
    boot.send(
        fresh.functions.addMember("Solo", "", 10, [admin], [5], [bootstrap_node(9, "10.0.0.9")]),
        gas=GAS,
    )
    fn = fresh.functions.propose([fresh.address], [0], [b""], "too early")
    refused(env, fn, admin, "GovernanceNotStarted")
    assert fresh.functions.bootstrapper().call() == env.deployer

    boot.send(fresh.functions.startGovernance(), gas=GAS)
    assert fresh.functions.bootstrapper().call() == "0x" + "0" * 40
    send(env, fn, admin)
    assert fresh.functions.proposalCount().call() == 1


# ---------------------------------------------------------------------------------------- states


def test_active_until_the_last_second_of_the_vote_then_decided(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, _ = one
    assert state(env, pid) == S.ACTIVE
    vote(env, pid, 0)
    vote(env, pid, 1)
    vote_end = core(env, pid)["voteEnd"]
    set_time(env, vote_end - 1)  # the last second of the vote
    assert state(env, pid) == S.ACTIVE
    set_time(env, vote_end)  # voteEnd itself is after the vote; no execution delay: executable at once
    assert state(env, pid) == S.SUCCEEDED


def test_pending_during_a_voting_delay_set_by_governance(env: Env) -> None:
    passed(env, [env.call("setSettings", (5000, 5001, 600, VOTING_PERIOD, 0, EXPIRY))])
    assert settings(env)[2] == 600
    pid = propose(env, [noop(env)])
    c = core(env, pid)
    assert c["voteStart"] == env.now() + 600
    assert c["voteEnd"] == c["voteStart"] + VOTING_PERIOD
    assert state(env, pid) == S.PENDING
    refused(env, env.consortium.functions.castVote(pid, FOR), env.founders[0].admin,
            "ProposalNotActive", proposalId=pid, state=S.PENDING)
    set_time(env, c["voteStart"])
    assert state(env, pid) == S.ACTIVE
    vote(env, pid, 0)
    assert tally(env, pid) == (40, 0, 0)


def test_defeated_without_quorum(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, calls = one
    vote(env, pid, 0)  # 40 of 100: below the 50 % quorum, although unanimous
    end_vote(env, pid)
    assert state(env, pid) == S.DEFEATED
    refused(env, execute_fn(env, pid, calls), env.spare[0], "ProposalNotExecutable", proposalId=pid, state=S.DEFEATED)


def test_defeated_by_the_threshold(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, _ = one
    vote(env, pid, 0, AGAINST)  # 40 against
    vote(env, pid, 1, FOR)  # 35 for
    end_vote(env, pid)
    assert tally(env, pid) == (35, 40, 0)
    assert state(env, pid) == S.DEFEATED


def test_a_tie_does_not_reach_the_threshold(env: Env) -> None:
    passed(env, [env.call("setMemberWeight", 2, 40)])
    pid = propose(env, [noop(env)])
    vote(env, pid, 0, FOR)
    vote(env, pid, 1, AGAINST)
    end_vote(env, pid)
    assert tally(env, pid) == (40, 40, 0)
    assert state(env, pid) == S.DEFEATED  # 50.00 % < 50.01 %


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
    assert state(env, carried) == S.SUCCEEDED
    assert tally(env, abstained) == (0, 0, 75)
    assert state(env, abstained) == S.DEFEATED


def test_succeeded_then_executed(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, calls = one
    for who in range(3):
        vote(env, pid, who)
    end_vote(env, pid)
    assert state(env, pid) == S.SUCCEEDED
    receipt = execute(env, pid, calls)
    (event,) = env.consortium.events.ProposalExecuted().process_receipt(receipt, errors=DISCARD)
    assert event.args.proposalId == pid
    assert state(env, pid) == S.EXECUTED
    assert core(env, pid)["executed"] is True


def test_queued_during_the_execution_delay(env: Env) -> None:
    passed(env, [env.call("setSettings", (5000, 5001, 0, VOTING_PERIOD, DAY, EXPIRY))])
    calls = [env.call("setMemberWeight", 3, 30)]
    pid = propose(env, calls)
    vote(env, pid, 0)
    vote(env, pid, 1)
    vote_end = core(env, pid)["voteEnd"]
    set_time(env, vote_end)
    assert state(env, pid) == S.QUEUED
    refused(env, execute_fn(env, pid, calls), env.spare[0], "ProposalNotExecutable", proposalId=pid, state=S.QUEUED)
    set_time(env, vote_end + DAY - 1)  # the last queued second
    assert state(env, pid) == S.QUEUED
    set_time(env, vote_end + DAY)  # executableAt = voteEnd + executionDelay
    assert state(env, pid) == S.SUCCEEDED
    execute(env, pid, calls)
    assert member_weight(env, 3) == 30


def test_expired_after_the_expiry_period(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, calls = one
    vote(env, pid, 0)
    vote(env, pid, 1)
    executable_at = core(env, pid)["voteEnd"]  # no execution delay
    set_time(env, executable_at + EXPIRY - 1)
    assert state(env, pid) == S.SUCCEEDED  # the last executable second
    set_time(env, executable_at + EXPIRY)
    assert state(env, pid) == S.EXPIRED
    refused(env, execute_fn(env, pid, calls), env.spare[0], "ProposalNotExecutable", proposalId=pid, state=S.EXPIRED)
    assert member_weight(env, 1) == 40


def test_canceled_by_the_proposer(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, calls = one
    vote(env, pid, 0)
    vote(env, pid, 1)
    receipt = send(env, env.consortium.functions.cancel(pid), env.founders[0].admin)
    (event,) = env.consortium.events.ProposalCanceled().process_receipt(receipt, errors=DISCARD)
    assert event.args.proposalId == pid
    assert state(env, pid) == S.CANCELED
    assert core(env, pid)["canceled"] is True
    end_vote(env, pid)
    assert state(env, pid) == S.CANCELED  # a majority was reached before: canceled stays canceled
    refused(env, execute_fn(env, pid, calls), env.spare[0], "ProposalNotExecutable", proposalId=pid, state=S.CANCELED)


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
    assert state(env, older) == S.ACTIVE
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
    receipt = send(env, env.consortium.functions.castVote(newer, FOR), newcomer)
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
    assert state(env, before) == state(env, between) == S.ACTIVE

    snaps = [core(env, pid)["snapshot"] for pid in (before, between)]
    assert [env.consortium.functions.totalWeightAt(s).call() for s in snaps] == [100, 65]
    assert [env.consortium.functions.memberWeightAt(2, s).call() for s in snaps] == [35, 0]
    refused(env, env.consortium.functions.castVote(before, FOR), globex.admin, "NotMemberAdmin")
    receipt = send(env, env.consortium.functions.castVote(before, AGAINST), regained)
    (event,) = env.consortium.events.VoteCast().process_receipt(receipt, errors=DISCARD)
    assert (event.args.memberId, event.args.weight) == (2, 35)
    assert tally(env, before) == (0, 35, 0)
    refused(env, env.consortium.functions.castVote(between, FOR), regained, "NoVotingWeight", memberId=2,
            proposalId=between)
    assert env.consortium.functions.hasVoted(between, 2).call() is False
    after = propose(env, [noop(env, 3)], description="after")
    assert env.consortium.functions.totalWeightAt(core(env, after)["snapshot"]).call() == 100
    receipt = send(env, env.consortium.functions.castVote(after, FOR), regained)
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
    receipt = send(env, env.consortium.functions.castVote(other, AGAINST), second_admin)
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
            "ProposalNotActive", proposalId=pid, state=S.SUCCEEDED)
    defeated = propose(env, [noop(env)], description="ignored")
    end_vote(env, defeated)
    refused(env, env.consortium.functions.castVote(defeated, FOR), env.founders[2].admin,
            "ProposalNotActive", proposalId=defeated, state=S.DEFEATED)


def test_vote_on_executed_or_canceled_proposal_is_refused(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, _ = one
    send(env, env.consortium.functions.cancel(pid), env.founders[0].admin)
    refused(env, env.consortium.functions.castVote(pid, FOR), env.founders[1].admin,
            "ProposalNotActive", proposalId=pid, state=S.CANCELED)
    done = passed(env, [noop(env, 2)], "done")
    refused(env, env.consortium.functions.castVote(done, FOR), env.founders[1].admin,
            "ProposalNotActive", proposalId=done, state=S.EXECUTED)


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
    assert (p128 & 0xFFFFFFFF, p129 & 0xFFFFFFFF) == (128, 129)
    assert state(env, oldest) == S.ACTIVE

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
    refused(env, execute_fn(env, pid, calls), env.spare[1], "ProposalNotExecutable", proposalId=pid, state=S.EXECUTED)
    executed = env.consortium.events.ProposalExecuted().get_logs(from_block=env.w3.eth.block_number - 2)
    assert [e.args.proposalId for e in executed] == [pid]


def test_execute_an_active_proposal_is_refused(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, calls = one
    for who in range(3):
        vote(env, pid, who)
    refused(env, execute_fn(env, pid, calls), env.spare[0], "ProposalNotExecutable", proposalId=pid, state=S.ACTIVE)


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
    assert state(env, pid) == S.SUCCEEDED
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
    assert state(env, pid) == S.EXECUTED
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
    assert state(env, pid) == S.SUCCEEDED
    assert core(env, pid)["executed"] is False

    # Member 1 lets the account go; the same proposal now executes.
    send(env, env.consortium.functions.removeAccounts(1, [taken]), env.founders[0].admin)
    execute(env, pid, calls)
    assert state(env, pid) == S.EXECUTED
    assert member_weight(env, 1) == 45
    assert env.consortium.functions.memberOf(taken).call() == [2, True]


def test_a_call_reverting_without_data_is_reported_by_index(env: Env) -> None:
    calls = [noop(env), (env.ingress.address, 0, bytes.fromhex("deadbeef"))]  # no such function, no fallback
    pid = propose(env, calls)
    for who in range(3):
        vote(env, pid, who)
    end_vote(env, pid)
    refused(env, execute_fn(env, pid, calls), env.spare[0], "CallFailed", index=1)
    assert state(env, pid) == S.SUCCEEDED


# ---------------------------------------------------------------------------------------- cancel


def test_cancel_by_another_admin_of_the_proposing_member(one: tuple[Env, int, list[Call]]) -> None:
    env, pid, _ = one
    colleague = env.spare[5]
    add_admin(env, 0, colleague)
    send(env, env.consortium.functions.cancel(pid), colleague)
    assert state(env, pid) == S.CANCELED


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
    assert state(env, pid) == S.ACTIVE


def test_cancel_while_pending(env: Env) -> None:
    passed(env, [env.call("setSettings", (5000, 5001, 600, VOTING_PERIOD, 0, EXPIRY))])
    pid = propose(env, [noop(env)], by=1)
    assert state(env, pid) == S.PENDING
    send(env, env.consortium.functions.cancel(pid), env.founders[1].admin)
    assert state(env, pid) == S.CANCELED


def test_cancel_only_while_pending_or_active(env: Env) -> None:
    cancel = env.consortium.functions.cancel
    admin = env.founders[0].admin
    winning = propose(env, [noop(env)], description="winning")
    losing = propose(env, [noop(env)], description="losing")
    canceled = propose(env, [noop(env)], description="canceled")
    for who in range(3):
        vote(env, winning, who)
    send(env, cancel(canceled), admin)
    refused(env, cancel(canceled), admin, "ProposalNotCancelable", proposalId=canceled, state=S.CANCELED)
    end_vote(env, winning, losing)
    refused(env, cancel(winning), admin, "ProposalNotCancelable", proposalId=winning, state=S.SUCCEEDED)
    refused(env, cancel(losing), admin, "ProposalNotCancelable", proposalId=losing, state=S.DEFEATED)
    execute(env, winning, [noop(env)], "winning")
    refused(env, cancel(winning), admin, "ProposalNotCancelable", proposalId=winning, state=S.EXECUTED)


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
    assert state(env, own) == S.ACTIVE
    refused(env, env.consortium.functions.cancel(own), env.founders[2].admin, "MemberNotActive", memberId=3)
    assert state(env, own) == S.ACTIVE
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
    assert tuple(env.consortium.functions.settingsAt(epoch_before).call()) == BASE_SETTINGS
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
    assert settings(env) == BASE_SETTINGS


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
    assert settings(env) == BASE_SETTINGS
    assert env.consortium.functions.epoch().call() == epoch
    assert state(env, pid) == S.SUCCEEDED


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
    assert state(env, older) == S.SUCCEEDED
    assert state(env, newer) == S.DEFEATED


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
    assert state(env, older) == S.SUCCEEDED
    execute(env, older, [noop(env)], "older")
