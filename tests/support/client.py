"""Test support for the client library: clients on the session's embedded chain (the ``env``
fixture's snapshot), the founders' signing keys, and a helper that passes a proposal through the
client (create, the founders vote, the voting period ends, execute)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from consortium_evm.client import Action, ConsortiumClient, Proposal
from consortium_evm.compiler import load_artifact
from consortium_evm.deploy.suite import contract_at
from consortium_evm.node.tester import tester_accounts
from consortium_evm.tx.transactions import Transactor
from tests.support.consortium import Env

LOG_CHUNK = 3
"""Block range of each eth_getLogs: small, so that every history read is chunked."""


def make_client(env: Env, account: str | LocalAccount | None = None, *, ingress: bool = True) -> ConsortiumClient:
    """A client on the env's chain (history from block 0), sending from ``account`` if given."""
    return ConsortiumClient.from_web3(
        env.w3,
        env.consortium.address,
        env.ingress.address if ingress else None,
        account=account,
        log_chunk=LOG_CHUNK,
    )


@pytest.fixture
def reader(env: Env) -> ConsortiumClient:
    """A read-only client."""
    return make_client(env)


@pytest.fixture
def client(env: Env) -> ConsortiumClient:
    """A client sending from founder 1's admin account (member 1, weight 40)."""
    return make_client(env, env.founders[0].admin)


def keys(env: Env) -> dict[str, LocalAccount]:
    """The chain's funded accounts' signing keys, by address."""
    accounts = tester_accounts(len(env.w3.eth.accounts))
    return {a.address: a for a in accounts}


def voters(client: ConsortiumClient, env: Env, founders: Iterable[int] = (0, 1, 2)) -> list[ConsortiumClient]:
    """Clients of the given founders' admin accounts."""
    return [client.with_account(env.founders[i].admin) for i in founders]


def pass_proposal(
    client: ConsortiumClient,
    env: Env,
    actions: Action | Sequence[Action],
    description: str,
    *,
    founders: Iterable[int] = (0, 1, 2),
    executor: str | None = None,
) -> Proposal:
    """Propose through ``client``, the given founders vote for, the vote ends, ``executor``
    (default: an account of no member) executes; returns the proposal as read back after."""
    proposed = client.proposals.create(actions, description)
    for voter in voters(client, env, founders):
        voter.proposals.vote(proposed.proposal_id, "for")
    advance_to(env, client.proposals.get(proposed.proposal_id).executable_at)
    make_client(env, executor or env.spare[0]).proposals.execute(proposed.proposal_id)
    return client.proposals.get(proposed.proposal_id)


def advance_to(env: Env, timestamp: int) -> None:
    """Mine blocks until the latest one (whose time the chain's calls see) is at ``timestamp`` or
    later."""
    while env.now() < timestamp:
        env.advance(timestamp - env.now() + 1)


def deploy(env: Env, name: str, args: Sequence[object], sender: str) -> Contract:
    """Deploy a shipped contract (fixed gas: eth-tester estimates by running the creation many times)."""
    art = load_artifact(name)
    fn = env.w3.eth.contract(abi=art.abi, bytecode=art.bytecode).constructor(*args)
    sent = Transactor(env.w3, sender, [art.abi]).send(fn, gas=8_000_000)
    assert sent.contract_address is not None
    return contract_at(env.w3, name, sent.contract_address)
