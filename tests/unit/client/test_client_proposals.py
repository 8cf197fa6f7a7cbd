"""``client.actions`` and ``client.proposals`` on the embedded chain: every action constructor driven
through create, votes and execute with the chain's state checked afterwards; reading a proposal
back (tally, quorum, times, actions); listing and resolving; votes in every form, signed votes
relayed by another account; execute, cancel, wait_for; and each refusal as its named error."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from eth_utils.crypto import keccak
from hypothesis import given
from hypothesis import strategies as st
from web3 import Web3

import consortium_evm.client.proposals as proposals_module
from consortium_evm.client import (
    AccountSpec,
    ConsortiumClient,
    MemberSpec,
    MemberStatus,
    NodeMatch,
    NodeSpec,
    ProposalState,
    Role,
    Settings,
    SignedVote,
    Support,
    Tally,
)
from consortium_evm.contract_errors import (
    AlreadyVoted,
    CallFailed,
    GovernanceNotStarted,
    InvalidSettings,
    InvalidVoteNonce,
    InvalidVoteSignature,
    MemberNotActive,
    MissingRole,
    NotMemberAdmin,
    NotProposer,
    NoVotingWeight,
    OnlyGovernance,
    ProposalNotActive,
    ProposalNotCancelable,
    ProposalNotExecutable,
    RulesAllowEveryone,
    RulesWithoutCode,
    UnknownProposal,
)
from consortium_evm.domain.proposals import proposal_number, proposer_member_id
from consortium_evm.domain.signatures import sign_typed
from consortium_evm.errors import ConfigError, ContractRevertError, ProposalOutcomeError, WaitTimeoutError
from tests.support.client import advance_to, deploy, keys, make_client, pass_proposal, voters
from tests.support.consortium import Env, enode, node_private_key

OUTSIDER = Web3.to_checksum_address(bytes(keccak(text="consortium-evm.ingress.outsider"))[-20:])
"""The ingress's fixed probe address before issue 14."""
"""The address the ingress asks about to refuse rules that allow everyone."""


def chain_state(env: Env, proposal_id: int) -> ProposalState:
    return ProposalState(env.consortium.functions.state(proposal_id).call())


def chain_settings(env: Env) -> Settings:
    return Settings(*env.consortium.functions.settings().call())


def weights(env: Env) -> list[int]:
    return [int(m[3]) for m in env.consortium.functions.getMembers(0, 100).call()]


def url(node: NodeSpec) -> str:
    return f"enode://{node.enode_id}@{node.host}:{node.port}"


# -- every action constructor, executed ------------------------------------------------------------


def test_member_actions_execute(env: Env, client: ConsortiumClient) -> None:
    a = client.actions
    assert client.members.next_member_id() == 4
    node = client.members.signed_node(f"enode://{enode(4)}@10.0.0.4:30303", node_private_key(4), 4)
    newcomer = MemberSpec(
        name="Umbrella Pharma", weight=10, metadata_uri="https://example.org/4.json",
        accounts=(AccountSpec(env.spare[1], Role.ADMIN | Role.TRANSACT),),
        nodes=(node,),
    )
    actions = [
        a.add_member(newcomer),
        a.set_weight(2, 30),
        a.set_member_limits(5, 3),
        a.call(env.consortium.address, "setMemberWeight(uint32,uint32)", ["3", "0x14"]),  # strings, as from a CLI
    ]
    assert actions[1].summary == "Consortium.setMemberWeight(memberId=2, weight=30)"
    proposal = pass_proposal(client, env, actions, "Admit Umbrella; reweigh")
    assert proposal.state == ProposalState.EXECUTED == chain_state(env, proposal.id)
    assert [(x.target, x.value, x.data) for x in proposal.actions] == [(x.target, x.value, x.data) for x in actions]
    assert [x.summary for x in proposal.actions[:3]] == [x.summary for x in actions[:3]]
    assert proposal.actions[3].summary == "Consortium.setMemberWeight(memberId=3, weight=20)"

    member = client.members.get(4)
    assert (member.name, member.metadata_uri, member.weight, member.status) == (
        newcomer.name, newcomer.metadata_uri, newcomer.weight, MemberStatus.ACTIVE)
    assert client.members.by_account(env.spare[1]) == member == client.members.by_node(url(newcomer.nodes[0]))
    assert weights(env) == [40, 30, 20, 10]
    assert tuple(env.consortium.functions.memberLimits().call()) == (5, 3)
    assert client.access.account_allowed(env.spare[1], env.spare[5])
    # its admin account acts as admin once it accepts
    assert client.members.account(env.spare[1]).admin_pending and member.admin_count == 0
    client.with_account(env.spare[1]).members.accept_admin()
    assert client.members.get(4).admin_count == 1 and client.members.totals().active_admins == 4


