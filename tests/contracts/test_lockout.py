"""Lock-out and fail-open guards: no change, however it is made, may leave the consortium without an
active member, an admin account or a node, hand power back to the deployer, run a proposal that did
not pass, or leave the permission ingress without working rules; nor can the members leave
governance unable to reach its quorum, or its admin accounts unable to transact (the last section).

Changes made through governance are refused at execution: the execution reverts with the named
error, nothing changes, and the proposal stays as it was.
"""

from __future__ import annotations

from typing import Any

import pytest
from web3.logs import DISCARD

from consortium_evm.compiler import load_artifact
from consortium_evm.domain.proposals import ProposalState
from consortium_evm.domain.signatures import sign_admin_acceptance
from consortium_evm.domain.spec import node_key
from consortium_evm.errors import ContractRevertError
from consortium_evm.node.tester import tester_accounts
from consortium_evm.tx.transactions import Transactor
from tests.support.consortium import EXPIRY, FLOORS, SETTINGS, VOTING_PERIOD, Env, bootstrap_node, enode, signed_node
from tests.support.contracts import ABIS, GAS, ZERO, Call, refused, send
from tests.support.governance import execute_fn, passed, propose, set_time, voted

# ---------------------------------------------------------------------------------------- helpers


def _probe_node(env: Env) -> tuple[bytes, str, int]:
    """The node ``setRules`` names for the ingress's node probe: Acme's."""
    node = env.founders[0].node
    return node.public_key, node.host, node.port


def execution_refused(env: Env, calls: list[Call], description: str, name: str, voters: tuple[int, ...] = (0, 1, 2)) -> int:
    """A proposal with ``calls`` passes, and its execution is refused with ``name``; it stays executable."""
    pid = voted(env, calls, description, voters)
    assert env.consortium.functions.state(pid).call() == ProposalState.SUCCEEDED
    refused(env, execute_fn(env, pid, calls, description), env.spare[0], name)
    assert env.consortium.functions.state(pid).call() == ProposalState.SUCCEEDED
    return pid


def totals(env: Env) -> dict[str, int]:
    keys = ("memberCount", "activeMembers", "activeAdmins", "activeNodes", "totalActiveWeight", "totalWeight")
    return dict(zip(keys, env.consortium.functions.totals().call()))


def statuses(env: Env) -> list[int]:
    return [int(m[4]) for m in env.consortium.functions.getMembers(0, 100).call()]


def allowed(env: Env, account: str) -> bool:
    return bool(env.ingress.functions.transactionAllowed(account, env.consortium.address, 0, 0, 0, b"").call())


def fresh_consortium(env: Env) -> Any:
    """A new Consortium, deployed by the deployer and not yet handed to governance."""
    art = load_artifact("Consortium")
    factory = env.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    sent = Transactor(env.w3, env.deployer, ABIS).send(factory.constructor(SETTINGS, FLOORS, (1000, 64)), gas=10_000_000)
    return env.w3.eth.contract(address=sent.contract_address, abi=art.abi)


def node_tuple(n: int) -> tuple[bytes, str, int, bytes]:
    """Test node ``n`` as the bootstrap registers it (no consent signature needed)."""
    return bootstrap_node(n, f"10.0.0.{n}")


# ---------------------------------------------------------------------------------------- last active member


@pytest.mark.parametrize("action", ["removeMember", "suspendMember"])
def test_the_last_active_member_cannot_be_removed_or_suspended(env: Env, action: str) -> None:
    passed(env, [env.call("removeMember", 2)], "remove Globex")
    passed(env, [env.call("suspendMember", 3)], "suspend Initech", voters=(0,))  # 40 of 65 active
    assert totals(env)["activeMembers"] == 1
    before = totals(env)

    execution_refused(env, [env.call(action, 1)], "remove the last one", "WouldLeaveNoActiveMember", voters=(0,))
    assert totals(env) == before
    assert statuses(env) == [1, 3, 2]


def test_removing_every_member_in_one_proposal_is_refused_and_changes_nothing(env: Env) -> None:
    calls = [env.call("removeMember", 2), env.call("suspendMember", 3), env.call("removeMember", 1)]
    before = totals(env)
    execution_refused(env, calls, "dissolve", "WouldLeaveNoActiveMember")
    assert totals(env) == before
    assert statuses(env) == [1, 1, 1]


# ---------------------------------------------------------------------------------------- last admin account


