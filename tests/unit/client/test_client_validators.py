"""The validators the members govern, through the client and the CLI: a proposal built by
``client.actions.add_validator`` changes ``client.validators()`` once it passes; the last validator
cannot be voted out; the ValidatorSet's events are in the history; a consortium without a
ValidatorSet says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from web3 import Web3

from consortium_evm.cli import main
from consortium_evm.cli.options import ClientOptions
from consortium_evm.client import ConsortiumClient
from consortium_evm.compiler import load_artifact
from consortium_evm.contract_errors import LastValidator
from consortium_evm.errors import ConfigError
from consortium_evm.tx.transactions import Transactor
from tests.support.client import advance_to
from tests.support.consortium import Env

FIRST = Web3.to_checksum_address("0x" + "a1" * 20)
SECOND = Web3.to_checksum_address("0x" + "b2" * 20)


@pytest.fixture
def governed(env: Env) -> ConsortiumClient:
    """A ValidatorSet owned by the session's Consortium, with one validator, known to the client."""
    artifact = load_artifact("ValidatorSet")
    factory = env.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    sent = Transactor(env.w3, env.deployer, [artifact.abi]).send(factory.constructor(env.consortium.address, [FIRST]))
    assert sent.contract_address is not None
    d = env.deployment
    return ConsortiumClient.from_web3(env.w3, d.consortium, d.ingress, account=env.founders[0].admin,
                                      validator_set=sent.contract_address)


def pass_proposal(env: Env, client: ConsortiumClient, action: object, description: str) -> int:
    proposed = client.proposals.create(action, description)  # type: ignore[arg-type]
    for founder in env.founders:
        client.with_account(founder.admin).proposals.vote(proposed.proposal_id, "for")
    advance_to(env, client.proposals.get(proposed.proposal_id).executable_at)
    return proposed.proposal_id


def test_a_passed_proposal_adds_and_removes_validators(env: Env, governed: ConsortiumClient) -> None:
    client = governed
    assert client.validators() == (FIRST,)
    action = client.actions.add_validator(SECOND.lower())
    assert client.validator_set is not None and action.target == client.validator_set.address
    assert action.summary == f"ValidatorSet.addValidator(validator='{SECOND}')"
    pid = pass_proposal(env, client, action, "Add a validator")
    assert client.proposals.get(pid).actions[0].summary == action.summary  # read back from the chain
    client.proposals.execute(pid)
    assert client.validators() == (FIRST, SECOND)
    status = client.status()
    assert status.validators == (FIRST, SECOND) and status.validator_set == client.validator_set.address

    pid = pass_proposal(env, client, client.actions.remove_validator(FIRST), "Remove the first validator")
    client.proposals.execute(pid)
    assert client.validators() == (SECOND,)

    events = client.events.history(kinds="validators")
    assert [e.describe() for e in events] == [
        f"validator {FIRST} added", f"validator {SECOND} added", f"validator {FIRST} removed",
    ]


def test_the_last_validator_cannot_be_voted_out(env: Env, governed: ConsortiumClient) -> None:
    client = governed
    pid = pass_proposal(env, client, client.actions.remove_validator(FIRST), "Remove the only validator")
    with pytest.raises(LastValidator) as refused:
        client.proposals.execute(pid)
    assert refused.value.validator == FIRST
    assert client.validators() == (FIRST,)


def test_without_a_validator_set_the_client_says_so(env: Env) -> None:
    d = env.deployment
    client = ConsortiumClient.from_web3(env.w3, d.consortium, d.ingress, account=env.founders[0].admin)
    for attempt in (client.validators, lambda: client.actions.add_validator(FIRST)):
        with pytest.raises(ConfigError, match="no ValidatorSet: list validators in the consortium file"):
            attempt()


def test_cli_propose_add_validator(env: Env, governed: ConsortiumClient, tmp_path: Path) -> None:
    def factory(options: ClientOptions) -> ConsortiumClient:
        return governed if options.account else governed.with_account(env.spare[0])

    result = CliRunner().invoke(main, ["propose", "add-validator", SECOND, "--network", "test", "--account", "acme",
                                       "--json"], obj={"client_factory": factory})
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["proposal"]["description"] == f"Add validator {SECOND}"
    assert created["proposal"]["actions"][0]["summary"] == f"ValidatorSet.addValidator(validator='{SECOND}')"
    result = CliRunner().invoke(main, ["propose", "remove-validator", "0x1234", "--network", "test", "--account",
                                       "acme"], obj={"client_factory": factory})
    assert result.exit_code == 3 and "is not an Ethereum address" in result.output
