"""Keys, not addresses (issue 14, items 5 and 6), each attack shown refused.

- An admin account registered after the bootstrap is pending until the holder of its key accepts it
  (``acceptAdmin`` from it, or ``acceptAdminBySig`` with its EIP-712 consent, submitted by anyone):
  ``0x...dEaD`` or a mistyped address can never count as the last admin, nor propose, vote or
  manage; a consent by another key, for another member, or replayed after the account was removed
  and registered again is refused. The bootstrap's founding admins are accepted at once.
- A node is registered only with its own node key's consent for that member, so no member can
  register (then drop, or get suspended with) a node whose key it does not hold; governance needs
  the consent too; the bootstrap does not.
- The Consortium's own address cannot be registered as anyone's account, and governance manages a
  suspended member's accounts and nodes.

Helpers are test_registry's and test_lockout's.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from consortium_evm.domain.signatures import sign_admin_acceptance, sign_node_consent, sign_typed
from consortium_evm.domain.spec import node_key
from consortium_evm.node.tester import tester_accounts
from tests.support.contracts import ADMIN, DEPLOY, TRANSACT, check_error, fund, reverts, send
from tests.support.governance import execute_fn, passed, propose, voted
from tests.support.registry import addr, deploy_consortium, events, member, totals, view
from tests.support.consortium import bootstrap_node, enode, node_private_key, signed_node

DEAD = Web3.to_checksum_address("0x000000000000000000000000000000000000dEaD")
KEYS: dict[str, LocalAccount] = {a.address: a for a in tester_accounts(20)}
"""eth-tester's funded accounts (the founders' and env.spare's) with their keys."""


def typo(address: str) -> str:
    """``address`` with its last hex digit changed: a mistyped address nobody holds."""
    last = address[-1].lower()
    return Web3.to_checksum_address(address[:-1] + ("0" if last != "0" else "1"))


def info(env: Any, account: str) -> tuple[Any, ...]:
    """``accountInfo``: (memberId, flags in force, adminPending, consentNonce)."""
    return tuple(view(env, env.consortium.functions.accountInfo(account)))


def acceptance(env: Any, holder: LocalAccount, member_id: int, nonce: int | None = None) -> bytes:
    """``holder``'s signed acceptance for ``member_id`` (by default at its current consent nonce)."""
    if nonce is None:
        nonce = info(env, holder.address)[3]
    return sign_admin_acceptance(holder, member_id, nonce, env.w3.eth.chain_id, env.consortium.address)


def proposal_fn(env: Any, description: str = "a proposal") -> Any:
    target, value, data = env.call("setMemberWeight", 1, 41)
    return env.consortium.functions.propose([target], [value], [data], description)


def drop_other_admins(env: Any) -> None:
    """Founders 2 and 3 remove their only admin accounts: founder 1's admin is the last real one."""
    for f in env.founders[1:]:
        send(env, env.consortium.functions.removeAccounts(f.member_id, [f.admin]), f.admin)
    assert totals(env)[2] == 1


def refused_at_execution(env: Any, calls: list[tuple[str, int, bytes]], description: str,
                         voters: tuple[int, ...] = (0, 1, 2)) -> Any:
    """A proposal of ``calls`` passes; returns the error its execution reverts with."""
    proposal_id = voted(env, calls, description, voters)
    return reverts(env, execute_fn(env, proposal_id, calls, description), env.spare[0])


# ---------------------------------------------------------------------------------------- item 6: admins


