"""The member registry side of the Consortium: members, their accounts and nodes, weights and their
history, limits, unaffiliated accounts, paging, and who may call what.

Governance actions that must change state go through real proposals (propose, vote, execute). To
check the many ways a governance call is refused without a proposal each, ``gov`` simulates the call
with ``eth_call`` from the Consortium's own address, which is exactly the caller an executed proposal
is (``test_add_member_error_surfaces_from_proposal_execution`` shows a real execution reverts the
same way).
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from consortium_evm.domain.signatures import sign_typed
from consortium_evm.domain.spec import MAX_TOTAL_WEIGHT, node_key
from consortium_evm.errors import ContractRevertError
from consortium_evm.tx.transactions import Transactor
from tests.support.consortium import VOTING_PERIOD, bootstrap_node, signed_node
from tests.support.contracts import ABIS, ADMIN, DEPLOY, TRANSACT, ZERO, check_error, fund, reverts, send
from tests.support.governance import execute_fn, propose
from tests.support.registry import (
    accept_by_sig,
    account_infos,
    addr,
    deploy_consortium,
    enode_id,
    events,
    govern,
    hexkey,
    host_hash,
    member,
    node,
    signer,
    totals,
    view,
)

ACTIVE, SUSPENDED, REMOVED = 1, 2, 3
MAX_WEIGHT = 2**32 - 1


# ---------------------------------------------------------------------------------------- helpers


@pytest.fixture
def gov(env: Any) -> Transactor:
    """Simulates calls as governance (from the Consortium itself)."""
    fund(env, env.consortium.address)
    return Transactor(env.w3, env.consortium.address, ABIS)


def gov_error(gov: Transactor, fn: Any) -> ContractRevertError:
    with pytest.raises(ContractRevertError) as info:
        gov.simulate(fn)
    return info.value


# ---------------------------------------------------------------------------------------- reads after bootstrap


def test_bootstrapped_registry_reads(env):
    c = env.consortium
    assert totals(env) == (3, 3, 3, 3, 100, 100)
    assert tuple(view(env, c.functions.memberLimits())) == (1000, 64)
    assert view(env, c.functions.bootstrapper()) == ZERO
    for f in env.founders:
        mid, name, uri, weight, status, joined, accounts, admins, nodes = member(env, f.member_id)
        uri_expected = f"https://example.org/{f.member_id}.json"
        assert (mid, name, uri, weight, status) == (f.member_id, f.name, uri_expected, f.weight, ACTIVE)
        assert (accounts, admins, nodes) == (2, 1, 1) and joined > 0
        # the founding admins were accepted at the bootstrap: not pending, consent nonce 0
        assert tuple(view(env, c.functions.accountInfo(f.admin))) == (f.member_id, ADMIN | TRANSACT, False, 0)
        assert tuple(view(env, c.functions.accountInfo(f.user))) == (f.member_id, TRANSACT, False, 0)
        assert view(env, c.functions.accountAccess(f.user)) == TRANSACT
        assert tuple(view(env, c.functions.memberOf(f.admin))) == (f.member_id, True)
        mid, active, hh, port = view(env, c.functions.nodeAccess(f.node.key))
        assert (mid, active, hh, port) == (f.member_id, True, host_hash(f.node.host), f.node.port)
    outsider = env.spare[3]
    assert tuple(view(env, c.functions.accountInfo(outsider))) == (0, 0, False, 0)
    assert view(env, c.functions.accountAccess(outsider)) == 0
    assert tuple(view(env, c.functions.memberOf(outsider))) == (0, False)
    assert tuple(view(env, c.functions.nodeAccess(node_key(enode_id(77))))) == (0, False, bytes(26), 0)


# ---------------------------------------------------------------------------------------- addMember


def test_add_member_through_proposal(env):
    c = env.consortium
    admin, deployer = env.spare[1], addr(2)  # the admin sends its acceptance: a funded account
    n1, n2 = node(101, "node-a.example.org", 30303), node(102, "10.1.2.3", 30310)
    sent = govern(env, [env.call("addMember", "Umbrella Corp", "ipfs://umbrella", 17,
                                 [admin, deployer], [ADMIN | TRANSACT, DEPLOY], [n1, n2])])
    (added,) = events(env, "MemberAdded", sent)
    assert (added.memberId, added.name, added.metadataURI, added.weight) == (4, "Umbrella Corp", "ipfs://umbrella", 17)
    assert [(e.memberId, e.account, e.flags) for e in events(env, "AccountAdded", sent)] == [
        (4, admin, ADMIN | TRANSACT), (4, deployer, DEPLOY)]
    assert [(e.memberId, e.nodeKey, e.publicKey, e.host, e.port) for e in events(env, "NodeAdded", sent)] == [
        (4, node_key(enode_id(101)), n1[0], n1[1], n1[2]), (4, node_key(enode_id(102)), n2[0], n2[1], n2[2])]
    joined = env.w3.eth.get_block(sent.block_number)["timestamp"]
    # The admin account waits for its acceptance: until then it is no admin and the weight does not count.
    assert [(e.memberId, e.account) for e in events(env, "AdminAcceptancePending", sent)] == [(4, admin)]
    assert member(env, 4) == (4, "Umbrella Corp", "ipfs://umbrella", 17, ACTIVE, joined, 2, 0, 2)
    assert totals(env) == (4, 4, 3, 5, 100, 117)
    assert tuple(view(env, c.functions.accountInfo(admin))) == (4, TRANSACT, True, 0)
    assert view(env, c.functions.accountAccess(admin)) == TRANSACT
    sent = send(env, c.functions.acceptAdmin(), admin)
    assert [(e.memberId, e.account) for e in events(env, "AdminAccepted", sent)] == [(4, admin)]
    assert member(env, 4) == (4, "Umbrella Corp", "ipfs://umbrella", 17, ACTIVE, joined, 2, 1, 2)
    assert totals(env) == (4, 4, 4, 5, 117, 117)
    assert tuple(view(env, c.functions.accountInfo(deployer))) == (4, DEPLOY, False, 0)
    assert view(env, c.functions.accountAccess(admin)) == ADMIN | TRANSACT
    assert tuple(view(env, c.functions.memberOf(deployer))) == (4, True)
    assert tuple(view(env, c.functions.nodeAccess(node_key(enode_id(102))))) == (4, True, host_hash("10.1.2.3"), 30310)


def _add(name: str = "New", weight: int = 5, accounts=(), flags=(), nodes=()) -> tuple:
    return (name, "", weight, list(accounts), list(flags), list(nodes))


ADD_MEMBER_ERRORS = {
    "empty name": (lambda env: _add(name=""), "EmptyName", lambda env: {}),
    "zero weight": (lambda env: _add(weight=0), "InvalidWeight", lambda env: {"weight": 0}),
    "fewer flags than accounts": (
        lambda env: _add(accounts=[addr(1), addr(2)], flags=[TRANSACT]), "LengthMismatch", lambda env: {}),
    "more flags than accounts": (
        lambda env: _add(accounts=[addr(1)], flags=[TRANSACT, TRANSACT]), "LengthMismatch", lambda env: {}),
    "flags 0": (lambda env: _add(accounts=[addr(1)], flags=[0]), "InvalidFlags",
                lambda env: {"account": addr(1), "flags": 0}),
    "unknown flag bit": (lambda env: _add(accounts=[addr(1)], flags=[ADMIN | 8]), "InvalidFlags",
                         lambda env: {"account": addr(1), "flags": 12}),
    "high flag bit": (lambda env: _add(accounts=[addr(1)], flags=[0x80]), "InvalidFlags",
                      lambda env: {"account": addr(1), "flags": 0x80}),
    "zero address": (lambda env: _add(accounts=[ZERO], flags=[TRANSACT]), "InvalidFlags",
                     lambda env: {"account": ZERO, "flags": TRANSACT}),
    "account of another member": (
        lambda env: _add(accounts=[addr(1), env.founders[1].user], flags=[ADMIN, TRANSACT]),
        "AccountAlreadyRegistered", lambda env: {"account": env.founders[1].user, "memberId": 2}),
    "duplicate account in the batch": (
        lambda env: _add(accounts=[addr(1), addr(2), addr(1)], flags=[ADMIN, TRANSACT, DEPLOY]),
        "AccountAlreadyRegistered", lambda env: {"account": addr(1), "memberId": 4}),
    "63-byte public key": (lambda env: _add(nodes=[(bytes(63), "h", 1, b"")]), "InvalidPublicKey",
                           lambda env: {"publicKey": bytes(63)}),
    "65-byte public key": (lambda env: _add(nodes=[(b"\x01" * 65, "h", 1, b"")]), "InvalidPublicKey",
                           lambda env: {"publicKey": b"\x01" * 65}),
    "empty public key": (lambda env: _add(nodes=[(b"", "h", 1, b"")]), "InvalidPublicKey",
                         lambda env: {"publicKey": b""}),
    "node of another member": (lambda env: _add(nodes=[node(101), node(3, "elsewhere", 1)]), "NodeAlreadyRegistered",
                               lambda env: {"nodeKey": hexkey(3), "memberId": 3}),
    "duplicate node in the batch": (lambda env: _add(nodes=[node(101), node(101, "other", 2)]),
                                    "NodeAlreadyRegistered", lambda env: {"nodeKey": hexkey(101), "memberId": 4}),
    "more nodes than the limit": (lambda env: _add(nodes=[node(200 + i) for i in range(65)]),
                                  "MemberLimitExceeded", lambda env: {"memberId": 4, "limit": 64}),
}


@pytest.mark.parametrize("case", list(ADD_MEMBER_ERRORS))
def test_add_member_refused(env, gov, case):
    args, name, expected = ADD_MEMBER_ERRORS[case]
    check_error(gov_error(gov, env.consortium.functions.addMember(*args(env))), name, **expected(env))
    # while well-formed input is accepted from the same caller
    assert gov.simulate(env.consortium.functions.addMember(*_add(accounts=[addr(1)], flags=[TRANSACT],
                                                                  nodes=[node(101)]))) == 4


def test_add_member_error_surfaces_from_proposal_execution(env):
    calls = [env.call("addMember", *_add(accounts=[addr(1), addr(1)], flags=[ADMIN, TRANSACT]))]
    proposal_id = propose(env, calls, "dup", sender=env.founders[0].admin)
    for f in env.founders[:2]:
        send(env, env.consortium.functions.castVote(proposal_id, 1), f.admin)
    env.advance(VOTING_PERIOD + 1)
    check_error(reverts(env, execute_fn(env, proposal_id, calls, "dup"), env.spare[0]),
                "AccountAlreadyRegistered", account=addr(1), memberId=4)
    assert totals(env) == (3, 3, 3, 3, 100, 100)
    assert view(env, env.consortium.functions.state(proposal_id)) == 4  # Succeeded: may be retried


@pytest.mark.slow
def test_total_weight_cap(env):
    """Weights are uint32 and tallies 40-bit: the 257th member at full weight would pass the cap.
    Built on a new, not yet started Consortium whose bootstrapper may call addMember directly."""
    boot = env.spare[10]
    c = deploy_consortium(env, boot)
    # Each with an admin account, so that every weight counts in the total active weight too.
    for i in range(256):
        data = c.encode_abi("addMember", list(_add(name="m", weight=MAX_WEIGHT, accounts=[addr(1000 + i)],
                                                   flags=[ADMIN])))
        env.w3.eth.send_transaction({"from": boot, "to": c.address, "data": data, "gas": 400_000})
    tx = Transactor(env.w3, boot, ABIS)
    last = _add(name="last", weight=255, accounts=[addr(999)], flags=[ADMIN])
    tx.send(c.functions.addMember(*last), gas=400_000)  # exactly at the cap
    assert tuple(c.functions.totals().call({"from": boot}))[4:] == (MAX_TOTAL_WEIGHT, MAX_TOTAL_WEIGHT)
    with pytest.raises(ContractRevertError) as info:
        tx.simulate(c.functions.addMember(*_add(name="one more", weight=1)))
    check_error(info.value, "InvalidWeight", weight=1)
    with pytest.raises(ContractRevertError) as info:
        tx.simulate(c.functions.setMemberWeight(257, 256))
    check_error(info.value, "InvalidWeight", weight=256)
    tx.simulate(c.functions.setMemberWeight(257, 254))  # lowering is fine


# ---------------------------------------------------------------------------------------- member lifecycle


def test_suspend_and_reinstate(env, gov):
    c, f3 = env.consortium, env.founders[2]
    e0 = view(env, c.functions.epoch())
    # a suspended member's weight may still change: it counts once the member is back
    sent = govern(env, [env.call("suspendMember", 3), env.call("setMemberWeight", 3, 10)])
    assert [e.memberId for e in events(env, "MemberSuspended", sent)] == [3]
    assert [tuple(e.values()) for e in events(env, "MemberWeightChanged", sent)] == [(3, 25, 10)]
    e1 = view(env, c.functions.epoch())
    assert e1 == e0 + 1  # only the suspension changed an effective weight
    assert member(env, 3)[3:5] == (10, SUSPENDED)
    assert totals(env) == (3, 2, 2, 2, 75, 85)
    assert view(env, c.functions.accountAccess(f3.user)) == 0
    assert view(env, c.functions.accountAccess(f3.admin)) == 0
    assert tuple(view(env, c.functions.accountInfo(f3.admin))) == (3, ADMIN | TRANSACT, False, 0)  # as registered
    assert tuple(view(env, c.functions.memberOf(f3.user))) == (3, False)
    assert tuple(view(env, c.functions.nodeAccess(f3.node.key)))[:2] == (3, False)
    # the suspended member's admin cannot manage its accounts or nodes any more
    for fn in (c.functions.addAccounts(3, [addr(1)], [TRANSACT]), c.functions.removeAccounts(3, [f3.user]),
               c.functions.addNodes(3, [node(101, member=3)]), c.functions.removeNodes(3, [f3.node.key])):
        check_error(reverts(env, fn, f3.admin), "MemberNotActive", memberId=3)
    check_error(gov_error(gov, c.functions.suspendMember(3)), "MemberNotActive", memberId=3)
    check_error(gov_error(gov, c.functions.suspendMember(99)), "MemberNotActive", memberId=99)
    check_error(gov_error(gov, c.functions.reinstateMember(1)), "MemberNotSuspended", memberId=1)
    check_error(gov_error(gov, c.functions.reinstateMember(99)), "MemberNotSuspended", memberId=99)
    # its accounts and nodes stay its own while it is suspended
    check_error(reverts(env, c.functions.addAccounts(1, [f3.user], [TRANSACT]), env.founders[0].admin),
                "AccountAlreadyRegistered", account=f3.user, memberId=3)
    check_error(gov_error(gov, c.functions.addNodes(1, [f3.node.as_tuple()])),
                "NodeAlreadyRegistered", nodeKey=f3.node.key, memberId=3)

    sent = govern(env, [env.call("reinstateMember", 3)])
    assert [e.memberId for e in events(env, "MemberReinstated", sent)] == [3]
    e2 = view(env, c.functions.epoch())
    assert member(env, 3)[3:5] == (10, ACTIVE)
    assert totals(env) == (3, 3, 3, 3, 85, 85)
    assert view(env, c.functions.accountAccess(f3.user)) == TRANSACT
    assert tuple(view(env, c.functions.nodeAccess(f3.node.key)))[:2] == (3, True)
    assert [view(env, c.functions.memberWeightAt(3, e)) for e in (e0, e1, e2, e2 + 9)] == [25, 0, 10, 10]
    assert [view(env, c.functions.totalWeightAt(e)) for e in (e0, e1, e2)] == [100, 75, 85]
    send(env, c.functions.addAccounts(3, [addr(1)], [TRANSACT]), f3.admin)  # manages itself again


def test_remove_members(env, gov):
    c, f2, f3 = env.consortium, env.founders[1], env.founders[2]
    e0 = view(env, c.functions.epoch())
    sent = govern(env, [env.call("removeMember", 3), env.call("suspendMember", 2), env.call("removeMember", 2)])
    assert [e.memberId for e in events(env, "MemberRemoved", sent)] == [3, 2]
    assert [e.memberId for e in events(env, "MemberSuspended", sent)] == [2]
    assert [member(env, i)[4] for i in (1, 2, 3)] == [ACTIVE, REMOVED, REMOVED]
    assert totals(env) == (3, 1, 1, 1, 40, 40)
    # removing member 3 and suspending member 2 each started an epoch; removing a suspended member did not
    assert view(env, c.functions.epoch()) == e0 + 2
    assert [view(env, c.functions.memberWeightAt(m, e0)) for m in (1, 2, 3)] == [40, 35, 25]
    assert [view(env, c.functions.memberWeightAt(m, e0 + 1)) for m in (1, 2, 3)] == [40, 35, 0]
    assert [view(env, c.functions.memberWeightAt(m, e0 + 2)) for m in (1, 2, 3)] == [40, 0, 0]
    assert [view(env, c.functions.totalWeightAt(e)) for e in (e0, e0 + 1, e0 + 2)] == [100, 75, 40]
    for f in (f2, f3):
        assert view(env, c.functions.accountAccess(f.admin)) == 0
        assert tuple(view(env, c.functions.memberOf(f.user))) == (f.member_id, False)
        assert tuple(view(env, c.functions.nodeAccess(f.node.key)))[:2] == (f.member_id, False)
    assert [m[0] for m in view(env, c.functions.getMembers(0, 10))] == [1, 2, 3]  # still listed
    check_error(reverts(env, c.functions.addAccounts(3, [addr(1)], [TRANSACT]), f3.admin),
                "MemberNotActive", memberId=3)
    for fn, name in ((c.functions.removeMember(3), "UnknownMember"), (c.functions.removeMember(99), "UnknownMember"),
                     (c.functions.removeMember(0), "UnknownMember"),
                     (c.functions.setMemberWeight(3, 5), "UnknownMember"),
                     (c.functions.addAccounts(3, [addr(1)], [TRANSACT]), "UnknownMember"),
                     (c.functions.addNodes(3, [node(101, member=3)]), "UnknownMember"),
                     (c.functions.reinstateMember(3), "MemberNotSuspended"),
                     (c.functions.suspendMember(3), "MemberNotActive")):
        check_error(gov_error(gov, fn), name, memberId=fn.args[0])
    # the last active member can be neither suspended nor removed
    check_error(gov_error(gov, c.functions.removeMember(1)), "WouldLeaveNoActiveMember")
    check_error(gov_error(gov, c.functions.suspendMember(1)), "WouldLeaveNoActiveMember")


def test_set_member_weight_and_weight_history(env, gov):
    c = env.consortium
    e0 = view(env, c.functions.epoch())
    # each change of an effective weight starts an epoch: e0+1 member 2 -> 50, e0+2 member 4 (joined
    # with 5) counts, from its admin account's acceptance on: a pending admin does not make it count
    late = _add(name="Late", weight=5, accounts=[signer(1).address], flags=[ADMIN])
    sent = govern(env, [env.call("setMemberWeight", 2, 50), env.call("addMember", *late)])
    assert [tuple(e.values()) for e in events(env, "MemberWeightChanged", sent)] == [(2, 35, 50)]
    assert view(env, c.functions.epoch()) == e0 + 1
    accept_by_sig(env, signer(1), 4)
    assert view(env, c.functions.epoch()) == e0 + 2
    assert member(env, 2)[3] == 50
    assert totals(env) == (4, 4, 4, 3, 120, 120)

    def weights(epoch: int) -> list[int]:
        return [view(env, c.functions.memberWeightAt(m, epoch)) for m in (1, 2, 3, 4)]

    assert weights(e0) == [40, 35, 25, 0]
    assert weights(e0 + 1) == [40, 50, 25, 0]
    assert weights(e0 + 2) == [40, 50, 25, 5]
    assert weights(e0 + 50) == [40, 50, 25, 5]  # the latest weights hold for later epochs
    assert weights(0) == [0, 0, 0, 0]  # before anyone joined
    assert [view(env, c.functions.totalWeightAt(e)) for e in (0, e0, e0 + 1, e0 + 2, e0 + 50)] == [
        0, 100, 115, 120, 120]
    check_error(gov_error(gov, c.functions.setMemberWeight(2, 0)), "InvalidWeight", weight=0)
    check_error(gov_error(gov, c.functions.setMemberWeight(99, 1)), "UnknownMember", memberId=99)


def test_a_weight_counts_only_while_the_member_has_an_admin_account(env, gov):
    """The effective weight (in votes, in the quorum's base and in the history by epoch) is the weight of
    an active member with at least one admin account; the epoch advances only when it changes."""
    c = env.consortium
    e0 = view(env, c.functions.epoch())
    admin, second = env.spare[1], env.spare[2]

    def weight_at(epoch: int) -> int:
        return view(env, c.functions.memberWeightAt(4, epoch))

    # Added without an admin account: listed, active, its accounts may transact, but its weight does not count.
    govern(env, [env.call("addMember", *_add(name="Quiet", weight=10, accounts=[addr(1)], flags=[TRANSACT]))])
    assert member(env, 4)[3:5] == (10, ACTIVE) and member(env, 4)[7] == 0
    assert view(env, c.functions.epoch()) == e0
    assert totals(env) == (4, 4, 3, 3, 100, 110)
    assert weight_at(e0) == 0
    # Nor do its weight and status changes change an effective weight.
    govern(env, [env.call("setMemberWeight", 4, 12), env.call("suspendMember", 4), env.call("reinstateMember", 4)])
    assert view(env, c.functions.epoch()) == e0
    assert totals(env) == (4, 4, 3, 3, 100, 112)
    # Its first admin account (from governance) makes it count once accepted; further admins change nothing.
    govern(env, [env.call("addAccounts", 4, [admin], [ADMIN])])
    assert view(env, c.functions.epoch()) == e0 and totals(env)[2] == 3  # pending: no admin yet
    send(env, c.functions.acceptAdmin(), admin)
    assert view(env, c.functions.epoch()) == e0 + 1
    assert totals(env) == (4, 4, 4, 3, 112, 112)
    assert [weight_at(e) for e in (e0, e0 + 1)] == [0, 12]
    assert view(env, c.functions.totalWeightAt(e0 + 1)) == 112
    send(env, c.functions.addAccounts(4, [second], [ADMIN | TRANSACT]), admin)
    send(env, c.functions.acceptAdmin(), second)
    send(env, c.functions.removeAccounts(4, [admin]), second)
    assert view(env, c.functions.epoch()) == e0 + 1
    assert totals(env) == (4, 4, 4, 3, 112, 112)
    # Removing its last admin account stops its weight counting, in a new epoch.
    sent = send(env, c.functions.removeAccounts(4, [second, addr(1)]), second)
    assert [(e.memberId, e.account) for e in events(env, "AccountRemoved", sent)] == [(4, second), (4, addr(1))]
    assert view(env, c.functions.epoch()) == e0 + 2
    assert totals(env) == (4, 4, 3, 3, 100, 112)
    assert [weight_at(e) for e in (e0, e0 + 1, e0 + 2, e0 + 9)] == [0, 12, 0, 0]
    assert [view(env, c.functions.totalWeightAt(e)) for e in (e0, e0 + 1, e0 + 2)] == [100, 112, 100]
    # Only governance can give it one back (no admin account of its own is left to do it).
    check_error(reverts(env, c.functions.addAccounts(4, [admin], [ADMIN]), admin), "OnlyGovernance", caller=admin)
    # Suspended, it may get an admin account (which may accept meanwhile), which counts once it is reinstated.
    govern(env, [env.call("suspendMember", 4), env.call("addAccounts", 4, [admin], [ADMIN])])
    send(env, c.functions.acceptAdmin(), admin)
    assert view(env, c.functions.epoch()) == e0 + 2
    assert totals(env) == (4, 3, 3, 3, 100, 112)
    govern(env, [env.call("reinstateMember", 4)])
    assert view(env, c.functions.epoch()) == e0 + 3
    assert totals(env) == (4, 4, 4, 3, 112, 112)
    # Suspended or removed, a member with an admin account stops counting as before.
    govern(env, [env.call("removeMember", 4)])
    assert view(env, c.functions.epoch()) == e0 + 4
    assert totals(env) == (4, 3, 3, 3, 100, 100)
    assert [weight_at(e) for e in (e0 + 2, e0 + 3, e0 + 4)] == [0, 12, 0]


# ---------------------------------------------------------------------------------------- limits


def test_member_limits_and_a_200_account_batch(env, gov):
    c, f1 = env.consortium, env.founders[0]
    sent = govern(env, [env.call("setMemberLimits", 202, 2)])  # founder 1 owns 2 accounts and 1 node
    assert [(e.maxAccounts, e.maxNodes) for e in events(env, "MemberLimitsChanged", sent)] == [(202, 2)]
    assert tuple(view(env, c.functions.memberLimits())) == (202, 2)
    # the member's admin fills the account cap exactly with 200 accounts in one transaction
    batch = [addr(1000 + i) for i in range(200)]
    sent = send(env, c.functions.addAccounts(1, batch, [TRANSACT] * 200), f1.admin, gas=8_000_000)
    assert [(e.memberId, e.account, e.flags) for e in events(env, "AccountAdded", sent)] == [
        (1, a, TRANSACT) for a in batch]
    assert account_infos(env, batch) == [(1, TRANSACT, False, 0)] * 200
    assert member(env, 1)[6:] == (202, 1, 1)
    assert totals(env) == (3, 3, 3, 3, 100, 100)
    check_error(reverts(env, c.functions.addAccounts(1, [addr(1)], [TRANSACT]), f1.admin),
                "MemberLimitExceeded", memberId=1, limit=202)
    assert tuple(view(env, c.functions.accountInfo(addr(1)))) == (0, 0, False, 0)
    # nodes: one more fits, then the cap holds; a batch past it is refused as a whole
    check_error(reverts(env, c.functions.addNodes(1, [node(101, member=1), node(102, member=1)]), f1.admin),
                "MemberLimitExceeded", memberId=1, limit=2)
    assert tuple(view(env, c.functions.nodeAccess(node_key(enode_id(101)))))[0] == 0
    send(env, c.functions.addNodes(1, [node(101, member=1)]), f1.admin)
    check_error(reverts(env, c.functions.addNodes(1, [node(102, member=1)]), f1.admin),
                "MemberLimitExceeded", memberId=1, limit=2)
    assert member(env, 1)[6:] == (202, 1, 2)
    # a new member must fit the limits too
    check_error(gov_error(gov, c.functions.addMember(*_add(nodes=[node(102), node(103), node(104)]))),
                "MemberLimitExceeded", memberId=4, limit=2)
    check_error(gov_error(gov, c.functions.setMemberLimits(0, 5)), "InvalidLimits", maxAccounts=0, maxNodes=5)
    check_error(gov_error(gov, c.functions.setMemberLimits(5, 0)), "InvalidLimits", maxAccounts=5, maxNodes=0)


# ---------------------------------------------------------------------------------------- members manage themselves


def test_member_admin_manages_own_accounts_and_nodes(env):
    c, f1 = env.consortium, env.founders[0]
    a, b = addr(1), signer(2).address
    sent = send(env, c.functions.addAccounts(1, [a, b], [TRANSACT | DEPLOY, ADMIN]), f1.admin)
    assert [(e.memberId, e.account, e.flags) for e in events(env, "AccountAdded", sent)] == [
        (1, a, TRANSACT | DEPLOY), (1, b, ADMIN)]
    assert tuple(view(env, c.functions.accountInfo(a))) == (1, TRANSACT | DEPLOY, False, 0)
    assert member(env, 1)[6:] == (4, 1, 1)  # b is an admin once it accepts
    accept_by_sig(env, signer(2), 1)
    assert member(env, 1)[6:] == (4, 2, 1)
    assert totals(env)[2] == 4  # active admins

    sent = send(env, c.functions.removeAccounts(1, [a, b]), f1.admin)
    assert [(e.memberId, e.account) for e in events(env, "AccountRemoved", sent)] == [(1, a), (1, b)]
    assert tuple(view(env, c.functions.accountInfo(a))) == (0, 0, False, 1)  # removal moves the consent nonce on
    assert view(env, c.functions.accountAccess(a)) == 0
    assert member(env, 1)[6:] == (2, 1, 1)
    assert totals(env)[2] == 3

    spec = node(101, "10.7.7.7", 30399, member=1)
    sent = send(env, c.functions.addNodes(1, [spec]), f1.admin)
    assert [(e.memberId, e.nodeKey, e.publicKey, e.host, e.port) for e in events(env, "NodeAdded", sent)] == [
        (1, node_key(enode_id(101)), spec[0], "10.7.7.7", 30399)]
    assert tuple(view(env, c.functions.nodeAccess(node_key(enode_id(101))))) == (
        1, True, host_hash("10.7.7.7"), 30399)
    assert member(env, 1)[8] == 2 and totals(env)[3] == 4

    sent = send(env, c.functions.removeNodes(1, [node_key(enode_id(101))]), f1.admin)
    assert [(e.memberId, e.nodeKey) for e in events(env, "NodeRemoved", sent)] == [(1, node_key(enode_id(101)))]
    assert tuple(view(env, c.functions.nodeAccess(node_key(enode_id(101))))) == (0, False, bytes(26), 0)
    assert member(env, 1)[8] == 1 and totals(env)[3] == 3


def test_member_management_refusals(env):
    c, f1, f2 = env.consortium, env.founders[0], env.founders[1]
    other_member = [
        c.functions.addAccounts(2, [addr(1)], [TRANSACT]), c.functions.removeAccounts(2, [f2.user]),
        c.functions.addNodes(2, [node(101, member=2)]), c.functions.removeNodes(2, [f2.node.key]),
    ]
    for fn in other_member:  # another member's admin, and the member's own non-admin account
        check_error(reverts(env, fn, f1.admin), "OnlyGovernance", caller=f1.admin)
        check_error(reverts(env, fn, f2.user), "OnlyGovernance", caller=f2.user)
        check_error(reverts(env, fn, env.spare[3]), "OnlyGovernance", caller=env.spare[3])
    check_error(reverts(env, c.functions.addAccounts(0, [addr(1)], [TRANSACT]), env.spare[3]),
                "OnlyGovernance", caller=env.spare[3])
    # an admin of member 1, but removing what is not member 1's
    check_error(reverts(env, c.functions.removeAccounts(1, [f2.user]), f1.admin),
                "AccountNotInMember", account=f2.user, memberId=1)
    check_error(reverts(env, c.functions.removeAccounts(1, [addr(9)]), f1.admin),
                "AccountNotInMember", account=addr(9), memberId=1)
    check_error(reverts(env, c.functions.removeAccounts(1, [f1.user, f1.user]), f1.admin),
                "AccountNotInMember", account=f1.user, memberId=1)
    check_error(reverts(env, c.functions.removeNodes(1, [f2.node.key]), f1.admin),
                "NodeNotInMember", nodeKey=f2.node.key, memberId=1)
    check_error(reverts(env, c.functions.removeNodes(1, [node_key(enode_id(101))]), f1.admin),
                "NodeNotInMember", nodeKey=node_key(enode_id(101)), memberId=1)
    # and registering what it may not
    check_error(reverts(env, c.functions.addAccounts(1, [f2.user], [TRANSACT]), f1.admin),
                "AccountAlreadyRegistered", account=f2.user, memberId=2)
    check_error(reverts(env, c.functions.addAccounts(1, [addr(1)], [TRANSACT, TRANSACT]), f1.admin), "LengthMismatch")
    check_error(reverts(env, c.functions.addAccounts(1, [addr(1)], [16]), f1.admin),
                "InvalidFlags", account=addr(1), flags=16)
    check_error(reverts(env, c.functions.addNodes(1, [node(2, "x", 1, member=1)]), f1.admin),
                "NodeAlreadyRegistered", nodeKey=f2.node.key, memberId=2)
    check_error(reverts(env, c.functions.addNodes(1, [(b"\x05" * 32, "x", 1, b"")]), f1.admin),
                "InvalidPublicKey", publicKey=b"\x05" * 32)


def test_lock_out_guards(env):
    """Members may drop their own nodes and admin accounts, but not the consortium's last ones."""
    c = env.consortium
    f1, f2, f3 = env.founders
    for f in (f1, f2):
        sent = send(env, c.functions.removeNodes(f.member_id, [f.node.key]), f.admin)
        assert [e.memberId for e in events(env, "NodeRemoved", sent)] == [f.member_id]
    assert totals(env)[3] == 1
    check_error(reverts(env, c.functions.removeNodes(3, [f3.node.key]), f3.admin), "WouldLeaveNoNode")
    for f in (f1, f2):
        send(env, c.functions.removeAccounts(f.member_id, [f.admin]), f.admin)
        assert view(env, c.functions.accountAccess(f.admin)) == 0
    assert totals(env)[2] == 1
    check_error(reverts(env, c.functions.removeAccounts(3, [f3.user, f3.admin]), f3.admin), "WouldLeaveNoAdmin")
    # with another admin in place the same removal goes through, once the new admin has accepted
    # (a pending admin does not count: it may be a typo or a dead address)
    send(env, c.functions.addAccounts(3, [signer(1).address], [ADMIN]), f3.admin)
    check_error(reverts(env, c.functions.removeAccounts(3, [f3.user, f3.admin]), f3.admin), "WouldLeaveNoAdmin")
    accept_by_sig(env, signer(1), 3)
    send(env, c.functions.removeAccounts(3, [f3.user, f3.admin]), f3.admin)
    assert totals(env)[2:4] == (1, 1)


def test_start_governance_guards(env):
    """On a new Consortium: the bootstrapper alone acts, and hands over only a working consortium."""
    boot, stranger = env.spare[10], env.spare[11]
    c = deploy_consortium(env, boot)
    assert c.functions.bootstrapper().call({"from": boot}) == boot
    check_error(reverts(env, c.functions.addMember(*_add()), stranger), "OnlyGovernance", caller=stranger)
    check_error(reverts(env, c.functions.startGovernance(), stranger), "NotBootstrapper", caller=stranger)
    check_error(reverts(env, c.functions.startGovernance(), boot), "WouldLeaveNoActiveMember")
    send(env, c.functions.addMember(*_add(accounts=[addr(1)], flags=[TRANSACT])), boot)
    check_error(reverts(env, c.functions.startGovernance(), boot), "WouldLeaveNoAdmin")
    send(env, c.functions.addAccounts(1, [addr(2)], [ADMIN]), boot)
    check_error(reverts(env, c.functions.startGovernance(), boot), "WouldLeaveNoNode")
    send(env, c.functions.addNodes(1, [bootstrap_node(101)]), boot)  # the bootstrap needs no node signature
    sent = send(env, c.functions.startGovernance(), boot)
    assert [e.formerBootstrapper for e in events(env, "GovernanceStarted", sent, c)] == [boot]
    assert c.functions.bootstrapper().call({"from": boot}) == ZERO
    check_error(reverts(env, c.functions.startGovernance(), boot), "NotBootstrapper", caller=boot)
    check_error(reverts(env, c.functions.addMember(*_add()), boot), "OnlyGovernance", caller=boot)
    # its governance may not suspend or remove the only member either
    fund(env, c.address)
    as_gov = Transactor(env.w3, c.address, ABIS)
    for fn in (c.functions.suspendMember(1), c.functions.removeMember(1)):
        with pytest.raises(ContractRevertError) as info:
            as_gov.simulate(fn)
        check_error(info.value, "WouldLeaveNoActiveMember")


# ---------------------------------------------------------------------------------------- re-registration


def sign_ballot(env: Any, key: bytes, proposal_id: int, support: int, member_id: int, nonce: int) -> bytes:
    """A ballot signed by ``key``'s account for ``member_id``, with the member's ballot nonce ``nonce``."""
    voter = Account.from_key(key)
    message = {"proposalId": proposal_id, "support": support, "memberId": member_id, "voter": voter.address,
               "nonce": nonce}
    return sign_typed(voter, "Ballot", message, env.w3.eth.chain_id, env.consortium.address)


def test_removed_members_accounts_and_nodes_can_be_registered_again(env, gov):
    c = env.consortium
    f1, f2, f3 = env.founders
    key = bytes(Web3.keccak(text="registry test signer"))
    signer_account = Account.from_key(key)
    signer = signer_account.address
    send(env, c.functions.addAccounts(3, [signer], [ADMIN]), f3.admin)
    accept_by_sig(env, signer_account, 3)  # an admin counts (and votes) once accepted; consent nonce now 1
    # while member 3 is active nobody else may take its accounts or nodes
    check_error(reverts(env, c.functions.addAccounts(1, [f3.user], [TRANSACT]), f1.admin),
                "AccountAlreadyRegistered", account=f3.user, memberId=3)
    check_error(gov_error(gov, c.functions.setUnaffiliatedAccount(f3.user, TRANSACT)),
                "AccountAlreadyRegistered", account=f3.user, memberId=3)

    calls = [env.call("removeMember", 3)]
    proposal_id = propose(env, calls, "remove 3", sender=f1.admin)
    send(env, c.functions.castVote(proposal_id, 1), f1.admin)
    sig = sign_ballot(env, key, proposal_id, 1, 3, 0)
    send(env, c.functions.castVoteBySig(proposal_id, 1, signer, 0, sig), env.spare[2])  # member 3 votes, by signature
    assert tuple(view(env, c.functions.accountInfo(signer))) == (3, ADMIN, False, 1)
    assert view(env, c.functions.ballotNonce(3)) == 1  # ballot nonces are the member's
    env.advance(VOTING_PERIOD + 1)
    send(env, execute_fn(env, proposal_id, calls, "remove 3"), env.spare[0])
    assert member(env, 3)[4] == REMOVED

    sent = send(env, c.functions.addAccounts(1, [signer, f3.admin], [ADMIN | TRANSACT, TRANSACT]), f1.admin)
    assert [(e.memberId, e.account) for e in events(env, "AccountAdded", sent)] == [(1, signer), (1, f3.admin)]
    # pending again for its new member, its consent nonce kept (its old acceptance cannot be replayed)
    assert tuple(view(env, c.functions.accountInfo(signer))) == (1, TRANSACT, True, 1)
    accept_by_sig(env, signer_account, 1)
    assert tuple(view(env, c.functions.accountInfo(signer))) == (1, ADMIN | TRANSACT, False, 2)
    # Its old ballot cannot be replayed for its new member: member 1's ballot nonce is still 0, but a
    # ballot names its member (it was signed for member 3), so it does not verify (new rule: ballot
    # nonces are per member, and the ballot carries the member id).
    assert view(env, c.functions.ballotNonce(1)) == 0
    check_error(reverts(env, c.functions.castVoteBySig(proposal_id, 1, signer, 0, sig), env.spare[2]),
                "InvalidVoteSignature", voter=signer)
    assert tuple(view(env, c.functions.accountInfo(f3.admin))) == (1, TRANSACT, False, 0)
    assert view(env, c.functions.accountAccess(signer)) == ADMIN | TRANSACT
    # a node's consent names its member: member 3's node is re-registered with a consent for member 2
    send(env, c.functions.addNodes(2, [signed_node(3, 2, f3.node.host, f3.node.port)]), f2.admin)
    assert tuple(view(env, c.functions.nodeAccess(f3.node.key))) == (2, True, host_hash(f3.node.host), f3.node.port)
    assert member(env, 1)[6:] == (4, 2, 1) and member(env, 2)[6:] == (2, 1, 2)
    assert totals(env) == (3, 2, 3, 3, 75, 75)
    # a removed member's account may also be allowed on its own
    gov.simulate(c.functions.setUnaffiliatedAccount(f3.user, TRANSACT))


# ---------------------------------------------------------------------------------------- unaffiliated accounts


def test_unaffiliated_accounts(env, gov):
    c, f1 = env.consortium, env.founders[0]
    x, y = addr(1), addr(2)
    sent = govern(env, [env.call("setUnaffiliatedAccount", x, TRANSACT),
                        env.call("setUnaffiliatedAccount", x, TRANSACT | DEPLOY),
                        env.call("setUnaffiliatedAccount", y, DEPLOY),
                        env.call("setUnaffiliatedAccount", y, 0)])
    assert [(e.memberId, e.account, e.flags) for e in events(env, "AccountAdded", sent)] == [
        (0, x, TRANSACT), (0, x, TRANSACT | DEPLOY), (0, y, DEPLOY)]
    assert [(e.memberId, e.account) for e in events(env, "AccountRemoved", sent)] == [(0, y)]
    assert tuple(view(env, c.functions.accountInfo(x))) == (0, TRANSACT | DEPLOY, False, 0)
    assert view(env, c.functions.accountAccess(x)) == TRANSACT | DEPLOY
    assert tuple(view(env, c.functions.memberOf(x))) == (0, False)
    assert tuple(view(env, c.functions.accountInfo(y))) == (0, 0, False, 0)
    assert view(env, c.functions.accountAccess(y)) == 0
    assert totals(env) == (3, 3, 3, 3, 100, 100)
    for flags in (ADMIN, ADMIN | TRANSACT, 8, 0xFF):
        check_error(gov_error(gov, c.functions.setUnaffiliatedAccount(x, flags)),
                    "InvalidFlags", account=x, flags=flags)
    check_error(gov_error(gov, c.functions.setUnaffiliatedAccount(ZERO, TRANSACT)),
                "InvalidFlags", account=ZERO, flags=TRANSACT)
    check_error(gov_error(gov, c.functions.setUnaffiliatedAccount(f1.user, TRANSACT)),
                "AccountAlreadyRegistered", account=f1.user, memberId=1)
    # a member cannot claim an account governance allowed on its own; a withdrawn one it can
    check_error(reverts(env, c.functions.addAccounts(1, [x], [TRANSACT]), f1.admin),
                "AccountAlreadyRegistered", account=x, memberId=0)
    send(env, c.functions.addAccounts(1, [y], [TRANSACT]), f1.admin)
    assert tuple(view(env, c.functions.accountInfo(y))) == (1, TRANSACT, False, 0)


# ---------------------------------------------------------------------------------------- paging


def test_get_members_pages(env):
    c = env.consortium
    specs = []
    for i in range(25):
        flags = (TRANSACT, ADMIN | TRANSACT, DEPLOY, ADMIN)[i % 4]
        nodes = [node(300 + i, member=4 + i)] if i % 3 == 0 else []
        account = signer(500 + i).address if flags & ADMIN else addr(500 + i)
        specs.append((f"Member {i + 4:02d}", f"ipfs://member-{i + 4}", 10 + i, [account], [flags], nodes))
    sent = govern(env, [env.call("addMember", *s) for s in specs], gas=15_000_000)
    for i, spec in enumerate(specs):  # the admin accounts accept (they count from then on)
        if spec[4][0] & ADMIN:
            accept_by_sig(env, signer(500 + i), 4 + i)
    assert [e.memberId for e in events(env, "MemberAdded", sent)] == list(range(4, 29))
    joined = env.w3.eth.get_block(sent.block_number)["timestamp"]
    pages = [view(env, c.functions.getMembers(offset, 10)) for offset in (0, 10, 20)]
    assert [len(p) for p in pages] == [10, 10, 8]
    rows = [tuple(m) for p in pages for m in p]
    assert [r[0] for r in rows] == list(range(1, 29))
    assert [r[1] for r in rows[:3]] == [f.name for f in env.founders]
    for i, (name, uri, weight, _accounts, flags, nodes) in enumerate(specs):
        has_admin = 1 if flags[0] & ADMIN else 0
        assert rows[3 + i] == (4 + i, name, uri, weight, ACTIVE, joined, 1, has_admin, len(nodes))
    assert view(env, c.functions.getMembers(28, 10)) == []
    assert view(env, c.functions.getMembers(1000, 10)) == []
    assert view(env, c.functions.getMembers(5, 0)) == []
    assert tuple(view(env, c.functions.getMembers(27, 10))[0])[:2] == (28, "Member 28")
    assert len(view(env, c.functions.getMembers(3, 2**256 - 1))) == 25  # a huge limit does not overflow
    admins = sum(1 for s in specs if s[4][0] & ADMIN)
    nodes = sum(len(s[5]) for s in specs)
    weight = 100 + sum(s[2] for s in specs)
    counted = 100 + sum(s[2] for s in specs if s[4][0] & ADMIN)  # only members with an admin account
    assert totals(env) == (28, 28, 3 + admins, 3 + nodes, counted, weight)


# ---------------------------------------------------------------------------------------- who may govern


def _gov_calls(env: Any) -> dict[str, Any]:
    f = env.consortium.functions
    f2 = env.founders[1]
    return {
        "addMember": f.addMember(*_add()),
        "suspendMember": f.suspendMember(2),
        "reinstateMember": f.reinstateMember(2),
        "removeMember": f.removeMember(2),
        "setMemberWeight": f.setMemberWeight(2, 1),
        "setMemberLimits": f.setMemberLimits(10, 10),
        "setUnaffiliatedAccount": f.setUnaffiliatedAccount(addr(1), TRANSACT),
        "setNodeMatch": f.setNodeMatch(1),
        "setSettings": f.setSettings((5000, 5001, 0, 60, 0, 60)),
        "addAccounts": f.addAccounts(2, [addr(1)], [TRANSACT]),
        "removeAccounts": f.removeAccounts(2, [f2.user]),
        "addNodes": f.addNodes(2, [node(101, member=2)]),
        "removeNodes": f.removeNodes(2, [f2.node.key]),
        "startGovernance": f.startGovernance(),
    }


GOV_FUNCTIONS = ["addMember", "suspendMember", "reinstateMember", "removeMember", "setMemberWeight",
                 "setMemberLimits", "setUnaffiliatedAccount", "setNodeMatch", "setSettings", "addAccounts",
                 "removeAccounts", "addNodes", "removeNodes", "startGovernance"]


@pytest.mark.parametrize("name", GOV_FUNCTIONS)
def test_governance_functions_refuse_bootstrapper_and_members(env, name):
    fn = _gov_calls(env)[name]
    assert view(env, env.consortium.functions.bootstrapper()) == ZERO
    # startGovernance names its own refusal: only the bootstrapper, before the hand-over, may call it
    error = "NotBootstrapper" if name == "startGovernance" else "OnlyGovernance"
    check_error(reverts(env, fn, env.deployer), error, caller=env.deployer)
    admin = env.founders[0].admin
    check_error(reverts(env, fn, admin), error, caller=admin)
