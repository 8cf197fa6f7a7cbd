"""``client.members`` on the embedded chain: reads (list, paging, get, by account, by node, account,
details, totals) compared with the registry's own answers, and a member admin managing its own
accounts and nodes, with each refusal as its named error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from eth_account import Account
from eth_utils.crypto import keccak
from web3 import Web3

import consortium_evm.client.members as members_module
from consortium_evm.client import AccountSpec, ConsortiumClient, Member, MemberStatus, NodeSpec, Role
from consortium_evm.contract_errors import (
    AccountAlreadyRegistered,
    AccountNotInMember,
    InvalidConsentSignature,
    InvalidFlags,
    InvalidNodeSignature,
    MemberLimitExceeded,
    MemberNotActive,
    NoPendingAdmin,
    NodeAlreadyRegistered,
    NodeNotInMember,
    NotMemberAdmin,
    UnknownMember,
    WouldLeaveNoAdmin,
    WouldLeaveNoNode,
)
from consortium_evm.domain.signatures import sign_node_consent, sign_typed
from consortium_evm.errors import ConfigError
from tests.support.client import keys, make_client, pass_proposal
from tests.support.consortium import Env, enode, node_private_key

ZERO = "0x0000000000000000000000000000000000000000"


def chain_member(env: Env, member_id: int) -> tuple[Any, ...]:
    return tuple(env.consortium.functions.getMembers(member_id - 1, 1).call()[0])


def as_view(member: Member) -> tuple[Any, ...]:
    return (member.id, member.name, member.metadata_uri, member.weight, int(member.status), member.joined_at,
            member.account_count, member.admin_count, member.node_count)


def url(node: NodeSpec) -> str:
    return f"enode://{node.enode_id}@{node.host}:{node.port}"


# -- reads ---------------------------------------------------------------------------------------------


def test_list_and_get_are_the_registry_in_id_order(env: Env, reader: ConsortiumClient) -> None:
    members = reader.members.list()
    assert [m.id for m in members] == [1, 2, 3]
    for member, founder in zip(members, env.founders):
        assert as_view(member) == chain_member(env, founder.member_id)
        assert (member.name, member.weight, member.status, member.active) == (founder.name, founder.weight,
                                                                              MemberStatus.ACTIVE, True)
        assert reader.members.get(founder.member_id) == member
    assert reader.members.list(status=MemberStatus.ACTIVE) == members
    assert reader.members.list(status=MemberStatus.SUSPENDED) == []
    assert reader.members.list(include_removed=False) == members
    assert json.loads(json.dumps(members[0].to_json()))["status"] == "active"


@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_list_pages_through_the_registry(env: Env, reader: ConsortiumClient, page_size: int,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    expected = reader.members.list()
    calls: list[tuple[str, tuple[Any, ...]]] = []
    call = reader.call

    def spy(fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append((fn.fn_name, tuple(fn.args)))
        return call(fn, *args, **kwargs)

    monkeypatch.setattr(members_module, "PAGE_SIZE", page_size)
    monkeypatch.setattr(reader, "call", spy)
    assert reader.members.list() == expected
    pages = [args for name, args in calls if name == "getMembers"]
    assert pages == [(offset, page_size) for offset in range(0, len(expected), page_size)]
    assert len(calls) == len(pages) + 1  # and the count


def test_get_unknown_member_is_a_named_error(reader: ConsortiumClient) -> None:
    for member_id in (0, 4, 99):
        with pytest.raises(UnknownMember) as info:
            reader.members.get(member_id)
        assert info.value.member_id == member_id
        assert "UnknownMember" in str(info.value)


def test_by_account_and_by_node_in_every_form(env: Env, reader: ConsortiumClient) -> None:
    f2 = env.founders[1]
    assert reader.members.by_account(f2.admin) == reader.members.by_account(f2.user.lower()) == reader.members.get(2)
    assert reader.members.by_account(env.spare[0]) is None
    key = "0x" + bytes(keccak(bytes.fromhex(f2.node.enode_id))).hex()
    assert env.consortium.functions.nodeAccess(key).call()[0] == 2
    forms = [url(f2.node), f2.node.enode_id, "0x" + f2.node.enode_id, f2.node.enode_id.upper(), key]
    for form in forms:
        assert reader.members.by_node(form) == reader.members.get(2), form
    assert reader.members.by_node(enode(99)) is None
    for bad in ("enode://1234@host:1", "not-a-node", "0x1234"):
        with pytest.raises(ConfigError):
            reader.members.by_node(bad)
    with pytest.raises(ConfigError):
        reader.members.by_account("0x1234")


def test_account_is_its_record_and_its_access(env: Env, reader: ConsortiumClient) -> None:
    f1 = env.founders[0]
    admin = reader.members.account(f1.admin.lower())
    # a founding admin of the bootstrap is accepted as registered
    assert (admin.address, admin.member_id, admin.roles, admin.admin_pending, admin.consent_nonce, admin.active) == (
        f1.admin, 1, Role.ADMIN | Role.TRANSACT, False, 0, True)
    member_id, flags, pending, nonce = env.consortium.functions.accountInfo(f1.user).call()
    user = reader.members.account(f1.user)
    assert (user.member_id, int(user.roles), user.admin_pending, user.consent_nonce) == (member_id, flags, pending, nonce)
    nobody = reader.members.account(env.spare[0])
    assert (nobody.member_id, nobody.roles, nobody.active) == (0, Role(0), False)
    assert json.loads(json.dumps(admin.to_json()))["roles"] == "transact,admin"
    assert Role.parse(admin.to_json()["roles"]) == admin.roles
    assert nobody.to_json()["roles"] == ""


def test_details_are_rebuilt_from_events_after_changes(env: Env, client: ConsortiumClient) -> None:
    f1 = env.founders[0]
    before = client.members.details(1)
    assert before.member == client.members.get(1)
    assert {a.address: a.roles for a in before.accounts} == {f1.admin: Role.ADMIN | Role.TRANSACT,
                                                            f1.user: Role.TRANSACT}
    assert [(n.enode_id, n.host, n.port, n.member_id) for n in before.nodes] == [
        (f1.node.enode_id, f1.node.host, f1.node.port, 1)]
    assert before.nodes[0].enode == url(f1.node)
    assert before.nodes[0].key == "0x" + f1.node.key.hex()

    deployer, new_node = env.spare[1], NodeSpec(enode(40), "node40.example", 30304)
    client.members.add_accounts({deployer: ["deploy", "transact"]})
    client.members.remove_accounts([f1.user])
    client.members.add_nodes([client.members.signed_node(url(new_node), node_private_key(40), 1)])
    client.members.remove_nodes(["0x" + f1.node.enode_id])
    # removed and added again: the latest registration counts
    client.members.add_accounts([AccountSpec(f1.user, Role.DEPLOY)])

    after = client.members.details(1)
    assert {a.address: (a.roles, a.active) for a in after.accounts} == {
        f1.admin: (Role.ADMIN | Role.TRANSACT, True),
        deployer: (Role.DEPLOY | Role.TRANSACT, True),
        f1.user: (Role.DEPLOY, True),
    }
    assert [n.enode for n in after.nodes] == [url(new_node)]
    assert (after.member.account_count, after.member.node_count) == (3, 1)
    assert after.member == client.members.get(1)
    for account in after.accounts:
        assert env.consortium.functions.accountInfo(account.address).call()[:2] == [1, int(account.roles)]
    json.dumps(after.to_json())


def test_details_leave_out_what_a_removed_member_no_longer_owns(env: Env, client: ConsortiumClient) -> None:
    f3 = env.founders[2]
    pass_proposal(client, env, client.actions.remove_member(3), "remove member 3")
    # member 1 takes over member 3's user account and node
    client.members.add_accounts({f3.user: "transact"})
    client.members.add_nodes([client.members.signed_node(f3.node, node_private_key(3), 1)])
    details = client.members.details(3)
    assert details.member.status == MemberStatus.REMOVED
    assert [a.address for a in details.accounts] == [f3.admin]  # still recorded, inert
    assert details.accounts[0].active is False
    assert details.nodes == ()
    assert f3.node.enode_id in [n.enode_id for n in client.members.details(1).nodes]
    assert client.members.list(include_removed=False) == client.members.list()[:2]
    assert [m.id for m in client.members.list(status=MemberStatus.REMOVED)] == [3]


# -- a member admin manages its own accounts and nodes ---------------------------------------------------


def test_admin_manages_its_own_member_and_totals_follow(env: Env, client: ConsortiumClient) -> None:
    totals = client.members.totals()
    sent = client.members.add_accounts({env.spare[1]: Role.ADMIN | Role.TRANSACT, env.spare[2]: 2})
    added = [(e.args.memberId, e.args.account, e.args.flags)
             for e in env.consortium.events.AccountAdded().process_receipt(sent.receipt)]
    assert added == [(1, env.spare[1], 5), (1, env.spare[2], 2)]
    client.members.add_nodes([client.members.signed_node(url(NodeSpec(enode(41), "10.9.9.9", 30305)),
                                                         node_private_key(41), 1)])
    after = client.members.totals()
    assert after.active_admins == totals.active_admins  # the new admin has not accepted yet
    assert after.active_nodes == totals.active_nodes + 1
    assert after == type(after)(*env.consortium.functions.totals().call())
    new_admin = client.with_account(env.spare[1])
    new_admin.members.accept_admin()
    assert client.members.totals().active_admins == totals.active_admins + 1
    # the new admin manages the member too, for the member of its own
    new_admin.members.remove_accounts([env.spare[2]])
    assert client.members.account(env.spare[2]).member_id == 0
    assert client.members.get(1).account_count == 3


def test_who_may_manage_a_member(env: Env, client: ConsortiumClient) -> None:
    f1, f2 = env.founders[0], env.founders[1]
    block = env.w3.eth.block_number
    # a member's account without the admin flag
    with pytest.raises(NotMemberAdmin) as info:
        client.with_account(f1.user).members.add_accounts({env.spare[1]: "transact"})
    assert (info.value.account, info.value.member_id) == (f1.user, 1)
    # an admin of another member
    with pytest.raises(NotMemberAdmin) as info:
        client.members.remove_accounts([f2.user], member_id=2)
    assert (info.value.account, info.value.member_id) == (f1.admin, 2)
    # an account of no member (found out before anything is sent)
    with pytest.raises(NotMemberAdmin) as info:
        client.with_account(env.spare[0]).members.add_nodes([NodeSpec(enode(42), "h", 1)])
    assert (info.value.account, info.value.member_id) == (env.spare[0], 0)
    assert "admin" in str(info.value)
    assert env.w3.eth.block_number == block


def test_registration_refusals_are_named(env: Env, client: ConsortiumClient) -> None:
    f2 = env.founders[1]
    with pytest.raises(AccountAlreadyRegistered) as info:
        client.members.add_accounts({f2.admin: "transact"})
    assert (info.value.account, info.value.member_id) == (f2.admin, 2)
    with pytest.raises(InvalidFlags) as flags_info:
        client.members.add_accounts({ZERO: "transact"})
    assert (flags_info.value.account, flags_info.value.flags) == (ZERO, 1)
    with pytest.raises(AccountNotInMember) as not_in:
        client.members.remove_accounts([f2.user])
    assert (not_in.value.account, not_in.value.member_id) == (f2.user, 1)
    with pytest.raises(NodeAlreadyRegistered) as node_info:
        client.members.add_nodes([url(f2.node)])
    assert (node_info.value.node_key, node_info.value.member_id) == ("0x" + f2.node.key.hex(), 2)
    with pytest.raises(NodeNotInMember) as node_missing:
        client.members.remove_nodes([enode(77)])
    assert node_missing.value.node_key == "0x" + NodeSpec(enode(77), "h").key.hex()
    # mistakes the client catches before asking the chain
    for bad in ({env.spare[1]: "superuser"}, {env.spare[1]: 8}, {env.spare[1]: ""}, {"0x12": "transact"}):
        with pytest.raises(ConfigError):
            client.members.add_accounts(bad)
    with pytest.raises(ConfigError):
        client.members.add_nodes(["enode://nothex@h:1"])
    with pytest.raises(ConfigError):
        client.members.remove_accounts(["0x12"])


def test_the_last_admin_and_the_last_node_cannot_be_removed(env: Env, client: ConsortiumClient) -> None:
    f1 = env.founders[0]
    for founder in env.founders[1:]:
        other = client.with_account(founder.admin)
        other.members.remove_nodes([url(founder.node)])
        other.members.remove_accounts([founder.admin])
    assert client.members.totals().active_admins == 1
    with pytest.raises(WouldLeaveNoAdmin):
        client.members.remove_accounts([f1.admin])
    with pytest.raises(WouldLeaveNoNode):
        client.members.remove_nodes([f1.node.enode_id])
    assert client.members.account(f1.admin).member_id == 1


def test_member_limits_and_suspension_are_enforced(env: Env, client: ConsortiumClient) -> None:
    pass_proposal(client, env, [client.actions.set_member_limits(3, 1), client.actions.suspend_member(3)],
                  "limits and a suspension")
    assert tuple(env.consortium.functions.memberLimits().call()) == (3, 1)
    client.members.add_accounts({env.spare[1]: "transact"})
    with pytest.raises(MemberLimitExceeded) as info:
        client.members.add_accounts({env.spare[2]: "transact"})
    assert (info.value.member_id, info.value.limit) == (1, 3)
    with pytest.raises(MemberLimitExceeded) as node_info:
        client.members.add_nodes([client.members.signed_node(url(NodeSpec(enode(43), "h", 1)), node_private_key(43), 1)])
    assert (node_info.value.member_id, node_info.value.limit) == (1, 1)
    suspended = client.with_account(env.founders[2].admin)
    with pytest.raises(MemberNotActive) as inactive:
        suspended.members.add_accounts({env.spare[3]: "transact"})
    assert inactive.value.member_id == 3
    assert [m.id for m in client.members.list(status=MemberStatus.SUSPENDED)] == [3]
    assert [m.id for m in client.members.list(status="Suspended")] == [3] == [m.id for m in client.members.list(status=2)]
    assert [m.id for m in client.members.list(status=MemberStatus.ACTIVE)] == [1, 2]
    for bad in ("paused", 7, True):
        with pytest.raises(ConfigError):
            client.members.list(status=bad)
    assert Web3.to_checksum_address(env.spare[1]) in [a.address for a in client.members.details(1).accounts]


# -- an admin registered outside the bootstrap accepts before it acts as admin ---------------------------


def test_a_new_admin_acts_as_admin_only_once_it_accepts(env: Env, client: ConsortiumClient) -> None:
    newcomer = env.spare[1]
    sent = client.members.add_accounts({newcomer: "admin,transact"})
    events = client.events.history(from_block=sent.block_number)
    assert [(e.name, e.args["account"]) for e in events] == [("AccountAdded", newcomer),
                                                             ("AdminAcceptancePending", newcomer)]
    assert events[1].describe() == f"member 1: account {newcomer} registered as admin, waiting for its acceptance"
    pending = client.members.account(newcomer)
    assert (pending.member_id, pending.roles, pending.admin_pending, pending.active) == (1, Role.TRANSACT, True, True)
    assert client.members.get(1).admin_count == 1
    assert [a.address for a in client.members.pending_admins(1)] == [newcomer]
    # the attack: acting as the member's admin before accepting
    them = client.with_account(newcomer)
    with pytest.raises(NotMemberAdmin):
        them.members.add_accounts({env.spare[2]: "transact"})
    with pytest.raises(NotMemberAdmin):
        them.proposals.create(them.actions.set_weight(1, 41), "too early")

    sent = them.members.accept_admin()
    (event,) = client.events.history(from_block=sent.block_number)
    assert (event.name, event.member_id, event.args["account"]) == ("AdminAccepted", 1, newcomer)
    assert event.describe() == f"member 1: account {newcomer} accepted its admin registration"
    accepted = client.members.account(newcomer)
    assert (accepted.roles, accepted.admin_pending, accepted.consent_nonce) == (Role.ADMIN | Role.TRANSACT, False, 1)
    assert client.members.get(1).admin_count == 2 and client.members.pending_admins(1) == ()
    them.members.add_accounts({env.spare[2]: "transact"})  # now it may
    block = env.w3.eth.block_number
    with pytest.raises(NoPendingAdmin) as again:
        them.members.accept_admin()
    assert again.value.account == newcomer
    with pytest.raises(NoPendingAdmin):
        client.with_account(env.spare[3]).members.accept_admin()  # never registered
    assert env.w3.eth.block_number == block


def test_a_signed_acceptance_is_relayed_by_anyone_and_accepts_that_registration_only(
        env: Env, client: ConsortiumClient, reader: ConsortiumClient) -> None:
    signers = keys(env)
    admin_only, other = env.spare[1], env.spare[2]
    client.members.add_accounts({admin_only: "admin", other: "admin"})
    assert client.members.account(admin_only).roles == Role(0)  # nothing in force yet: it may not transact
    assert not client.access.account_allowed(admin_only, other)
    signature = reader.members.sign_admin_acceptance(signer=signers[admin_only])
    assert len(bytes.fromhex(signature[2:])) == 65
    relay = make_client(env, env.spare[5])
    block = env.w3.eth.block_number
    # another pending account's signature, and this one's signature submitted for another account
    with pytest.raises(InvalidConsentSignature) as wrong_key:
        relay.members.accept_admin_by_sig(admin_only, reader.members.sign_admin_acceptance(signer=signers[other]))
    assert wrong_key.value.account == admin_only
    with pytest.raises(InvalidConsentSignature):
        relay.members.accept_admin_by_sig(other, signature)
    for bad in ("0x1234", "zz" * 65):
        with pytest.raises(ConfigError):
            relay.members.accept_admin_by_sig(admin_only, bad)
    assert env.w3.eth.block_number == block

    relay.members.accept_admin_by_sig(admin_only, signature)
    assert client.members.account(admin_only).roles == Role.ADMIN and client.members.get(1).admin_count == 2
    with pytest.raises(InvalidConsentSignature):  # replayed: accepting moved its consent nonce on
        relay.members.accept_admin_by_sig(admin_only, signature)
    with pytest.raises(NoPendingAdmin):  # nothing to sign: found out before signing
        reader.members.sign_admin_acceptance(signer=signers[admin_only])
    # an acceptance signed for a registration that was removed does not accept a later one
    stale = reader.members.sign_admin_acceptance(signer=signers[other])
    client.members.remove_accounts([other])
    client.members.add_accounts({other: "admin"})
    assert client.members.account(other).admin_pending
    with pytest.raises(InvalidConsentSignature):
        relay.members.accept_admin_by_sig(other, stale)
    relay.members.accept_admin_by_sig(other, reader.members.sign_admin_acceptance(signer=signers[other]))
    assert not client.members.account(other).admin_pending


# -- a node is registered only with its node key's consent ------------------------------------------------


def test_a_node_is_registered_only_with_its_own_keys_consent_for_that_member(env: Env, client: ConsortiumClient) -> None:
    globex = client.with_account(env.founders[1].admin)
    node = NodeSpec(enode(44), "10.0.0.44", 30303)
    chain_id, consortium = env.w3.eth.chain_id, env.consortium.address
    block = env.w3.eth.block_number
    # a member registers another's node without its operator's consent
    with pytest.raises(InvalidNodeSignature) as unsigned:
        client.members.add_nodes([url(node)])
    assert unsigned.value.node_key == "0x" + node.key.hex()
    message = str(unsigned.value)
    assert url(node) in message and "has no consent signature for member 1" in message and "\n" not in message
    # ... with the consent the node gave member 2
    for_globex = client.members.signed_node(url(node), node_private_key(44), 2)
    with pytest.raises(InvalidNodeSignature) as stolen:
        client.members.add_nodes([for_globex])
    assert f"{url(node)} has a consent signature that is not its node key's for member 1" in str(stolen.value)
    # ... signed by its own key instead of the node's, or given for another consortium
    own_key = Account.from_key(node_private_key(45))
    forged = sign_typed(own_key, "NodeConsent", {"nodeKey": node.key, "memberId": 1}, chain_id, consortium)
    elsewhere = sign_node_consent(node_private_key(44), 1, chain_id, env.ingress.address)
    for signature in (forged, elsewhere):
        with pytest.raises(InvalidNodeSignature):
            client.members.add_nodes([NodeSpec(node.enode_id, node.host, node.port, signature)])
        assert not client.members.node_consent_valid(NodeSpec(node.enode_id, node.host, node.port, signature), 1)
    # caught before sending: a given signature checked, a key that is not the node's
    with pytest.raises(InvalidNodeSignature) as early:
        client.members.with_node_signature(url(node), "0x" + for_globex.signature.hex(), 1)
    assert "found before sending" in str(early.value) and url(node) in str(early.value)
    with pytest.raises(ConfigError):
        client.members.signed_node(url(node), node_private_key(45), 1)
    with pytest.raises(ConfigError):
        client.members.signed_node(url(node), "not a key", 1)
    assert env.w3.eth.block_number == block

    assert client.members.node_consent_valid(for_globex, 2) and not client.members.node_consent_valid(for_globex, 1)
    checked = client.members.with_node_signature(url(node), for_globex.signature.hex(), 2)
    assert checked == for_globex
    globex.members.add_nodes([checked])
    assert client.members.by_node(url(node)) == client.members.get(2)
    # a nodekey file's text (hex without 0x, a newline) signs the same
    assert client.members.signed_node(node, node_private_key(44).hex() + "\n", 2) == for_globex
    assert client.members.next_member_id() == 4
