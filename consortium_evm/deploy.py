"""Deploying the consortium suite and bootstrapping its founding members.

The suite is two contracts: ``Consortium`` (member registry, governance, and the first permission
rules) and ``PermissionIngress`` (the fixed address nodes are configured with). The bootstrap adds
the founding members, sets the node matching mode, and hands control to governance for good, after
which the deployer can do nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from web3 import Web3
from web3.contract import Contract

from consortium_evm.compiler import DEFAULT_EVM_VERSION, load_artifact
from consortium_evm.spec import ConsortiumSpec, NodeMatch
from consortium_evm.transactions import Sender, Sent, Transactor

SUITE = ("Consortium", "PermissionIngress")
"""The contracts a deployment creates, in order."""


@dataclass(frozen=True)
class Step:
    """One transaction of a deployment."""

    name: str
    tx_hash: str
    gas_used: int
    block_number: int
    address: str | None = None


@dataclass(frozen=True)
class Deployment:
    """A deployed and bootstrapped consortium."""

    chain_id: int
    consortium: str
    ingress: str
    steps: tuple[Step, ...] = field(default=())

    @property
    def total_gas(self) -> int:
        """Gas of every step together."""
        return sum(s.gas_used for s in self.steps)

    def gas_of(self, prefix: str) -> int:
        """Gas of the steps whose name starts with ``prefix``."""
        return sum(s.gas_used for s in self.steps if s.name.startswith(prefix))


Progress = Callable[[Step], None]


def contract_at(w3: Web3, name: str, address: str, evm_version: str = DEFAULT_EVM_VERSION) -> Contract:
    """A web3 contract object for artifact ``name`` at ``address``."""
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact(name, evm_version).abi)


def suite_abis(evm_version: str = DEFAULT_EVM_VERSION) -> list[list[dict[str, Any]]]:
    """The ABIs of the suite's contracts (for decoding their errors)."""
    return [load_artifact(name, evm_version).abi for name in SUITE]


def deploy_suite(
    w3: Web3,
    deployer: Sender,
    spec: ConsortiumSpec,
    *,
    evm_version: str = DEFAULT_EVM_VERSION,
    progress: Progress | None = None,
) -> Deployment:
    """Deploy the suite, bootstrap ``spec``'s founding members and hand control to governance."""
    tx = Transactor(w3, deployer, suite_abis(evm_version))
    steps: list[Step] = []

    def record(name: str, sent: Sent) -> None:
        step = Step(name, sent.tx_hash, sent.gas_used, sent.block_number, sent.contract_address)
        steps.append(step)
        if progress is not None:
            progress(step)

    consortium_art = load_artifact("Consortium", evm_version)
    factory = w3.eth.contract(abi=consortium_art.abi, bytecode=consortium_art.bytecode)
    sent = tx.send(factory.constructor(spec.settings.as_tuple(), spec.limits.as_tuple()))
    record("deploy Consortium", sent)
    assert sent.contract_address is not None
    consortium = w3.eth.contract(address=Web3.to_checksum_address(sent.contract_address), abi=consortium_art.abi)

    ingress_art = load_artifact("PermissionIngress", evm_version)
    factory = w3.eth.contract(abi=ingress_art.abi, bytecode=ingress_art.bytecode)
    sent = tx.send(factory.constructor(consortium.address, consortium.address))
    record("deploy PermissionIngress", sent)
    assert sent.contract_address is not None
    ingress = sent.contract_address

    for member in spec.members:
        record(f"add member {member.name}", tx.send(consortium.functions.addMember(*member.add_member_args())))
    if spec.node_match != NodeMatch.ENODE_ID:
        record("set node matching", tx.send(consortium.functions.setNodeMatch(int(spec.node_match))))
    record("start governance", tx.send(consortium.functions.startGovernance()))
    return Deployment(
        chain_id=int(w3.eth.chain_id), consortium=consortium.address, ingress=ingress, steps=tuple(steps)
    )