@pytest.mark.parametrize("who", ["0x...dEaD", "a mistyped address"])
def test_an_unreachable_admin_address_does_not_satisfy_the_lock_out_guard(env, who):
    c, f1 = env.consortium, env.founders[0]
    target = DEAD if who == "0x...dEaD" else typo(env.spare[1])
    drop_other_admins(env)
    sent = send(env, c.functions.addAccounts(1, [target], [ADMIN | TRANSACT]), f1.admin)
    assert [(e.memberId, e.account, e.flags) for e in events(env, "AccountAdded", sent)] == [
        (1, target, ADMIN | TRANSACT)]
    assert [(e.memberId, e.account) for e in events(env, "AdminAcceptancePending", sent)] == [(1, target)]
    assert info(env, target) == (1, TRANSACT, True, 0)
    assert member(env, 1)[7] == 1 and totals(env)[2] == 1  # not counted

    # The attack: drop the last real admin, leaving the unreachable address as "the admin".
    check_error(reverts(env, c.functions.removeAccounts(1, [f1.admin]), f1.admin), "WouldLeaveNoAdmin")
    check_error(reverts(env, c.functions.removeAccounts(1, [f1.user, f1.admin]), f1.admin), "WouldLeaveNoAdmin")
    # Through governance neither (member 1 holds the whole active weight).
    err = refused_at_execution(env, [env.call("removeAccounts", 1, [f1.admin])], "drop Acme's admin", voters=(0,))
    check_error(err, "WouldLeaveNoAdmin")
    assert info(env, f1.admin) == (1, ADMIN | TRANSACT, False, 0)

    # Pending, it has none of an admin's powers (asked as if its holder could send).
    fund(env, target)
    check_error(reverts(env, proposal_fn(env), target), "NotMemberAdmin", account=target, memberId=1)
    proposal_id = propose(env, [env.call("setMemberWeight", 1, 42)], "Acme 42", sender=f1.admin)
    check_error(reverts(env, c.functions.castVote(proposal_id, 1), target), "NotMemberAdmin", account=target,
                memberId=1)
    for fn in (c.functions.addAccounts(1, [addr(1)], [ADMIN]), c.functions.removeAccounts(1, [f1.admin]),
               c.functions.addNodes(1, [signed_node(101, 1)]), c.functions.removeNodes(1, [f1.node.key])):
        check_error(reverts(env, fn, target), "OnlyGovernance", caller=target)
    assert view(env, c.functions.accountAccess(target)) == TRANSACT
    # The real admin withdraws it (pending accounts can be removed), which moves its consent nonce on.
    send(env, c.functions.removeAccounts(1, [target]), f1.admin)
    assert info(env, target) == (0, 0, False, 1) and member(env, 1)[6:8] == (2, 1)


def test_an_admin_counts_only_once_it_accepts_by_transaction(env):
    c, f1 = env.consortium, env.founders[0]
    newbie = env.spare[1]
    env.pass_proposal([env.call("addMember", "Umbrella", "", 20, [newbie], [ADMIN | TRANSACT], [signed_node(101, 4)])])
    epoch = view(env, c.functions.epoch())
    assert info(env, newbie) == (4, TRANSACT, True, 0)
    assert member(env, 4)[6:] == (1, 0, 1)
    assert totals(env) == (4, 4, 3, 4, 100, 120)  # 3 admins; its 20 not in the total active weight
    assert view(env, c.functions.memberWeightAt(4, epoch)) == 0
    assert view(env, c.functions.totalWeightAt(epoch)) == 100
    # it cannot propose, vote or manage its member
    check_error(reverts(env, proposal_fn(env), newbie), "NotMemberAdmin", account=newbie, memberId=4)
    before = propose(env, [env.call("setMemberWeight", 1, 41)], "Acme 41", sender=f1.admin)
    check_error(reverts(env, c.functions.castVote(before, 1), newbie), "NotMemberAdmin", account=newbie, memberId=4)
    check_error(reverts(env, c.functions.addAccounts(4, [addr(1)], [TRANSACT]), newbie), "OnlyGovernance",
                caller=newbie)

    sent = send(env, c.functions.acceptAdmin(), newbie)
    assert [(e.memberId, e.account) for e in events(env, "AdminAccepted", sent)] == [(4, newbie)]
    assert info(env, newbie) == (4, ADMIN | TRANSACT, False, 1)
    assert member(env, 4)[6:] == (1, 1, 1)
    assert totals(env) == (4, 4, 4, 4, 120, 120)
    now = view(env, c.functions.epoch())
    assert now == epoch + 1
    assert view(env, c.functions.memberWeightAt(4, now)) == 20 and view(env, c.functions.totalWeightAt(now)) == 120
    # It counts for proposals created from now on (not the one created while it was pending) ...
    check_error(reverts(env, c.functions.castVote(before, 1), newbie), "NoVotingWeight", memberId=4,
                proposalId=before)
    # ... and now proposes, votes with its member's weight and manages its member.
    proposal_id = propose(env, [env.call("setMemberWeight", 4, 21)], "Umbrella 21", sender=newbie)
    sent = send(env, c.functions.castVote(proposal_id, 1), newbie)
    assert [(e.memberId, e.weight) for e in events(env, "VoteCast", sent)] == [(4, 20)]
    send(env, c.functions.addAccounts(4, [addr(1)], [TRANSACT]), newbie)
    check_error(reverts(env, c.functions.acceptAdmin(), newbie), "NoPendingAdmin", account=newbie)


