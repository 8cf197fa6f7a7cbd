"""The main job, on the embedded chain: deploy the suite, bootstrap three founding members, and run
one governance round (a fourth member proposed, voted in, executed, and its access checked), printing
each step with its exact gas (from the receipts)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from web3 import Web3

from consortium_evm.deploy import Deployment, Step, contract_at, deploy_suite, suite_abis
from consortium_evm.spec import AccountSpec, ConsortiumSpec, GovernanceSettings, MemberSpec, NodeSpec, Role
from consortium_evm.tester import advance_time, tester_web3
from consortium_evm.transactions import Transactor

Echo = Callable[[str], None]

STATES = ("Pending", "Active", "Canceled", "Defeated", "Succeeded", "Queued", "Expired", "Executed")
FOUNDERS = (("Acme Bank", 40), ("Globex Logistics", 35), ("Initech Insurance", 25))


def _enode(n: int) -> str:
    return (bytes([n]) * 64).hex()


@dataclass(frozen=True)
class DemoResult:
    """What the demo did: the deployment and the gas of every operation, in order."""

    deployment: Deployment
    operations: tuple[Step, ...]


def founding_spec(w3: Web3) -> ConsortiumSpec:
    """Three founding members on the embedded chain's accounts: an admin and a node each."""
    accounts = list(w3.eth.accounts)
    members = tuple(
        MemberSpec(
            name=name,
            weight=weight,
            metadata_uri=f"https://consortium.example/members/{i + 1}.json",
            accounts=(AccountSpec(accounts[1 + i], Role.ADMIN | Role.TRANSACT | Role.DEPLOY),),
            nodes=(NodeSpec(_enode(i + 1), f"10.0.0.{i + 1}", 30303),),
        )
        for i, (name, weight) in enumerate(FOUNDERS)
    )
    return ConsortiumSpec(members=members, settings=GovernanceSettings(voting_period=3600))


def run_demo(echo: Echo = print) -> DemoResult:
    """Run the demo on a fresh embedded chain, telling what happens through ``echo``."""
    w3 = tester_web3()
    accounts = list(w3.eth.accounts)
    spec = founding_spec(w3)
    echo(f"Embedded chain (eth-tester, chain id {w3.eth.chain_id}); deployer {accounts[0]}")

    def shown(step: Step) -> None:
        where = f" at {step.address}" if step.address else ""
        echo(f"  {step.name:<34} gas {step.gas_used:>9,}  block {step.block_number}{where}")

    echo("Deploying the suite and bootstrapping the founding members:")
    deployment = deploy_suite(w3, accounts[0], spec, progress=shown)
    echo(f"  Consortium        {deployment.consortium}")
    echo(f"  PermissionIngress {deployment.ingress}  (the address every node is configured with)")
    echo(f"  total deployment gas {deployment.total_gas:,}; the deployer now has no power")

    consortium = contract_at(w3, "Consortium", deployment.consortium)
    ingress = contract_at(w3, "PermissionIngress", deployment.ingress)
    ops: list[Step] = []

    def send(name: str, fn: object, sender: str) -> object:
        sent = Transactor(w3, sender, suite_abis()).send(fn)  # type: ignore[arg-type]
        step = Step(name, sent.tx_hash, sent.gas_used, sent.block_number)
        ops.append(step)
        shown(step)
        return sent

    newcomer_admin, newcomer_node = accounts[5], NodeSpec(_enode(4), "10.0.0.4", 30303)
    newcomer = MemberSpec(
        name="Umbrella Research",
        weight=20,
        metadata_uri="https://consortium.example/members/4.json",
        accounts=(AccountSpec(newcomer_admin, Role.ADMIN | Role.TRANSACT),),
        nodes=(newcomer_node,),
    )
    allowed = ingress.functions.transactionAllowed(newcomer_admin, accounts[9], 0, 0, 0, b"").call()
    echo(f"Before the vote, {newcomer.name}'s account may transact: {allowed}")
    data = consortium.encode_abi("addMember", list(newcomer.add_member_args()))
    description = f"Admit {newcomer.name} with weight {newcomer.weight}"
    founders = [m.accounts[0].address for m in spec.members]
    echo(f"{spec.members[0].name} proposes: {description}")
    sent = send("propose", consortium.functions.propose([consortium.address], [0], [data], description), founders[0])
    proposal_id = int(consortium.events.ProposalCreated().process_receipt(sent.receipt)[0].args.proposalId)  # type: ignore[attr-defined]
    for member, account in zip(spec.members, founders):
        send(f"vote for ({member.name}, weight {member.weight})", consortium.functions.castVote(proposal_id, 1), account)
    advance_time(w3, spec.settings.voting_period + 1)
    state = STATES[consortium.functions.state(proposal_id).call()]
    echo(f"Voting closed; the proposal's state is {state}")
    send("execute", consortium.functions.execute(proposal_id, [consortium.address], [0], [data], Web3.keccak(text=description)), accounts[9])
    allowed = ingress.functions.transactionAllowed(newcomer_admin, accounts[9], 0, 0, 0, b"").call()
    connects = ingress.functions.connectionAllowed(newcomer_node.enode_id, newcomer_node.host, newcomer_node.port).call()
    echo(f"After execution, {newcomer.name}'s account may transact: {allowed}; its node may connect: {connects}")
    return DemoResult(deployment, tuple(ops))
