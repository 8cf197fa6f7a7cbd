"""The main job, on the embedded chain: a consortium's whole lifecycle in one process.

Deploy; bootstrap three founding members with different weights; one proposes a fourth member (its
node's operator signs the node's consent with the node key), the members vote (one of them by a
signed ballot that another relays), the proposal executes and the newcomer's account and node are
let in; the newcomer's admin account accepts its admin role; a second vote suspends a member and its
access is gone; a third changes a governance parameter. Every member back-end step goes through the client library
(:mod:`consortium_evm.client`), signing locally as on a real network; every step's gas is its
receipt's ``gasUsed``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from eth_keys.datatypes import PrivateKey
from eth_utils.crypto import keccak

from consortium_evm.client import ConsortiumClient, ProposalState, Sent
from consortium_evm.deploy.suite import Deployment, Step, deploy_suite
from consortium_evm.domain.spec import AccountSpec, ConsortiumSpec, GovernanceSettings, MemberSpec, NodeSpec, Role
from consortium_evm.node.tester import advance_time, tester_accounts, tester_web3

Echo = Callable[[str], None]

FOUNDERS = (("Acme Bank", 40), ("Globex Logistics", 35), ("Initech Insurance", 25))
VOTING_PERIOD = 3600


def node_private_key(n: int) -> bytes:
    """Demo node ``n``'s node key (what geth keeps in its ``nodekey`` file); fixed, so that every run
    is the same."""
    return bytes(keccak(text=f"consortium-evm demo node {n}"))


def _enode(n: int) -> str:
    """Demo node ``n``'s enode id: the public key of its node key."""
    return bytes(PrivateKey(node_private_key(n)).public_key.to_bytes()).hex()


@dataclass(frozen=True)
class DemoResult:
    """What the demo did: the deployment and the gas of every later operation, in order."""

    deployment: Deployment
    operations: tuple[Step, ...]