def test_removing_every_admin_account_through_governance_is_refused(env: Env) -> None:
    calls = [env.call("removeAccounts", f.member_id, [f.admin]) for f in env.founders]
    execution_refused(env, calls, "drop all admins", "WouldLeaveNoAdmin")
    assert totals(env)["activeAdmins"] == 3
    assert all(env.consortium.functions.accountInfo(f.admin).call()[:2] == [f.member_id, 5] for f in env.founders)


def test_the_last_admin_account_cannot_remove_itself(env: Env) -> None:
    for f in env.founders[1:]:
        send(env, env.consortium.functions.removeAccounts(f.member_id, [f.admin]), f.admin)
    assert totals(env)["activeAdmins"] == 1
    last = env.founders[0].admin
    refused(env, env.consortium.functions.removeAccounts(1, [last]), last, "WouldLeaveNoAdmin")
    # Removing its user and itself together is refused as a whole.
    refused(env, env.consortium.functions.removeAccounts(1, [env.founders[0].user, last]), last, "WouldLeaveNoAdmin")
    assert env.consortium.functions.accountInfo(last).call()[:2] == [1, 5]
    assert env.consortium.functions.accountInfo(env.founders[0].user).call()[:2] == [1, 1]
    assert totals(env)["activeAdmins"] == 1


@pytest.mark.parametrize("action", ["suspendMember", "removeMember"])
def test_the_only_member_with_admin_accounts_cannot_be_suspended_or_removed(env: Env, action: str) -> None:
    passed(env, [env.call("setSettings", (4000, 5001, 0, VOTING_PERIOD, 0, EXPIRY))], "quorum 40 %")
    for f in env.founders[1:]:
        send(env, env.consortium.functions.removeAccounts(f.member_id, [f.admin]), f.admin)
    execution_refused(env, [env.call(action, 1)], "drop the admins' member", "WouldLeaveNoAdmin", voters=(0,))
    assert statuses(env) == [1, 1, 1]
    assert totals(env)["activeAdmins"] == 1


# ---------------------------------------------------------------------------------------- last node


def test_removing_every_node_through_governance_is_refused(env: Env) -> None:
    calls = [env.call("removeNodes", f.member_id, [f.node.key]) for f in env.founders]
    execution_refused(env, calls, "drop all nodes", "WouldLeaveNoNode")
    assert totals(env)["activeNodes"] == 3
    assert env.ingress.functions.connectionAllowed(env.founders[0].node.enode_id, "10.0.0.1", 30303).call() is True


def test_the_last_node_cannot_be_removed_by_its_member(env: Env) -> None:
    for f in env.founders[1:]:
        send(env, env.consortium.functions.removeNodes(f.member_id, [f.node.key]), f.admin)
    assert totals(env)["activeNodes"] == 1
    f = env.founders[0]
    refused(env, env.consortium.functions.removeNodes(1, [f.node.key]), f.admin, "WouldLeaveNoNode")
    assert env.consortium.functions.nodeAccess(f.node.key).call()[:2] == [1, True]


def test_the_only_member_with_nodes_cannot_be_suspended(env: Env) -> None:
    for f in env.founders[1:]:
        send(env, env.consortium.functions.removeNodes(f.member_id, [f.node.key]), f.admin)
    execution_refused(env, [env.call("suspendMember", 1)], "suspend the node owner", "WouldLeaveNoNode")
    assert statuses(env) == [1, 1, 1]


# ---------------------------------------------------------------------------------------- hand-over


def test_start_governance_needs_a_member_an_admin_and_a_node(env: Env) -> None:
    fresh = fresh_consortium(env)
    boot = lambda fn: send(env, fn, env.deployer)  # noqa: E731
    start = fresh.functions.startGovernance()
    admin, user = env.spare[1], env.spare[2]

    refused(env, start, env.deployer, "WouldLeaveNoActiveMember")
    boot(fresh.functions.addMember("Only users", "", 10, [user], [1], [node_tuple(7)]))
    refused(env, start, env.deployer, "WouldLeaveNoAdmin")
    boot(fresh.functions.addMember("No nodes", "", 10, [admin], [5], []))
    boot(fresh.functions.removeNodes(1, [node_key(enode(7))]))
    refused(env, start, env.deployer, "WouldLeaveNoNode")
    assert fresh.functions.bootstrapper().call() == env.deployer  # still not handed over

    refused(env, start, env.spare[3], "NotBootstrapper", caller=env.spare[3])  # only the bootstrapper starts it
    boot(fresh.functions.addNodes(2, [node_tuple(8)]))
    receipt = boot(start).receipt
    (event,) = fresh.events.GovernanceStarted().process_receipt(receipt, errors=DISCARD)
    assert event.args.formerBootstrapper == env.deployer
    assert fresh.functions.bootstrapper().call() == ZERO
    assert tuple(fresh.functions.totals().call())[:4] == (2, 2, 1, 1)


