"""Governance helpers of the contract tests: propose, vote, execute and read proposals on the
session's consortium (tests/support/consortium.py), and move its clock."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3
from web3.logs import DISCARD

from consortium_evm.compiler import load_artifact
from consortium_evm.domain.proposals import ProposalState
from consortium_evm.errors import ContractRevertError
from consortium_evm.tx.transactions import Transactor
from tests.support.consortium import SETTINGS, VOTING_PERIOD, Env
from tests.support.contracts import ABIS, FOR, Call, norm, send

DAY = 24 * 3600


def view_refused(env: Env, fn: Any, name: str, **expected: Any) -> None:
    """A read (eth_call) reverts with custom error ``name``."""
    with pytest.raises(ContractRevertError) as info:
        Transactor(env.w3, env.spare[-1], ABIS).simulate(fn)
    assert info.value.name == name, str(info.value)
    for key, value in expected.items():
        assert norm(info.value.args_by_name[key]) == norm(value), str(info.value)


def propose(env: Env, calls: list[Call], description: str = "a proposal", by: int = 0, sender: str | None = None) -> int:
    fn = env.consortium.functions.propose(
        [c[0] for c in calls], [c[1] for c in calls], [c[2] for c in calls], description
    )
    receipt = send(env, fn, sender or env.founders[by].admin).receipt
    (event,) = env.consortium.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)
    return int(event.args.proposalId)


def vote(env: Env, proposal_id: int, who: int, support: int = FOR, sender: str | None = None) -> Any:
    return send(env, env.consortium.functions.castVote(proposal_id, support), sender or env.founders[who].admin).receipt


def execute_fn(env: Env, proposal_id: int, calls: list[Call], description: str = "a proposal") -> Any:
    return env.consortium.functions.execute(
        proposal_id, [c[0] for c in calls], [c[1] for c in calls], [c[2] for c in calls], Web3.keccak(text=description)
    )


def execute(env: Env, proposal_id: int, calls: list[Call], description: str = "a proposal", sender: str | None = None) -> Any:
    return send(env, execute_fn(env, proposal_id, calls, description), sender or env.spare[0]).receipt


def voted(env: Env, calls: list[Call], description: str = "a proposal", voters: tuple[int, ...] = (0, 1, 2)) -> int:
    """Propose (by the first voter), vote for with ``voters`` and wait for the end of the vote."""
    proposal_id = propose(env, calls, description, by=voters[0])
    for who in voters:
        vote(env, proposal_id, who)
    end_vote(env, proposal_id)
    return proposal_id


def passed(env: Env, calls: list[Call], description: str = "a proposal", voters: tuple[int, ...] = (0, 1, 2)) -> int:
    """Propose, vote for with ``voters``, wait for the end and execute; returns the id."""
    proposal_id = voted(env, calls, description, voters)
    execute(env, proposal_id, calls, description)
    return proposal_id


def set_time(env: Env, timestamp: int) -> None:
    """Mine a block whose timestamp is exactly ``timestamp``: reads (``state``) see it, and the next
    transaction is mined one second later."""
    env.advance(timestamp - env.now())
    if env.now() < timestamp:
        env.advance(timestamp - env.now() + 1)
    assert env.now() == timestamp


def end_vote(env: Env, *proposal_ids: int) -> None:
    """Move time to the first second after the voting of every given proposal (``voteEnd``: votes
    are taken until the second before)."""
    target = max(core(env, pid)["voteEnd"] for pid in proposal_ids)
    if env.now() < target:
        set_time(env, target)


def state(env: Env, proposal_id: int) -> ProposalState:
    return ProposalState(env.consortium.functions.state(proposal_id).call())


def core(env: Env, proposal_id: int) -> dict[str, Any]:
    fields = ("voteStart", "voteEnd", "snapshot", "executed", "canceled", "forVotes", "againstVotes", "abstainVotes")
    return dict(zip(fields, env.consortium.functions.proposalCore(proposal_id).call()))


def tally(env: Env, proposal_id: int) -> tuple[int, int, int]:
    c = core(env, proposal_id)
    return c["forVotes"], c["againstVotes"], c["abstainVotes"]


def settings(env: Env) -> tuple[int, ...]:
    return tuple(env.consortium.functions.settings().call())


def noop(env: Env, n: int = 1) -> Call:
    """A harmless action: set member 1's metadata-free weight to its current 40 (+n-1 to vary ids)."""
    return env.call("setMemberWeight", 1, 40 + n - 1)


def member_weight(env: Env, member_id: int) -> int:
    (view,) = env.consortium.functions.getMembers(member_id - 1, 1).call()
    return int(view[3])


def add_admin(env: Env, member: int, account: str) -> None:
    """The founder's admin registers ``account`` as a second admin+transact account of its member, and
    ``account`` accepts it (an admin added after the bootstrap counts only once accepted)."""
    send(env, env.consortium.functions.addAccounts(member + 1, [account], [5]), env.founders[member].admin)
    send(env, env.consortium.functions.acceptAdmin(), account)


def deploy_fresh(env: Env) -> Any:
    """A new, not yet started Consortium deployed by the deployer (the bootstrapper)."""
    art = load_artifact("Consortium")
    factory = env.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    sent = Transactor(env.w3, env.deployer, ABIS).send(
        factory.constructor(SETTINGS, (VOTING_PERIOD, DAY), (1000, 64)), gas=10_000_000
    )
    return env.w3.eth.contract(address=sent.contract_address, abi=art.abi)