def test_an_admin_accepts_by_signature_submitted_by_a_third_party_and_then_counts_for_the_guard(env):
    c, f1 = env.consortium, env.founders[0]
    holder = KEYS[env.spare[2]]
    relayer = env.spare[0]  # belongs to no member
    drop_other_admins(env)
    send(env, c.functions.addAccounts(1, [holder.address], [ADMIN]), f1.admin)  # admin-only: it cannot send
    check_error(reverts(env, c.functions.removeAccounts(1, [f1.admin]), f1.admin), "WouldLeaveNoAdmin")

    signature = acceptance(env, holder, 1)
    sent = send(env, c.functions.acceptAdminBySig(holder.address, signature), relayer)
    assert [(e.memberId, e.account) for e in events(env, "AdminAccepted", sent)] == [(1, holder.address)]
    assert info(env, holder.address) == (1, ADMIN, False, 1)
    assert member(env, 1)[7] == 2 and totals(env)[2] == 2
    # the same signature does not accept twice
    check_error(reverts(env, c.functions.acceptAdminBySig(holder.address, signature), relayer),
                "InvalidConsentSignature", account=holder.address)
    # Now the guard counts it: the founding admin may go, and the accepted one governs alone.
    send(env, c.functions.removeAccounts(1, [f1.admin]), f1.admin)
    assert totals(env)[2] == 1
    check_error(reverts(env, c.functions.removeAccounts(1, [holder.address]), holder.address), "WouldLeaveNoAdmin")
    calls = [env.call("setMemberWeight", 1, 41)]
    proposal_id = propose(env, calls, "Acme 41", sender=holder.address)
    send(env, c.functions.castVote(proposal_id, 1), holder.address)
    env.advance(3600 + 1)
    send(env, execute_fn(env, proposal_id, calls, "Acme 41"), relayer)
    assert member(env, 1)[3] == 41


def test_forged_misdirected_and_replayed_acceptances_are_refused(env):
    c, f1, f2 = env.consortium, env.founders[0], env.founders[1]
    holder, other = KEYS[env.spare[2]], KEYS[env.spare[3]]
    relayer, chain_id = env.spare[0], env.w3.eth.chain_id
    send(env, c.functions.addAccounts(1, [holder.address], [ADMIN]), f1.admin)
    assert info(env, holder.address) == (1, 0, True, 0)

    def by_sig(signature: bytes) -> Any:
        return c.functions.acceptAdminBySig(holder.address, signature)

    message = {"account": holder.address, "memberId": 1, "nonce": 0}
    bad = {
        "another key signing for the account": sign_typed(other, "AdminAcceptance", message, chain_id, c.address),
        "another key's own acceptance": sign_admin_acceptance(other, 1, 0, chain_id, c.address),
        "for another member": acceptance(env, holder, 2, 0),
        "at another nonce": acceptance(env, holder, 1, 1),
        "for another contract": sign_admin_acceptance(holder, 1, 0, chain_id, env.ingress.address),
        "on another chain": sign_admin_acceptance(holder, 1, 0, chain_id + 1, c.address),
        "empty": b"",
    }
    for what, signature in bad.items():
        err = reverts(env, by_sig(signature), relayer)
        assert err.name == "InvalidConsentSignature", what
        check_error(err, "InvalidConsentSignature", account=holder.address)
    assert info(env, holder.address) == (1, 0, True, 0)

    # Replay after removal and registration again: a consent signed for the first registration
    # (never submitted, or leaked) does not accept the second one, by the same member or another.
    first = acceptance(env, holder, 1)
    send(env, c.functions.removeAccounts(1, [holder.address]), f1.admin)
    assert info(env, holder.address) == (0, 0, False, 1)
    check_error(reverts(env, by_sig(first), relayer), "InvalidConsentSignature", account=holder.address)
    send(env, c.functions.addAccounts(1, [holder.address], [ADMIN]), f1.admin)
    assert info(env, holder.address) == (1, 0, True, 1)
    check_error(reverts(env, by_sig(first), relayer), "InvalidConsentSignature", account=holder.address)
    # accepted with a fresh consent, removed, then registered by member 2: neither consent replays
    second = acceptance(env, holder, 1)
    send(env, by_sig(second), relayer)
    send(env, c.functions.removeAccounts(1, [holder.address]), f1.admin)
    send(env, c.functions.addAccounts(2, [holder.address], [ADMIN]), f2.admin)
    assert info(env, holder.address) == (2, 0, True, 3)
    for signature in (first, second):
        check_error(reverts(env, by_sig(signature), relayer), "InvalidConsentSignature", account=holder.address)
    assert member(env, 2)[7] == 1  # still only its founding admin
    send(env, by_sig(acceptance(env, holder, 2)), relayer)  # its holder's consent for member 2 does
    assert member(env, 2)[7] == 2

    # Nothing pending: a valid consent of an unregistered account, or an accepted or plain account.
    stranger = KEYS[env.spare[4]]
    check_error(reverts(env, c.functions.acceptAdminBySig(stranger.address, acceptance(env, stranger, 0)), relayer),
                "NoPendingAdmin", account=stranger.address)
    for account in (f1.admin, f1.user, env.spare[5]):
        check_error(reverts(env, c.functions.acceptAdmin(), account), "NoPendingAdmin", account=account)


