"""Shared fixtures: one embedded chain per session with the suite deployed and three founding
members bootstrapped; each test starts from that state (a snapshot) and may change anything."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_keys import keys
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract

from consortium_evm.deploy.suite import Deployment, contract_at, deploy_suite, suite_abis
from consortium_evm.domain.signatures import sign_node_consent
from consortium_evm.domain.spec import (
    AccountSpec,
    ConsortiumSpec,
    GovernanceSettings,
    MemberSpec,
    NodeSpec,
    Role,
)
from consortium_evm.node.tester import advance_time, revert_to, snapshot, tester_web3
from consortium_evm.tx.nonces import forget_nonces
from consortium_evm.tx.transactions import Sent, Transactor

VOTING_PERIOD = 3600
EXPIRY = 7 * 24 * 3600
SETTINGS = (5000, 5001, 0, VOTING_PERIOD, 0, EXPIRY)
"""The session consortium's governance settings, as the contract's ``Settings`` tuple."""
FLOORS = (VOTING_PERIOD, 24 * 3600)
"""Its floors under the voting and expiry periods (``SettingsFloors``; the spec's default for these
settings)."""


def node_private_key(n: int) -> bytes:
    """Test node ``n``'s node key (a real secp256k1 key, so that it can sign its consent)."""
    return bytes(keccak(text=f"consortium-evm test node {n}"))


@functools.cache
def enode(n: int) -> str:
    """Test node ``n``'s enode id: the 64-byte public key of its node key as 128 hex digits."""
    return bytes(keys.PrivateKey(node_private_key(n)).public_key.to_bytes()).hex()


SIGNING: dict[str, Any] = {}
"""The session chain's id and Consortium address, for node consents signed by test helpers."""


def signed_node(n: int, member_id: int, host: str | None = None, port: int = 30303) -> tuple[bytes, str, int, bytes]:
    """Test node ``n`` as the contract's ``NodeSpec`` tuple, with its node key's consent to be
    registered for ``member_id`` on the session's Consortium."""
    signature = sign_node_consent(node_private_key(n), member_id, SIGNING["chain_id"], SIGNING["consortium"])
    return (bytes.fromhex(enode(n)), host or f"10.9.{n // 256}.{n % 256}", port, signature)


def bootstrap_node(n: int, host: str | None = None, port: int = 30303) -> tuple[bytes, str, int, bytes]:
    """Test node ``n`` as a ``NodeSpec`` tuple without a signature (the bootstrap needs none)."""
    return (bytes.fromhex(enode(n)), host or f"10.9.{n // 256}.{n % 256}", port, b"")


@dataclass(frozen=True)
class Founder:
    """A founding member as the tests know it."""

    member_id: int
    name: str
    weight: int
    admin: str
    user: str
    node: NodeSpec


@dataclass
class Env:
    """The deployed consortium and the accounts around it."""

    w3: Web3
    deployment: Deployment
    consortium: Contract
    ingress: Contract
    deployer: str
    founders: list[Founder]
    spare: list[str]
    """Funded accounts that belong to no member."""

    def send(self, fn: Any, sender: str, value: int = 0) -> Sent:
        """Simulate and send ``fn`` from ``sender``; a revert raises ContractRevertError."""
        return Transactor(self.w3, sender, suite_abis()).send(fn, value)

    def advance(self, seconds: int) -> None:
        advance_time(self.w3, seconds)

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def propose(self, calls: list[tuple[str, int, bytes]], description: str, proposer: str) -> tuple[int, Sent]:
        """Propose ``calls`` (target, value, calldata); returns the proposal id and the transaction."""
        targets = [c[0] for c in calls]
        values = [c[1] for c in calls]
        datas = [c[2] for c in calls]
        sent = self.send(self.consortium.functions.propose(targets, values, datas, description), proposer)
        (event,) = self.consortium.events.ProposalCreated().process_receipt(sent.receipt)
        return int(event.args.proposalId), sent

    def execute(self, proposal_id: int, calls: list[tuple[str, int, bytes]], description: str, sender: str) -> Sent:
        fn = self.consortium.functions.execute(
            proposal_id,
            [c[0] for c in calls],
            [c[1] for c in calls],
            [c[2] for c in calls],
            Web3.keccak(text=description),
        )
        return self.send(fn, sender)

    def call(self, name: str, *args: Any) -> tuple[str, int, bytes]:
        """A call to the Consortium itself, as a proposal action."""
        data = self.consortium.encode_abi(name, list(args))
        return (self.consortium.address, 0, bytes.fromhex(data[2:]))

    def pass_proposal(self, calls: list[tuple[str, int, bytes]], description: str = "a proposal") -> int:
        """Propose, have every founder vote for, wait for the end and execute; returns the id."""
        proposal_id, _ = self.propose(calls, description, self.founders[0].admin)
        for founder in self.founders:
            self.send(self.consortium.functions.castVote(proposal_id, 1), founder.admin)
        self.advance(VOTING_PERIOD + 1)
        self.execute(proposal_id, calls, description, self.spare[0])
        return proposal_id


FOUNDERS = (("Acme Bank", 40), ("Globex Logistics", 35), ("Initech Insurance", 25))


@pytest.fixture(scope="session")
def _deployed() -> tuple[Env, int]:
    w3 = tester_web3(accounts=20)
    accounts = list(w3.eth.accounts)
    deployer = accounts[0]
    members = []
    founders = []
    for i, (name, weight) in enumerate(FOUNDERS):
        admin, user = accounts[1 + 2 * i], accounts[2 + 2 * i]
        node = NodeSpec(enode(i + 1), f"10.0.0.{i + 1}", 30303)
        members.append(
            MemberSpec(
                name=name,
                weight=weight,
                metadata_uri=f"https://example.org/{i + 1}.json",
                accounts=(AccountSpec(admin, Role.ADMIN | Role.TRANSACT), AccountSpec(user, Role.TRANSACT)),
                nodes=(node,),
            )
        )
        founders.append(Founder(i + 1, name, weight, admin, user, node))
    spec = ConsortiumSpec(
        members=tuple(members),
        settings=GovernanceSettings(*SETTINGS),
    )
    deployment = deploy_suite(w3, deployer, spec)
    SIGNING.update(chain_id=w3.eth.chain_id, consortium=deployment.consortium)
    env = Env(
        w3=w3,
        deployment=deployment,
        consortium=contract_at(w3, "Consortium", deployment.consortium),
        ingress=contract_at(w3, "PermissionIngress", deployment.ingress),
        deployer=deployer,
        founders=founders,
        spare=accounts[7:],
    )
    return env, snapshot(w3)


@pytest.fixture
def env(_deployed: tuple[Env, int]) -> Iterator[Env]:
    """The deployed consortium, fresh for each test."""
    base, snap = _deployed
    revert_to(base.w3, snap)
    forget_nonces(base.w3)  # the chain went back: the shared nonce counters must ask it again
    yield base
