"""The steps of a deployment, known in full before anything is sent.

Every contract the suite creates gets its address from the deployer and the nonce of its creation
(``CREATE``: the last 20 bytes of ``keccak(rlp([deployer, nonce]))``), so the whole deployment (the
creations, then the calls that bootstrap the founding members and hand over to governance) can be
written down, signed and journaled before its first transaction is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import rlp
from eth_utils.address import to_canonical_address, to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3

from consortium_evm.compiler import Artifact
from consortium_evm.domain.goquorum import ADAPTER, adapter_creation
from consortium_evm.domain.spec import ConsortiumSpec, NodeMatch
from consortium_evm.errors import DeploymentError

SUITE = ("Consortium", "PermissionIngress")
"""The contracts every deployment creates, in order."""
VALIDATOR_SET = "ValidatorSet"
"""Created third, owned by the Consortium, when the consortium lists validators."""


def suite_for(spec: ConsortiumSpec, goquorum: bool = False) -> tuple[str, ...]:
    """The contracts a deployment of ``spec`` creates, in order (``goquorum``: with the adapter
    GoQuorum's permission service reads, :mod:`consortium_evm.domain.goquorum`)."""
    names = (*SUITE, VALIDATOR_SET) if spec.validators else SUITE
    return (*names, ADAPTER) if goquorum else names


def create_address(deployer: str, nonce: int) -> str:
    """The address of the contract that ``deployer``'s transaction number ``nonce`` creates."""
    encoded = rlp.encode([to_canonical_address(deployer), nonce])
    return to_checksum_address(keccak(encoded)[12:])


@dataclass(frozen=True)
class PlannedStep:
    """One transaction of a deployment, before it is signed."""

    name: str
    to: str | None
    """None for a contract creation."""
    data: str
    creates: str | None = None
    """The artifact a creation deploys."""
    address: str | None = None
    """The address a creation's contract gets."""


@dataclass(frozen=True)
class Plan:
    """Every step of a deployment, in nonce order from :attr:`first_nonce`."""

    deployer: str
    first_nonce: int
    steps: tuple[PlannedStep, ...]

    def address_of(self, name: str) -> str | None:
        """Where the plan creates artifact ``name`` (None when it does not)."""
        return next((step.address for step in self.steps if step.creates == name), None)

    @property
    def consortium(self) -> str:
        """The Consortium's address."""
        return str(self.address_of("Consortium"))


def plan_suite(
    spec: ConsortiumSpec, artifacts: dict[str, Artifact], deployer: str, first_nonce: int, goquorum: bool = False
) -> Plan:
    """The deployment of ``spec`` by ``deployer`` from nonce ``first_nonce``: the suite's
    creations (with GoQuorum's permission adapter in front of the ingress when ``goquorum``), one ``addMember`` per founding member, the node matching mode when it is not the
    default, and the hand-over to governance. A member account that is one of the suite's own
    addresses (a typo: the contracts can never act as a member) is refused here, before anything
    is sent."""
    w3 = Web3()
    steps: list[PlannedStep] = []

    def create(name: str, *args: Any) -> str:
        artifact = artifacts[name]
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        address = create_address(deployer, first_nonce + len(steps))
        steps.append(PlannedStep(f"deploy {name}", None, str(factory.constructor(*args).data_in_transaction), name, address))
        return address

    consortium_address = create(
        "Consortium", spec.settings.as_tuple(), spec.settings_floors.as_tuple(), spec.limits.as_tuple()
    )
    ingress_address = create("PermissionIngress", consortium_address, consortium_address)
    suite_addresses = {consortium_address, ingress_address}
    if spec.validators:
        suite_addresses.add(create(VALIDATOR_SET, consortium_address, list(spec.validators)))
    if goquorum:
        adapter = adapter_creation(ingress_address)
        suite_addresses.add(create(adapter.artifact, *adapter.constructor_args))
    for member in spec.members:
        for account in member.accounts:
            if account.address in suite_addresses:
                raise DeploymentError(
                    f"member {member.name!r} lists {account.address}, an address of this deployment's own "
                    "contracts, as an account: correct the consortium file"
                )
    consortium = w3.eth.contract(address=Web3.to_checksum_address(consortium_address), abi=artifacts["Consortium"].abi)

    def call(name: str, function: str, *args: Any) -> None:
        steps.append(PlannedStep(name, consortium_address, str(consortium.encode_abi(function, list(args)))))

    for member in spec.members:
        call(f"add member {member.name}", "addMember", *member.add_member_args())
    if spec.node_match != NodeMatch.ENODE_ID:
        call("set node matching", "setNodeMatch", int(spec.node_match))
    call("start governance", "startGovernance")
    return Plan(to_checksum_address(deployer), first_nonce, tuple(steps))