def test_a_removed_members_pending_admin_cannot_accept(env):
    c, f3 = env.consortium, env.founders[2]
    pending = env.spare[1]
    send(env, c.functions.addAccounts(3, [pending], [ADMIN | TRANSACT]), f3.admin)
    signature = acceptance(env, KEYS[pending], 3)
    passed(env, [env.call("removeMember", 3)], "remove Initech", voters=(0, 1))
    check_error(reverts(env, c.functions.acceptAdmin(), pending), "NoPendingAdmin", account=pending)
    check_error(reverts(env, c.functions.acceptAdminBySig(pending, signature), env.spare[0]), "NoPendingAdmin",
                account=pending)


def test_an_account_allowed_on_its_own_keeps_no_pending_admin_registration(env):
    """A pending admin of a removed member, then allowed on its own by governance: its record no
    longer says it waits for an acceptance (the client would show it as a pending admin of no member)."""
    c, f3 = env.consortium, env.founders[2]
    pending = env.spare[1]
    send(env, c.functions.addAccounts(3, [pending], [ADMIN | TRANSACT]), f3.admin)
    passed(env, [env.call("removeMember", 3)], "remove Initech", voters=(0, 1))
    assert info(env, pending)[:3] == (3, TRANSACT, True)
    passed(env, [env.call("setUnaffiliatedAccount", pending, TRANSACT)], "allow it on its own", voters=(0, 1))
    assert info(env, pending)[:3] == (0, TRANSACT, False)
    check_error(reverts(env, c.functions.acceptAdmin(), pending), "NoPendingAdmin", account=pending)


def test_founding_admins_are_accepted_at_the_bootstrap_only(env):
    c = env.consortium
    for f in env.founders:
        assert info(env, f.admin) == (f.member_id, ADMIN | TRANSACT, False, 0)
        assert member(env, f.member_id)[7] == 1
    assert len(c.events.AccountAdded().get_logs(from_block=0)) == 6
    assert c.events.AdminAcceptancePending().get_logs(from_block=0) == []
    # On a new Consortium: the bootstrapper's admin is accepted at once; after the hand-over, not.
    boot, admin, later = env.spare[10], env.spare[11], env.spare[12]
    fresh = deploy_consortium(env, boot)
    sent = send(env, fresh.functions.addMember("Only", "", 10, [admin], [ADMIN], [bootstrap_node(101)]), boot)
    assert [e.account for e in events(env, "AccountAdded", sent, fresh)] == [admin]
    assert events(env, "AdminAcceptancePending", sent, fresh) == []
    assert tuple(fresh.functions.accountInfo(admin).call()) == (1, ADMIN, False, 0)
    assert tuple(fresh.functions.totals().call())[2] == 1
    send(env, fresh.functions.startGovernance(), boot)  # the guard counts it
    send(env, fresh.functions.addAccounts(1, [later], [ADMIN]), admin)
    assert tuple(fresh.functions.accountInfo(later).call()) == (1, 0, True, 0)
    assert tuple(fresh.functions.totals().call())[2] == 1