def _deployer_calls(env: Env) -> dict[str, Any]:
    c = env.consortium.functions
    return {
        "addMember": c.addMember("Mallory", "", 1000, [env.deployer], [5], [signed_node(9, 4)]),
        "suspendMember": c.suspendMember(1),
        "reinstateMember": c.reinstateMember(1),
        "removeMember": c.removeMember(1),
        "setMemberWeight": c.setMemberWeight(1, 1),
        "setMemberLimits": c.setMemberLimits(1, 1),
        "setUnaffiliatedAccount": c.setUnaffiliatedAccount(env.deployer, 3),
        "addAccounts": c.addAccounts(1, [env.deployer], [5]),
        "removeAccounts": c.removeAccounts(1, [env.founders[0].admin]),
        "addNodes": c.addNodes(1, [signed_node(9, 1)]),
        "removeNodes": c.removeNodes(1, [env.founders[0].node.key]),
        "setSettings": c.setSettings((1, 1, 0, 1, 0, 1)),
        "setNodeMatch": c.setNodeMatch(1),
        "startGovernance": c.startGovernance(),
        "ingress.setRules": env.ingress.functions.setRules(env.consortium.address, *_probe_node(env)),
    }


@pytest.mark.parametrize(
    "name",
    [
        "addMember", "suspendMember", "reinstateMember", "removeMember", "setMemberWeight", "setMemberLimits",
        "setUnaffiliatedAccount", "addAccounts", "removeAccounts", "addNodes", "removeNodes", "setSettings",
        "setNodeMatch", "startGovernance", "ingress.setRules",
    ],
)
def test_the_deployer_has_no_power_after_the_hand_over(env: Env, name: str) -> None:
    assert env.consortium.functions.bootstrapper().call() == ZERO
    before = (totals(env), env.consortium.functions.settings().call(), env.consortium.functions.epoch().call())
    # startGovernance names its own refusal: only the bootstrapper, before the hand-over, may call it.
    error = "NotBootstrapper" if name == "startGovernance" else "OnlyGovernance"
    refused(env, _deployer_calls(env)[name], env.deployer, error, caller=env.deployer)
    after = (totals(env), env.consortium.functions.settings().call(), env.consortium.functions.epoch().call())
    assert after == before
    assert env.consortium.functions.accountInfo(env.deployer).call()[:2] == [0, 0]
    assert allowed(env, env.deployer) is False


def test_the_deployer_cannot_propose_vote_or_cancel(env: Env) -> None:
    calls = [env.call("setMemberWeight", 1, 41)]
    fn = env.consortium.functions.propose([calls[0][0]], [0], [calls[0][2]], "x")
    refused(env, fn, env.deployer, "NotMemberAdmin", account=env.deployer, memberId=0)
    pid = propose(env, calls, "x")
    refused(env, env.consortium.functions.castVote(pid, 1), env.deployer, "NotMemberAdmin", account=env.deployer)
    refused(env, env.consortium.functions.cancel(pid), env.deployer, "NotProposer", account=env.deployer)


# ---------------------------------------------------------------------------------------- only passed proposals


def test_a_proposal_that_did_not_pass_cannot_execute(env: Env) -> None:
    calls = [env.call("addMember", "Mallory", "", 1000, [env.spare[5]], [5], [signed_node(9, 4)])]
    pid = propose(env, calls, "sneak in", by=0)
    send(env, env.consortium.functions.castVote(pid, 1), env.founders[0].admin)
    # Not while the vote runs, even with every vote for.
    refused(env, execute_fn(env, pid, calls, "sneak in"), env.spare[5], "ProposalNotExecutable", proposalId=pid, state=ProposalState.ACTIVE)
    set_time(env, env.consortium.functions.proposalCore(pid).call()[1] + 1)
    assert env.consortium.functions.state(pid).call() == ProposalState.DEFEATED  # 40 of 100: no quorum
    refused(env, execute_fn(env, pid, calls, "sneak in"), env.spare[5], "ProposalNotExecutable", proposalId=pid, state=ProposalState.DEFEATED)
    assert totals(env)["memberCount"] == 3
    assert allowed(env, env.spare[5]) is False


# ---------------------------------------------------------------------------------------- ingress rules