def test_settings_and_membership_actions_execute(env: Env, client: ConsortiumClient) -> None:
    a = client.actions
    old_epoch, old = client.status().epoch, client.settings()
    first = pass_proposal(
        client, env,
        [a.suspend_member(3), a.set_param("voting_period", 7200), a.set_node_match("enode_id_host_port")],
        "suspend 3, longer votes, match nodes by host and port",
    )
    assert first.state == ProposalState.EXECUTED
    assert client.members.get(3).status == MemberStatus.SUSPENDED
    assert client.settings() == dataclasses.replace(old, voting_period=7200) == chain_settings(env)
    assert client.settings(old_epoch) == old  # the history stays
    assert client.status().node_match == NodeMatch.ENODE_ID_HOST_PORT

    new = Settings(quorum_bps=6000, threshold_bps=6000, voting_delay=0, voting_period=3600, execution_delay=60,
                   expiry_period=86400)  # the floors: 3600 s and a day
    reinstate = bytes.fromhex(env.consortium.encode_abi("reinstateMember", [3])[2:])
    second_actions = [a.set_settings(new), a.raw(env.consortium.address, reinstate),
                      a.allow_account(env.spare[2], "transact,deploy")]
    assert second_actions[1].summary == "Consortium.reinstateMember(memberId=3)"
    second = pass_proposal(client, env, second_actions, "new settings", founders=(0, 1))
    assert second.vote_end - second.vote_start == 7200  # a proposal follows the settings of its creation
    assert client.settings() == new == chain_settings(env)
    assert client.members.get(3).status == MemberStatus.ACTIVE
    assert client.access.account_allowed(env.spare[2], None) and client.access.account_allowed(env.spare[2], env.spare[3])
    assert client.members.account(env.spare[2]).member_id == 0

    # now with an execution delay: passed proposals wait in QUEUED
    third = client.proposals.create([a.disallow_account(env.spare[2]), a.remove_member(2)], "withdraw; remove 2")
    for voter in voters(client, env):
        voter.proposals.vote(third.proposal_id, "for")
    got = client.proposals.get(third.proposal_id)
    assert got.executable_at == got.vote_end + 60 and got.expires_at == got.executable_at + 86400
    assert got.tally.quorum == -(-got.tally.total_weight * 6000 // 10_000)
    advance_to(env, got.vote_end + 1)
    assert client.proposals.get(third.proposal_id).state == ProposalState.QUEUED == chain_state(env, third.proposal_id)
    with pytest.raises(ProposalNotExecutable) as info:
        client.proposals.execute(third.proposal_id)
    assert info.value.state == ProposalState.QUEUED
    advance_to(env, got.executable_at)
    client.proposals.execute(third.proposal_id)
    assert not client.access.account_allowed(env.spare[2], env.spare[3])
    assert client.members.get(2).status == MemberStatus.REMOVED
    assert client.members.list(include_removed=False) == [client.members.get(1), client.members.get(3)]


def test_rules_actions_execute(env: Env, client: ConsortiumClient) -> None:
    a = client.actions
    rules = deploy(env, "PermissionRules", [env.consortium.address, env.consortium.address, 0], env.spare[4])
    node = env.founders[0].node
    payee, balance = env.spare[9], env.w3.eth.get_balance(env.spare[9])
    pass_proposal(client, env, [a.set_rules(rules.address), a.call(rules.address, "setNodeMatch(uint8)", [1]),
                                a.raw(payee, b"", value=12345)],
                  "stand-alone rules matching host and port; pay 12345 wei",
                  executor=env.founders[0].user)  # the new rules must still let the executor transact
    assert env.w3.eth.get_balance(payee) == balance + 12345  # the executor sent the actions' value along
    assert client.status().rules == rules.address == env.ingress.functions.rules().call()
    assert rules.functions.nodeMatch().call() == 1
    assert client.status().node_match == NodeMatch.ENODE_ID  # the Consortium's own mode is its own
    assert client.access.node_allowed(url(node))
    assert not client.access.node_allowed(node.enode_id, "10.99.0.1", node.port)
    history = client.events.history(kinds=["RulesChanged"])
    assert [(e.args["previousRules"], e.args["newRules"]) for e in history][-1] == (env.consortium.address, rules.address)


def test_executions_that_fail_raise_the_named_error(env: Env, client: ConsortiumClient) -> None:
    a = client.actions
    boot = env.spare[8]
    fresh_consortium = deploy(env, "Consortium", [(5000, 5001, 0, 3600, 0, 3600), (3600, 3600), (10, 10)], boot)
    lax = deploy(env, "AllowAllButRules", [[OUTSIDER]], boot)  # everyone but the former fixed probe
    foreign_rules = deploy(env, "PermissionRules", [env.consortium.address, env.spare[5], 0], env.spare[4])
    board = deploy(env, "NoticeBoard", [env.consortium.address], env.spare[4])
    bad_settings = Settings(0, 5000, 0, 3600, 0, 3600)
    cases: list[tuple[Any, type[ContractRevertError], dict[str, Any]]] = [
        (a.set_rules(env.spare[6]), RulesWithoutCode, {"rules": env.spare[6]}),
        (a.set_rules(lax.address), RulesAllowEveryone, {"rules": lax.address}),
        (a.call(foreign_rules.address, "setNodeMatch(uint8)", [1]), OnlyGovernance, {"caller": env.consortium.address}),
        (a.set_settings(bad_settings), InvalidSettings, {"settings": bad_settings.as_tuple()}),
        (a.call(board.address, "pin(uint256)", [1]), MissingRole, {"account": env.consortium.address, "flag": 4}),
        (a.raw(board.address, bytes.fromhex("12345678")), CallFailed, {"index": 0}),
    ]
    ids = [client.proposals.create(action, f"bad {i}").proposal_id for i, (action, _, _) in enumerate(cases)]
    for voter in voters(client, env, (0, 1)):
        for pid in ids:
            voter.proposals.vote(pid, "for")
    advance_to(env, client.proposals.get(ids[-1]).executable_at)
    executor = client.with_account(env.founders[1].admin)
    for pid, (_, error, expected) in zip(ids, cases):
        with pytest.raises(error) as info:
            executor.proposals.execute(pid)
        assert {k: info.value.args_by_name[k] for k in expected} == expected
        assert client.proposals.get(pid).state == ProposalState.SUCCEEDED  # undone; may be tried again
    assert env.ingress.functions.rules().call() == env.consortium.address

    # and a contract nobody installed: governance not started, the bootstrapper cannot propose
    fresh = ConsortiumClient.from_web3(env.w3, fresh_consortium.address, account=boot)
    assert fresh.status().governance_started is False
    with pytest.raises(GovernanceNotStarted):
        fresh.proposals.create(fresh.actions.set_member_limits(3, 3), "too early")


def test_action_mistakes_are_caught_before_proposing(env: Env, client: ConsortiumClient) -> None:
    a = client.actions
    mistakes: list[Any] = [
        lambda: a.set_param("quorum", 1),
        lambda: a.set_node_match("by-ip"),
        lambda: a.set_node_match(7),
        lambda: a.allow_account(env.spare[1], "admin"),
        lambda: a.allow_account("0x12", "transact"),
        lambda: a.call(env.spare[1], "post", []),
        lambda: a.call(env.spare[1], "post(string)", []),
        lambda: a.call(env.spare[1], "pin(uint256)", ["ten"]),
        lambda: a.call(env.spare[1], "pin(uint257)", [1]),
        lambda: a.call(env.spare[1], "set(address)", ["0x12"]),
        lambda: a.call("board", "pin(uint256)", [1]),
        lambda: a.raw("0x12", b""),
        lambda: client.proposals.create([], "nothing"),
        lambda: a.add_member(MemberSpec("Unsigned", 1, nodes=(NodeSpec(enode(4), "10.0.0.4"),))),
    ]
    block = env.w3.eth.block_number
    for mistake in mistakes:
        with pytest.raises(ConfigError):
            mistake()
    assert env.w3.eth.block_number == block


# -- reading proposals ---------------------------------------------------------------------------------


def test_get_reads_tally_quorum_times_and_votes(env: Env, client: ConsortiumClient) -> None:
    description = "Suspend member 3"
    proposed = client.proposals.create(client.actions.suspend_member(3), description)
    pid = proposed.proposal_id
    p = client.proposals.get(pid)
    c = env.consortium.functions
    core = c.proposalCore(pid).call()
    s = Settings(*c.settingsAt(core[2]).call())
    total = c.totalWeightAt(core[2]).call()
    assert p.state == ProposalState.ACTIVE == chain_state(env, pid)
    assert (p.vote_start, p.vote_end, p.snapshot) == (core[0], core[1], core[2])
    assert p.vote_end - p.vote_start == s.voting_period
    assert p.executable_at == core[1] + s.execution_delay
    assert p.expires_at == p.executable_at + s.expiry_period
    assert p.tally == Tally(0, 0, 0, -(-total * s.quorum_bps // 10_000), total, s.threshold_bps)
    assert (p.number, p.proposer_member_id, p.proposer) == (c.proposalCount().call(), 1, env.founders[0].admin)
    assert proposer_member_id(p.id) == 1 and proposal_number(p.id) == p.number
    assert (p.description, p.description_hash) == (description, bytes(keccak(text=description)))
    assert (p.created_block, p.created_tx) == (proposed.sent.block_number, proposed.sent.tx_hash)
    assert not p.tally.quorum_reached and not p.tally.approved

    for founder, support, expected in zip(env.founders, ["yes", "AGAINST", 2],
                                          [Support.FOR, Support.AGAINST, Support.ABSTAIN]):
        assert not client.proposals.has_voted(pid, founder.member_id)
        voted = client.with_account(founder.admin).proposals.vote(f"#{p.number}", support)
        (event,) = env.consortium.events.VoteCast().process_receipt(voted.sent.receipt)
        assert (voted.proposal_id, voted.member_id, voted.voter, voted.support, voted.weight) == (
            event.args.proposalId, event.args.memberId, event.args.voter, Support(event.args.support), event.args.weight)
        assert (voted.member_id, voted.support, voted.weight) == (founder.member_id, expected, founder.weight)
        assert client.proposals.has_voted(pid, founder.member_id) is env.consortium.functions.hasVoted(
            pid, founder.member_id).call() is True
        assert voted.to_json()["support"] == expected.label
    tally = client.proposals.get(pid).tally
    assert (tally.for_votes, tally.against_votes, tally.abstain_votes) == tuple(c.proposalCore(pid).call()[5:8])
    assert tally.cast == total and tally.quorum_reached
    # for 40 against 35 with a 50.01% threshold: passes
    assert tally.approved is (tally.for_votes * 10_000 >= tally.threshold_bps * (tally.for_votes + tally.against_votes))
    advance_to(env, p.vote_end)  # voting is over at vote_end itself
    after = client.proposals.get(pid)
    assert after.state == chain_state(env, pid) == (ProposalState.SUCCEEDED if tally.approved else ProposalState.DEFEATED)
    data = json.loads(json.dumps(after.to_json()))
    assert data["state"] == after.state.label
    assert data["actions"][0]["summary"] == "Consortium.suspendMember(memberId=3)"
    assert data["actions"][0]["data"] == "0x" + after.actions[0].data.hex()


def test_list_filters_by_state_and_resolve_finds_by_number(env: Env, client: ConsortiumClient,
                                                           reader: ConsortiumClient) -> None:
    ids = [client.proposals.create(client.actions.set_weight(3, 20 + i), f"weight {i}").proposal_id for i in range(3)]
    client.proposals.cancel(ids[0])
    for voter in voters(client, env):
        voter.proposals.vote(ids[1], "for")
        voter.proposals.vote(ids[2], "against")
    advance_to(env, client.proposals.get(ids[1]).executable_at)
    make_client(env, env.spare[0]).proposals.execute(ids[1])

    listed = reader.proposals.list()
    assert [p.id for p in listed] == ids
    assert [p.state for p in listed] == [chain_state(env, pid) for pid in ids] == [
        ProposalState.CANCELED, ProposalState.EXECUTED, ProposalState.DEFEATED]
    assert [p.id for p in reader.proposals.list("canceled")] == ids[:1]
    assert [p.id for p in reader.proposals.list(["DEFEATED", ProposalState.EXECUTED])] == ids[1:]
    assert [p.id for p in reader.proposals.list(int(ProposalState.DEFEATED))] == ids[2:]
    assert reader.proposals.list(ProposalState.ACTIVE) == []
    with pytest.raises(ConfigError):
        reader.proposals.list("open")

    for number, pid in enumerate(ids, start=1):
        assert reader.proposals.resolve(f"#{number}") == pid
        assert reader.proposals.resolve(str(pid)) == reader.proposals.resolve(hex(pid)) == reader.proposals.resolve(pid)
    with pytest.raises(UnknownProposal):
        reader.proposals.resolve("#4")
    for bad in ("#two", "two", "-1", "#", hex(2**256)):
        with pytest.raises(ConfigError):
            reader.proposals.resolve(bad)
    with pytest.raises(UnknownProposal) as info:
        reader.proposals.get(12345)
    assert info.value.proposal_id == 12345
    with pytest.raises(UnknownProposal):
        reader.proposals.has_voted(12345, 1)
    # a proposal created after a client was made is found too
    later = client.proposals.create(client.actions.set_weight(3, 30), "later").proposal_id
    assert reader.proposals.resolve("#4") == later
    assert [p.id for p in reader.proposals.list("active")] == [later]


# -- votes ---------------------------------------------------------------------------------------------------


def test_signed_votes_are_relayed_by_anyone(env: Env, client: ConsortiumClient, reader: ConsortiumClient) -> None:
    signers = keys(env)
    f1, f2, f3 = env.founders
    pid = client.proposals.create(client.actions.suspend_member(3), "suspend 3").proposal_id
    member2 = make_client(env, signers[f2.admin])
    signed = member2.proposals.sign_vote(pid, "against")
    assert (signed.proposal_id, signed.support, signed.voter, signed.nonce) == (pid, Support.AGAINST, f2.admin, 0)
    assert (signed.chain_id, signed.consortium) == (env.w3.eth.chain_id, env.consortium.address)
    assert len(bytes.fromhex(signed.signature[2:])) == 65
    vote = SignedVote.from_json(json.loads(json.dumps(signed.to_json())))  # as it travels
    assert vote == signed

    relayer = make_client(env, env.spare[3])
    block = env.w3.eth.block_number
    wrongs = [dataclasses.replace(vote, chain_id=1), dataclasses.replace(vote, consortium=env.ingress.address),
              dataclasses.replace(vote, consortium="consortium"), dataclasses.replace(vote, voter="0x12"),
              dataclasses.replace(vote, signature="0x1234"), dataclasses.replace(vote, signature="zz")]
    for wrong in wrongs:
        with pytest.raises(ConfigError):
            relayer.proposals.submit_vote(wrong)
    assert env.w3.eth.block_number == block
    voted = relayer.proposals.submit_vote(vote)
    assert env.w3.eth.get_transaction(voted.sent.tx_hash)["from"] == env.spare[3]
    assert (voted.member_id, voted.voter, voted.support, voted.weight) == (2, f2.admin, Support.AGAINST, f2.weight)
    assert env.consortium.functions.ballotNonce(2).call() == 1  # member 2's sequence moved on
    assert reader.proposals.has_voted(pid, 2)

    with pytest.raises(InvalidVoteNonce) as replay:
        relayer.proposals.submit_vote(vote)
    assert (replay.value.member_id, replay.value.expected) == (2, 1)
    # member 2's key signs a ballot that claims member 1's vote for its own admin account
    claimed = sign_typed(signers[f2.admin], "Ballot", {"proposalId": pid, "support": 1, "memberId": 1,
                                                        "voter": f2.admin, "nonce": 1}, signed.chain_id, signed.consortium)
    with pytest.raises(InvalidVoteSignature):
        relayer.proposals.submit_vote(dataclasses.replace(vote, support=Support.FOR, nonce=1,
                                                          signature="0x" + claimed.hex()))
    # member 3's key signs a ballot that claims to be member 1's
    forged = dataclasses.replace(
        reader.proposals.sign_vote(pid, "for", signer=signers[f3.admin], nonce=0), voter=f1.admin)
    with pytest.raises(InvalidVoteSignature) as bad_signature:
        relayer.proposals.submit_vote(forged)
    assert bad_signature.value.voter == f1.admin
    # a ballot signed ahead, with a nonce not yet current
    ahead = reader.proposals.sign_vote(pid, "for", signer=signers[f1.admin], nonce=1)
    with pytest.raises(InvalidVoteNonce) as early:
        relayer.proposals.submit_vote(ahead)
    assert early.value.expected == 0
    # a read-only client signs for an explicit signer; the default nonce is the current one
    ballot = reader.proposals.sign_vote(f"#{proposal_number(pid)}", Support.FOR,
                                        signer=signers[f1.admin])
    assert relayer.proposals.submit_vote(ballot).weight == f1.weight
    assert reader.proposals.get(pid).tally.for_votes == f1.weight
    with pytest.raises(ConfigError):
        SignedVote.from_json({"proposal_id": pid})


def test_vote_refusals_are_named(env: Env, client: ConsortiumClient) -> None:
    a = client.actions
    f1, f3 = env.founders[0], env.founders[2]
    # a proposal that admits a member and suspends another, passing while a second one is open
    admit = client.proposals.create(
        [a.add_member(MemberSpec("Umbrella", 10, accounts=(AccountSpec(env.spare[1], Role.ADMIN | Role.TRANSACT),))),
         a.suspend_member(3)], "admit Umbrella, suspend 3")
    for voter in voters(client, env, (0, 1)):
        voter.proposals.vote(admit.proposal_id, "for")
    env.advance(60)
    open_pid = client.proposals.create(a.set_weight(1, 41), "weight 41").proposal_id
    advance_to(env, client.proposals.get(admit.proposal_id).executable_at)
    client.proposals.execute(admit.proposal_id)
    assert client.proposals.get(open_pid).state == ProposalState.ACTIVE
    client.with_account(env.spare[1]).members.accept_admin()

    client.proposals.vote(open_pid, "for")
    with pytest.raises(AlreadyVoted) as again:
        client.proposals.vote(open_pid, "against")
    assert (again.value.proposal_id, again.value.member_id) == (open_pid, 1)
    with pytest.raises(NoVotingWeight) as newcomer:  # joined after the proposal was made
        client.with_account(env.spare[1]).proposals.vote(open_pid, "for")
    assert (newcomer.value.member_id, newcomer.value.proposal_id) == (4, open_pid)
    suspended = client.with_account(f3.admin)
    with pytest.raises(MemberNotActive) as inactive:
        suspended.proposals.vote(open_pid, "for")
    assert inactive.value.member_id == 3
    with pytest.raises(MemberNotActive):
        suspended.proposals.create(a.reinstate_member(3), "let us back")
    with pytest.raises(NotMemberAdmin) as not_admin:
        client.with_account(f1.user).proposals.vote(open_pid, "for")
    assert (not_admin.value.account, not_admin.value.member_id) == (f1.user, 1)
    with pytest.raises(NotMemberAdmin):
        client.with_account(env.spare[2]).proposals.create(a.set_weight(1, 1), "outsider")
    with pytest.raises(UnknownProposal):
        client.proposals.vote(open_pid ^ (1 << 200), "for")
    with pytest.raises(ConfigError):
        client.proposals.vote(open_pid, "maybe")
    advance_to(env, client.proposals.get(open_pid).vote_end + 1)
    with pytest.raises(ProposalNotActive) as closed:
        client.with_account(env.founders[1].admin).proposals.vote(open_pid, "for")
    assert closed.value.state == chain_state(env, open_pid) == ProposalState.DEFEATED  # 40 of 100: no quorum


# -- execute, cancel, wait_for ------------------------------------------------------------------------------


def test_execute_and_cancel_refusals(env: Env, client: ConsortiumClient) -> None:
    other = client.with_account(env.founders[1].admin)
    pid = client.proposals.create(client.actions.set_weight(3, 5), "weight 5").proposal_id
    with pytest.raises(ProposalNotExecutable) as early:
        other.proposals.execute(pid)
    assert early.value.state == ProposalState.ACTIVE
    with pytest.raises(NotProposer) as not_proposer:
        other.proposals.cancel(pid)
    assert (not_proposer.value.account, not_proposer.value.proposal_id) == (env.founders[1].admin, pid)
    sent = client.proposals.cancel(f"#{proposal_number(pid)}")
    assert [e.args.proposalId for e in env.consortium.events.ProposalCanceled().process_receipt(sent.receipt)] == [pid]
    assert client.proposals.get(pid).state == ProposalState.CANCELED
    with pytest.raises(ProposalNotCancelable) as twice:
        client.proposals.cancel(pid)
    assert twice.value.state == ProposalState.CANCELED
    with pytest.raises(ProposalNotActive):
        other.proposals.vote(pid, "for")

    done = pass_proposal(client, env, client.actions.set_weight(3, 6), "weight 6")
    with pytest.raises(ProposalNotExecutable) as ran:
        client.proposals.execute(done.id)
    assert ran.value.state == ProposalState.EXECUTED
    with pytest.raises(ProposalNotCancelable):
        client.proposals.cancel(done.id)
    assert weights(env)[2] == 6


def test_wait_for_returns_raises_or_times_out(env: Env, client: ConsortiumClient,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    a = client.actions
    passing = client.proposals.create(a.set_weight(3, 5), "weight 5").proposal_id
    failing = client.proposals.create(a.set_weight(3, 6), "weight 6").proposal_id
    canceled = client.proposals.create(a.set_weight(3, 7), "weight 7").proposal_id
    client.proposals.cancel(canceled)
    for voter in voters(client, env):
        voter.proposals.vote(passing, "for")
        voter.proposals.vote(failing, "against")

    def refuse(_: float) -> None:
        raise AssertionError("wait_for slept although the answer was known")

    monkeypatch.setattr(proposals_module.time, "sleep", refuse)
    assert client.proposals.wait_for(passing, "active").state == ProposalState.ACTIVE
    with pytest.raises(ProposalOutcomeError, match="canceled"):
        client.proposals.wait_for(canceled, [ProposalState.SUCCEEDED, "executed"])
    with pytest.raises(WaitTimeoutError) as timeout:
        client.proposals.wait_for(passing, "executed", timeout=0)
    assert "active" in str(timeout.value)

    # time passes on the chain while wait_for sleeps
    slept: list[float] = []

    def pass_time(seconds: float) -> None:
        slept.append(seconds)
        env.advance(1000)

    monkeypatch.setattr(proposals_module.time, "sleep", pass_time)
    reached = client.proposals.wait_for(f"#{proposal_number(passing)}", "succeeded",
                                        poll_interval=0.5)
    assert reached.state == ProposalState.SUCCEEDED == chain_state(env, passing)
    assert slept and set(slept) == {0.5}
    with pytest.raises(ProposalOutcomeError, match="defeated"):
        client.proposals.wait_for(failing, ProposalState.SUCCEEDED)
    # a passed proposal is never active again: no point waiting
    monkeypatch.setattr(proposals_module.time, "sleep", refuse)
    with pytest.raises(ProposalOutcomeError, match="succeeded"):
        client.proposals.wait_for(passing, "active")
    client.proposals.execute(passing)
    assert client.proposals.wait_for(passing, ["executed", "expired"]).state == ProposalState.EXECUTED
    with pytest.raises(ConfigError):
        client.proposals.wait_for(passing, [])


# -- the parsers, for any input ------------------------------------------------------------------------------


@given(st.sampled_from(list(Support)), st.sampled_from([str.lower, str.upper, str.title, lambda s: f"  {s} "]))
def test_support_parse_round_trips(support: Support, case: Any) -> None:
    assert Support.parse(case(support.label)) is support
    assert Support.parse(int(support)) is support is Support.parse(support)


@given(st.sampled_from(list(ProposalState)), st.sampled_from([str.lower, str.upper, str.title]))
def test_state_parse_round_trips(state: ProposalState, case: Any) -> None:
    assert ProposalState.parse(case(state.label)) is state
    assert ProposalState.parse(int(state)) is state is ProposalState.parse(state)


SUPPORT_WORDS = {"for", "against", "abstain", "yes", "no", "y", "n"}


@given(st.one_of(st.text(max_size=12), st.integers(), st.booleans(), st.none()))
def test_parsers_accept_exactly_the_documented_forms(value: Any) -> None:
    number = value if isinstance(value, int) and not isinstance(value, bool) else None
    word = value.strip().lower() if isinstance(value, str) else None
    if (number is not None and 0 <= number <= 2) or word in SUPPORT_WORDS:
        assert Support.parse(value) in Support
    else:
        with pytest.raises(ConfigError):
            Support.parse(value)
    if (number is not None and 0 <= number <= 7) or word in {s.label for s in ProposalState}:
        assert ProposalState.parse(value) in ProposalState
    else:
        with pytest.raises(ConfigError):
            ProposalState.parse(value)