# ---------------------------------------------------------------------------------------- item 6: nodes


def test_a_member_cannot_register_a_node_whose_key_it_does_not_hold(env):
    c, f1, f2 = env.consortium, env.founders[0], env.founders[1]
    chain_id = env.w3.eth.chain_id
    victim = 50  # member 2's node, about to be registered by member 2
    key = node_key(enode(victim))
    public_key, host, port = bytes.fromhex(enode(victim)), "10.9.0.50", 30303
    for_member_2 = signed_node(victim, 2, host, port)
    attempts = {
        "no signature": bootstrap_node(victim, host, port),
        "its consent for member 2": for_member_2,
        "member 1's own node key signing for it": (public_key, host, port, sign_typed(
            Account.from_key(node_private_key(51)), "NodeConsent", {"nodeKey": key, "memberId": 1}, chain_id,
            c.address)),
        "its consent for another contract": (public_key, host, port, sign_node_consent(
            node_private_key(victim), 1, chain_id, env.ingress.address)),
        "its consent on another chain": (public_key, host, port, sign_node_consent(
            node_private_key(victim), 1, chain_id + 1, c.address)),
    }
    for what, spec in attempts.items():
        err = reverts(env, c.functions.addNodes(1, [spec]), f1.admin)
        assert err.name == "InvalidNodeSignature", what
        check_error(err, "InvalidNodeSignature", nodeKey=key)
    # nor slipped into a batch behind a node it does hold
    check_error(reverts(env, c.functions.addNodes(1, [signed_node(52, 1), for_member_2]), f1.admin),
                "InvalidNodeSignature", nodeKey=key)
    assert tuple(view(env, c.functions.nodeAccess(key)))[:2] == (0, False)
    # Its owner registers it with its consent; member 1 registers the node it holds.
    send(env, c.functions.addNodes(2, [for_member_2]), f2.admin)
    assert tuple(view(env, c.functions.nodeAccess(key)))[:2] == (2, True)
    send(env, c.functions.addNodes(1, [signed_node(52, 1)]), f1.admin)
    assert tuple(view(env, c.functions.nodeAccess(node_key(enode(52)))))[:2] == (1, True)
    # Member 2 drops a node (moving it, say): its old consent still registers it for member 2 only.
    send(env, c.functions.removeNodes(2, [f2.node.key]), f2.admin)
    check_error(reverts(env, c.functions.addNodes(1, [signed_node(2, 2, f2.node.host)]), f1.admin),
                "InvalidNodeSignature", nodeKey=f2.node.key)


def test_a_governance_proposal_adding_a_node_needs_its_consent_too(env):
    c = env.consortium
    cases = {
        "addNodes without a signature": ([env.call("addNodes", 1, [bootstrap_node(53)])], 53),
        "addNodes with a consent for member 2": ([env.call("addNodes", 1, [signed_node(53, 2)])], 53),
        "addMember with a consent for member 5": (
            [env.call("addMember", "Umbrella", "", 5, [], [], [signed_node(54, 5)])], 54),
    }
    for what, (calls, n) in cases.items():
        err = refused_at_execution(env, calls, what)
        assert err.name == "InvalidNodeSignature", what
        check_error(err, "InvalidNodeSignature", nodeKey=node_key(enode(n)))
    assert totals(env)[:4] == (3, 3, 3, 3)
    env.pass_proposal([env.call("addNodes", 1, [signed_node(53, 1)]),
                       env.call("addMember", "Umbrella", "", 5, [], [], [signed_node(54, 4)])])
    assert tuple(view(env, c.functions.nodeAccess(node_key(enode(53)))))[:2] == (1, True)
    assert tuple(view(env, c.functions.nodeAccess(node_key(enode(54)))))[:2] == (4, True)


