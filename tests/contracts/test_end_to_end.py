"""The whole story, as an operator lives it: three founding members vote a fourth one in, its account
and node are let onto the network by the permission ingress, then they vote it out again and the
ingress shuts both out."""

from __future__ import annotations

from typing import Any

from web3 import Web3
from web3.logs import DISCARD

from consortium_evm.domain.proposals import ProposalState
from consortium_evm.domain.signatures import sign_node_consent
from consortium_evm.domain.spec import AccountSpec, MemberSpec, MemberStatus, NodeSpec, Role
from tests.support.consortium import VOTING_PERIOD, Env, enode, node_private_key
from tests.support.contracts import send

def test_a_fourth_member_is_voted_in_gets_access_and_is_voted_out(env: Env) -> None:
    c, ingress = env.consortium.functions, env.ingress.functions
    acme, globex, initech = env.founders
    hooli_admin = env.spare[4]
    # Hooli's node operator signs, with the node key, its consent to be registered for member 4 (the next id).
    consent = sign_node_consent(node_private_key(4), 4, env.w3.eth.chain_id, env.consortium.address)
    hooli_node = NodeSpec(enode(4), "10.0.0.4", 30303, consent)
    hooli = MemberSpec(
        name="Hooli",
        weight=20,
        metadata_uri="https://example.org/4.json",
        accounts=(AccountSpec(hooli_admin, Role.ADMIN | Role.TRANSACT),),
        nodes=(hooli_node,),
    )

    def account_allowed(account: str) -> bool:
        return bool(ingress.transactionAllowed(account, acme.user, 0, 0, 0, b"").call())

    def node_allowed(node: NodeSpec) -> bool:
        return bool(ingress.connectionAllowed(node.enode_id, node.host, node.port).call())

    def run(calls: list[tuple[str, int, bytes]], description: str, proposer: str, votes: dict[str, int]) -> Any:
        fn = c.propose([x[0] for x in calls], [x[1] for x in calls], [x[2] for x in calls], description)
        receipt = send(env, fn, proposer).receipt
        pid = int(env.consortium.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)[0].args.proposalId)
        assert c.state(pid).call() == ProposalState.ACTIVE
        for voter, support in votes.items():
            send(env, c.castVote(pid, support), voter)
        env.advance(VOTING_PERIOD + 2)
        assert c.state(pid).call() == ProposalState.SUCCEEDED
        fn = c.execute(pid, [x[0] for x in calls], [x[1] for x in calls], [x[2] for x in calls],
                       Web3.keccak(text=description))
        receipt = send(env, fn, env.spare[0]).receipt  # anyone may execute a passed proposal
        assert c.state(pid).call() == ProposalState.EXECUTED
        return pid, receipt

    # Three founding members; the ingress answers from their registry.
    assert tuple(c.totals().call()) == (3, 3, 3, 3, 100, 100)
    assert env.ingress.functions.rules().call() == env.consortium.address
    assert all(account_allowed(f.admin) and account_allowed(f.user) and node_allowed(f.node) for f in env.founders)
    assert not account_allowed(hooli_admin)
    assert not node_allowed(hooli_node)

    # Acme proposes Hooli, with an admin+transact account and a node; the others vote for.
    pid, receipt = run(
        [env.call("addMember", *hooli.add_member_args())],
        "Admit Hooli",
        acme.admin,
        {globex.admin: 1, initech.admin: 1},
    )
    assert env.consortium.functions.proposalCore(pid).call()[5:] == (60, 0, 0)
    (added,) = env.consortium.events.MemberAdded().process_receipt(receipt, errors=DISCARD)
    assert (added.args.memberId, added.args.name, added.args.weight) == (4, "Hooli", 20)
    (view,) = c.getMembers(3, 1).call()
    assert (view[0], view[1], view[3], view[4]) == (4, "Hooli", 20, MemberStatus.ACTIVE)
    # Hooli's admin has not accepted yet: no admin account counts, nor does its weight
    assert tuple(c.totals().call()) == (4, 4, 3, 4, 100, 120)
    assert c.accountInfo(hooli_admin).call() == [4, Role.TRANSACT, True, 0]
    send(env, c.acceptAdmin(), hooli_admin)
    assert tuple(c.totals().call()) == (4, 4, 4, 4, 120, 120)
    assert c.accountInfo(hooli_admin).call() == [4, Role.ADMIN | Role.TRANSACT, False, 1]

    # Hooli's account may now transact (not deploy: it has no deploy flag) and its node may connect.
    assert account_allowed(hooli_admin)
    assert not ingress.transactionAllowed(hooli_admin, "0x" + "00" * 20, 0, 0, 0, b"").call()
    assert node_allowed(hooli_node)
    assert c.memberOf(hooli_admin).call() == [4, True]

    # Hooli takes part: it votes (against) on the proposal to remove it, proposed by Globex.
    pid, _ = run(
        [env.call("removeMember", 4)],
        "Remove Hooli",
        globex.admin,
        {hooli_admin: 0, acme.admin: 1, globex.admin: 1, initech.admin: 1},
    )
    assert env.consortium.functions.proposalCore(pid).call()[5:] == (100, 20, 0)

    # Hooli is out: its account and node are refused, the founders are untouched.
    (view,) = c.getMembers(3, 1).call()
    assert view[4] == MemberStatus.REMOVED
    assert not account_allowed(hooli_admin)
    assert not node_allowed(hooli_node)
    assert c.memberOf(hooli_admin).call() == [4, False]
    assert tuple(c.totals().call()) == (4, 3, 3, 3, 100, 100)
    assert all(account_allowed(f.admin) and node_allowed(f.node) for f in env.founders)