@pytest.mark.parametrize("target", ["an EOA", "the zero address"])
def test_the_ingress_rules_cannot_be_set_to_an_address_without_code(env: Env, target: str) -> None:
    new_rules = env.spare[6] if target == "an EOA" else ZERO
    calls: list[Call] = [(env.ingress.address, 0, bytes.fromhex(env.ingress.encode_abi("setRules", [new_rules, *_probe_node(env)])[2:]))]
    pid = voted(env, calls, "rules to nowhere")
    refused(env, execute_fn(env, pid, calls, "rules to nowhere"), env.founders[0].user,
            "RulesWithoutCode", rules=new_rules)
    assert env.ingress.functions.rules().call() == env.consortium.address
    assert allowed(env, env.founders[0].user) is True


def test_the_ingress_rules_must_declare_the_rule_interfaces(env: Env) -> None:
    calls: list[Call] = [
        (env.ingress.address, 0, bytes.fromhex(env.ingress.encode_abi("setRules", [env.ingress.address, *_probe_node(env)])[2:]))
    ]
    pid = voted(env, calls, "rules without interfaces")
    refused(env, execute_fn(env, pid, calls, "rules without interfaces"), env.founders[0].user,
            "RulesInterfaceMissing", rules=env.ingress.address)
    assert env.ingress.functions.rules().call() == env.consortium.address


def test_an_ingress_cannot_be_deployed_without_rules(env: Env) -> None:
    art = load_artifact("PermissionIngress")
    factory = env.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    for rules in (ZERO, env.spare[6]):
        with pytest.raises(ContractRevertError) as info:
            Transactor(env.w3, env.deployer, ABIS).send(factory.constructor(env.consortium.address, rules), gas=GAS)
        assert info.value.name == "RulesWithoutCode"


def test_replacing_the_rules_must_not_lock_out_the_executor_and_never_leaves_them_empty(env: Env) -> None:
    art = load_artifact("PermissionRules")
    factory = env.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    sent = Transactor(env.w3, env.deployer, ABIS).send(
        factory.constructor(env.consortium.address, env.consortium.address, 0), gas=GAS
    )
    new_rules = sent.contract_address
    calls: list[Call] = [(env.ingress.address, 0, bytes.fromhex(env.ingress.encode_abi("setRules", [new_rules, *_probe_node(env)])[2:]))]
    pid = voted(env, calls, "new rules")
    # Executed by an account the new rules would refuse: refused, the executor must still get through.
    refused(env, execute_fn(env, pid, calls, "new rules"), env.spare[6], "RulesLockOut", rules=new_rules)
    assert env.ingress.functions.rules().call() == env.consortium.address
    # Executed by a member's account: the rules change, and still answer from the registry.
    receipt = send(env, execute_fn(env, pid, calls, "new rules"), env.founders[1].user).receipt
    (event,) = env.ingress.events.RulesChanged().process_receipt(receipt, errors=DISCARD)
    assert (event.args.previousRules, event.args.newRules) == (env.consortium.address, new_rules)
    assert env.ingress.functions.rules().call() == new_rules
    assert allowed(env, env.founders[2].user) is True
    assert allowed(env, env.spare[6]) is False
    # Only governance replaces them.
    refused(env, env.ingress.functions.setRules(env.consortium.address, *_probe_node(env)), env.founders[0].admin,
            "OnlyGovernance", caller=env.founders[0].admin)


# ---------------------------------------------------------------------------------------- quorum always reachable
# Two former gaps. A member without an admin account cannot vote, so its weight no longer counts in
# the quorum's base; and an admin account may always send transactions, so every admin the guard
# counts can propose and vote.


def test_members_cannot_leave_governance_unable_to_reach_quorum(env: Env) -> None:
    for f in env.founders[1:]:  # Globex (35) and Initech (25) drop their only admin accounts
        send(env, env.consortium.functions.removeAccounts(f.member_id, [f.admin]), f.admin)
    # Their weight no longer counts: Acme's 40 is the whole base, and the 50 % quorum is within reach.
    assert totals(env) == {"memberCount": 3, "activeMembers": 3, "activeAdmins": 1, "activeNodes": 3,
                           "totalActiveWeight": 40, "totalWeight": 100}
    now = env.consortium.functions.epoch().call()
    assert [env.consortium.functions.memberWeightAt(m, now).call() for m in (1, 2, 3)] == [40, 0, 0]
    calls = [env.call("addAccounts", 2, [env.spare[5]], [5])]
    pid = voted(env, calls, "give Globex an admin again", voters=(0,))
    assert env.consortium.functions.state(pid).call() == ProposalState.SUCCEEDED
    send(env, execute_fn(env, pid, calls, "give Globex an admin again"), env.spare[0])
    # The new admin counts once it has accepted its registration.
    assert totals(env)["totalActiveWeight"] == 40
    send(env, env.consortium.functions.acceptAdmin(), env.spare[5])
    # Globex's weight counts again, for the proposals created from now on, and its new admin votes.
    assert totals(env)["totalActiveWeight"] == 75
    nxt = propose(env, [env.call("setMemberWeight", 3, 30)], "Initech 30")
    assert env.consortium.functions.totalWeightAt(env.consortium.functions.proposalCore(nxt).call()[2]).call() == 75
    receipt = send(env, env.consortium.functions.castVote(nxt, 1), env.spare[5]).receipt
    (vote,) = env.consortium.events.VoteCast().process_receipt(receipt, errors=DISCARD)
    assert (vote.args.memberId, vote.args.weight) == (2, 35)
    # Initech, still without an admin account, had no weight at that proposal's creation.
    assert env.consortium.functions.hasVoted(nxt, 3).call() is False