def test_the_bootstrap_registers_nodes_without_consent_and_only_the_bootstrap(env):
    boot, admin = env.spare[10], env.spare[11]
    fresh = deploy_consortium(env, boot)
    send(env, fresh.functions.addMember("Only", "", 10, [admin], [ADMIN | TRANSACT], [bootstrap_node(60)]), boot)
    send(env, fresh.functions.addNodes(1, [bootstrap_node(61)]), boot)
    for n in (60, 61):
        assert tuple(fresh.functions.nodeAccess(node_key(enode(n))).call())[:2] == (1, True)
    send(env, fresh.functions.startGovernance(), boot)
    key = node_key(enode(62))
    check_error(reverts(env, fresh.functions.addNodes(1, [bootstrap_node(62)]), admin), "InvalidNodeSignature",
                nodeKey=key)
    # a consent signed for the session's Consortium does not do for this one
    check_error(reverts(env, fresh.functions.addNodes(1, [signed_node(62, 1)]), admin), "InvalidNodeSignature",
                nodeKey=key)
    signature = sign_node_consent(node_private_key(62), 1, env.w3.eth.chain_id, fresh.address)
    send(env, fresh.functions.addNodes(1, [(bytes.fromhex(enode(62)), "10.9.0.62", 30303, signature)]), admin)
    assert tuple(fresh.functions.nodeAccess(key).call())[:2] == (1, True)


# ---------------------------------------------------------------------------------------- item 5


@pytest.mark.parametrize("flags", [ADMIN, ADMIN | TRANSACT, TRANSACT, DEPLOY | TRANSACT])
def test_a_member_cannot_register_the_consortium_as_its_account(env, flags):
    c, f1 = env.consortium, env.founders[0]
    check_error(reverts(env, c.functions.addAccounts(1, [c.address], [flags]), f1.admin), "ReservedAccount",
                account=c.address)
    check_error(reverts(env, c.functions.addAccounts(1, [addr(1), c.address], [TRANSACT, flags]), f1.admin),
                "ReservedAccount", account=c.address)
    assert info(env, c.address) == (0, 0, False, 0)


def test_governance_cannot_register_the_consortium_as_an_account_either(env):
    c = env.consortium
    cases = {
        "setUnaffiliatedAccount": [env.call("setUnaffiliatedAccount", c.address, TRANSACT)],
        "addAccounts": [env.call("addAccounts", 2, [c.address], [ADMIN])],
        "addMember": [env.call("addMember", "Self", "", 5, [c.address], [ADMIN | TRANSACT], [])],
    }
    for what, calls in cases.items():
        err = refused_at_execution(env, calls, what)
        assert err.name == "ReservedAccount", what
        check_error(err, "ReservedAccount", account=c.address)
    assert info(env, c.address) == (0, 0, False, 0)
    assert view(env, c.functions.accountAccess(c.address)) == 0


def test_governance_manages_a_suspended_members_accounts_and_nodes(env):
    c, f3 = env.consortium, env.founders[2]
    passed(env, [env.call("suspendMember", 3)], "suspend Initech", voters=(0, 1))
    check_error(reverts(env, c.functions.addAccounts(3, [addr(1)], [TRANSACT]), f3.admin), "MemberNotActive",
                memberId=3)
    new_node = node_key(enode(70))
    calls = [
        env.call("addAccounts", 3, [addr(1)], [TRANSACT]),
        env.call("removeAccounts", 3, [f3.user]),
        env.call("addNodes", 3, [signed_node(70, 3)]),
        env.call("removeNodes", 3, [f3.node.key]),
    ]
    passed(env, calls, "tidy up Initech", voters=(0, 1))
    assert member(env, 3)[4:5] == (2,) and member(env, 3)[6:] == (2, 1, 1)
    assert info(env, addr(1)) == (3, TRANSACT, False, 0) and info(env, f3.user)[0] == 0
    assert tuple(view(env, c.functions.nodeAccess(new_node)))[:2] == (3, False)  # suspended: no access yet
    assert tuple(view(env, c.functions.nodeAccess(f3.node.key)))[0] == 0
    assert totals(env)[:4] == (3, 2, 2, 2)
    # removing a suspended member's last admin account too: it does not count for the guard anyway
    passed(env, [env.call("removeAccounts", 3, [f3.admin])], "Initech's admin goes", voters=(0, 1))
    assert member(env, 3)[7] == 0
    passed(env, [env.call("reinstateMember", 3)], "reinstate Initech", voters=(0, 1))
    assert view(env, c.functions.accountAccess(addr(1))) == TRANSACT
    assert tuple(view(env, c.functions.nodeAccess(new_node)))[:2] == (3, True)
    assert totals(env)[:5] == (3, 3, 2, 3, 75)  # without an admin account its weight does not count