def founding_spec(admins: list[str]) -> ConsortiumSpec:
    """Three founding members, each with an admin account (``admins``) and a node."""
    members = tuple(
        MemberSpec(
            name=name,
            weight=weight,
            metadata_uri=f"https://consortium.example/members/{i + 1}.json",
            accounts=(AccountSpec(admins[i], Role.ADMIN | Role.TRANSACT | Role.DEPLOY),),
            nodes=(NodeSpec(_enode(i + 1), f"10.0.0.{i + 1}", 30303),),
        )
        for i, (name, weight) in enumerate(FOUNDERS)
    )
    return ConsortiumSpec(members=members, settings=GovernanceSettings(voting_period=VOTING_PERIOD))


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def run_demo(echo: Echo = print) -> DemoResult:
    """Run the demo on a fresh embedded chain, telling what happens through ``echo``."""
    w3 = tester_web3()
    keys: list[LocalAccount] = tester_accounts(10)
    deployer, acme_key, globex_key, initech_key, umbrella_key, outsider = keys[:6]
    spec = founding_spec([acme_key.address, globex_key.address, initech_key.address])
    echo(f"A fresh embedded chain (eth-tester, chain id {w3.eth.chain_id}).")

    echo("")
    echo("1. The deployer creates the consortium and bootstraps its three founders.")
    deployment = deploy_suite(w3, deployer.address, spec)
    for step in deployment.steps:
        echo(f"     {step.name:<36} gas {step.gas_used:>9,}")
    echo(f"   Consortium {deployment.consortium}; PermissionIngress {deployment.ingress} (the address nodes use)")
    echo("   " + ", ".join(f"{m.name} (weight {m.weight})" for m in spec.members)
         + "; governance is in control and the deployer has no power left.")

    # Each member's back-end has its own client, signing with its own key.
    def client_for(key: LocalAccount) -> ConsortiumClient:
        return ConsortiumClient.from_web3(w3, deployment.consortium, deployment.ingress, account=key)

    acme, globex, initech, relay = (client_for(k) for k in (acme_key, globex_key, initech_key, outsider))
    ops: list[Step] = []

    def did(label: str, sent: Sent) -> None:
        ops.append(Step(label, sent.tx_hash, sent.gas_used, sent.block_number))

    def access(name: str, account: str, node: NodeSpec) -> str:
        may_send = acme.access.account_allowed(account, outsider.address)
        may_connect = acme.access.node_allowed(f"enode://{node.enode_id}@{node.host}:{node.port}")
        return f"{name}'s account may transact: {_yes(may_send)}; its node may connect: {_yes(may_connect)}"

    def close_vote(proposal_id: int, what: str) -> None:
        advance_time(w3, VOTING_PERIOD + 1)
        p = acme.proposals.get(proposal_id)
        echo(f"   An hour later the vote is closed: {p.state.label} ({p.tally.for_votes} for, {p.tally.against_votes} "
             f"against, {p.tally.cast} of {p.tally.total_weight} voted, quorum {p.tally.quorum}).")
        did(f"execute ({what})", relay.proposals.execute(proposal_id))
        echo(f"   Anyone may execute it; it is now {acme.proposals.get(proposal_id).state.label}.")

    echo("")
    umbrella_account = AccountSpec(umbrella_key.address, Role.ADMIN | Role.TRANSACT)
    echo("2. Acme Bank proposes to admit Umbrella Research with weight 20.")
    # The node's operator signs, with the node's key, its consent to be registered for the member
    # Umbrella will be (the next id); without it the registry would refuse the node.
    umbrella_id = acme.members.next_member_id()
    umbrella_node = acme.members.signed_node(f"enode://{_enode(4)}@10.0.0.4:30303", node_private_key(4), umbrella_id)
    umbrella = MemberSpec("Umbrella Research", 20, "https://consortium.example/members/4.json", (umbrella_account,),
                          (umbrella_node,))
    echo(f"   Umbrella's node operator signs the node's consent with its node key, for member {umbrella_id} "
         "(the id Umbrella will get).")
    echo("   Before the vote, " + access(umbrella.name, umbrella_key.address, umbrella_node))
    proposed = acme.proposals.create(acme.actions.add_member(umbrella), f"Admit {umbrella.name} with weight 20")
    did("propose (add a member)", proposed.sent)
    pid = proposed.proposal_id
    for name, client in (("Acme Bank", acme), ("Globex Logistics", globex)):
        voted = client.proposals.vote(pid, "for")
        did(f"vote ({name})", voted.sent)
        echo(f"   {name} votes for, with weight {voted.weight}.")
    ballot = initech.proposals.sign_vote(pid, "for")
    voted = relay.proposals.submit_vote(ballot)
    did("vote by signature (Initech, relayed)", voted.sent)
    echo(f"   Initech Insurance signs its ballot offline; a relay submits it: for, with weight {voted.weight}.")
    close_vote(pid, "add a member")
    joined = acme.members.by_account(umbrella_key.address)
    echo(f"   {umbrella.name} is member {joined.id if joined else '?'}. " + access(umbrella.name, umbrella_key.address, umbrella_node))
    umbrella_client = client_for(umbrella_key)
    pending = umbrella_client.members.account(umbrella_key.address).admin_pending
    echo(f"   Its admin account is registered but not yet accepted (pending: {_yes(pending)}): it may not act as "
         f"admin, and the member has {umbrella_client.members.get(umbrella_id).admin_count} admin accounts.")
    did(f"accept admin ({umbrella.name})", umbrella_client.members.accept_admin())
    echo(f"   {umbrella.name}'s admin account accepts its admin role (a transaction from it); the member now has "
         f"{umbrella_client.members.get(umbrella_id).admin_count} admin account and may propose and vote.")

    echo("")
    echo("3. Globex Logistics proposes to suspend Initech Insurance (member 3).")
    initech_node = spec.members[2].nodes[0]
    proposed = globex.proposals.create(globex.actions.suspend_member(3), "Suspend Initech Insurance")
    did("propose (suspend a member)", proposed.sent)
    for name, client in (("Globex Logistics", globex), ("Acme Bank", acme), (umbrella.name, umbrella_client)):
        voted = client.proposals.vote(proposed.proposal_id, "for")
        did(f"vote ({name})", voted.sent)
        echo(f"   {name} votes for, with weight {voted.weight}.")
    close_vote(proposed.proposal_id, "suspend a member")
    echo("   " + access("Initech Insurance", initech_key.address, initech_node))

    echo("")
    echo("4. Acme Bank proposes to raise the quorum from 50% to 60%.")
    proposed = acme.proposals.create(acme.actions.set_param("quorum_bps", 6000), "Raise the quorum to 60%")
    did("propose (change a parameter)", proposed.sent)
    voted = acme.proposals.vote(proposed.proposal_id, "for")
    did("vote (Acme Bank)", voted.sent)
    voted = globex.proposals.vote(proposed.proposal_id, "against")
    did("vote (Globex Logistics)", voted.sent)
    echo("   Acme Bank votes for (40); Globex Logistics votes against (35).")
    voted = umbrella_client.proposals.vote(proposed.proposal_id, "for")
    did(f"vote ({umbrella.name})", voted.sent)
    echo(f"   {umbrella.name} votes for (20).")
    close_vote(proposed.proposal_id, "change a parameter")
    settings = acme.settings()
    assert acme.proposals.get(proposed.proposal_id).state == ProposalState.EXECUTED
    echo(f"   The quorum is now {settings.quorum_bps / 100:g}%.")
    return DemoResult(deployment, tuple(ops))


def describe_gas(result: DemoResult) -> list[tuple[str, int]]:
    """(operation, gas) for every transaction of the demo, in order."""
    return [(s.name, s.gas_used) for s in list(result.deployment.steps) + list(result.operations)]


__all__ = ["DemoResult", "describe_gas", "founding_spec", "node_private_key", "run_demo"]