def test_the_members_with_admin_accounts_hold_the_whole_quorum_base(env: Env) -> None:
    """Whatever the members do to their own admin accounts, the members that still have one hold the
    whole total active weight, so all of them voting together always reaches any quorum."""
    passed(env, [env.call("setSettings", (10_000, 5001, 0, VOTING_PERIOD, 0, EXPIRY))], "quorum 100 %")
    send(env, env.consortium.functions.removeAccounts(3, [env.founders[2].admin]), env.founders[2].admin)
    pid = voted(env, [env.call("setMemberWeight", 1, 41)], "Acme 41", voters=(0, 1))
    assert env.consortium.functions.state(pid).call() == ProposalState.SUCCEEDED  # 75 of 75: Initech no longer counts


def test_admin_accounts_that_cannot_transact_do_not_count_as_the_last_admin(env: Env) -> None:
    admin_only = env.spare[8:11]
    keys = {a.address: a for a in tester_accounts(20)}
    chain_id = env.w3.eth.chain_id
    for f, replacement in zip(env.founders, admin_only):
        send(env, env.consortium.functions.addAccounts(f.member_id, [replacement], [4]), f.admin)
        # Pending, an admin-only account may not transact: it accepts by a signature another submits.
        assert allowed(env, replacement) is False
        nonce = env.consortium.functions.accountInfo(replacement).call()[3]
        signature = sign_admin_acceptance(keys[replacement], f.member_id, nonce, chain_id, env.consortium.address)
        send(env, env.consortium.functions.acceptAdminBySig(replacement, signature), f.admin)
        send(env, env.consortium.functions.removeAccounts(f.member_id, [f.admin]), f.admin)
    assert totals(env)["activeAdmins"] == 3
    # Every admin account is admin-only (flags 4), and each may still send transactions (not create
    # contracts), so the members can still propose and vote on the permissioned chain.
    for account in admin_only:
        assert env.consortium.functions.accountInfo(account).call()[1] == 4
        assert allowed(env, account) is True
        assert env.ingress.functions.transactionAllowed(account, env.spare[0], 1, 0, 0, b"").call() is True
        assert env.ingress.functions.transactionAllowed(account, ZERO, 0, 0, 0, b"").call() is False
    calls = [env.call("setMemberWeight", 1, 41)]
    pid = propose_from(env, calls, "Acme 41", admin_only[0])
    for account in admin_only:
        send(env, env.consortium.functions.castVote(pid, 1), account)
    set_time(env, env.consortium.functions.proposalCore(pid).call()[1] + 1)
    send(env, execute_fn(env, pid, calls, "Acme 41"), admin_only[1])
    assert env.consortium.functions.getMembers(0, 1).call()[0][3] == 41
    # A suspended member's admin-only account loses access like any other of its accounts.
    passed_by(env, [env.call("suspendMember", 3)], "suspend Initech", admin_only[:2])
    assert allowed(env, admin_only[2]) is False


def propose_from(env: Env, calls: list[Call], description: str, sender: str) -> int:
    fn = env.consortium.functions.propose([c[0] for c in calls], [c[1] for c in calls], [c[2] for c in calls], description)
    receipt = send(env, fn, sender).receipt
    return int(env.consortium.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)[0].args.proposalId)


def passed_by(env: Env, calls: list[Call], description: str, voters: list[str]) -> int:
    pid = propose_from(env, calls, description, voters[0])
    for voter in voters:
        send(env, env.consortium.functions.castVote(pid, 1), voter)
    set_time(env, env.consortium.functions.proposalCore(pid).call()[1] + 1)
    send(env, execute_fn(env, pid, calls, description), env.spare[0])
    return pid
