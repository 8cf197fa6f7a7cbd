"""ValidatorSet: the validators QBFT reads in contract mode and `validators sync` drives header-voting
nodes toward. Every function, custom error and event; only governance changes it; it never becomes
empty; a passed proposal that adds a validator changes ``getValidators()``.
"""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3
from web3.contract import Contract

from consortium_evm.compiler import load_artifact
from consortium_evm.deploy.suite import suite_abis
from consortium_evm.errors import ContractRevertError
from consortium_evm.tx.transactions import Transactor

from tests.support.consortium import Env

ZERO = "0x" + "00" * 20
ABIS = [*suite_abis(), load_artifact("ValidatorSet").abi]


def v(n: int) -> str:
    return Web3.to_checksum_address("0xa1" + f"{n:038x}")


def deploy_set(env: Env, validators: list[str], governance: str | None = None) -> Contract:
    artifact = load_artifact("ValidatorSet")
    factory = env.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    sent = Transactor(env.w3, env.deployer, ABIS).send(
        factory.constructor(governance or env.consortium.address, validators)
    )
    assert sent.contract_address is not None
    return env.w3.eth.contract(address=sent.contract_address, abi=artifact.abi)


def revert_name(env: Env, fn: Any, sender: str) -> tuple[str, dict[str, Any]]:
    with pytest.raises(ContractRevertError) as info:
        Transactor(env.w3, sender, ABIS).simulate(fn)
    return info.value.name, {k: str(val).lower() for k, val in info.value.args_by_name.items()}


def validators_of(vs: Contract) -> list[str]:
    return [str(a) for a in vs.functions.getValidators().call()]


def test_constructor_records_the_initial_validators_and_emits_one_event_each(env: Env) -> None:
    vs = deploy_set(env, [v(1), v(2), v(3)])
    assert validators_of(vs) == [v(1), v(2), v(3)]
    assert vs.functions.validatorCount().call() == 3
    assert vs.functions.isValidator(v(2)).call() is True
    assert vs.functions.isValidator(v(4)).call() is False
    assert vs.functions.governance().call() == env.consortium.address
    logs = vs.events.ValidatorAdded().get_logs(from_block=0)
    assert [log.args.validator for log in logs] == [v(1), v(2), v(3)]


@pytest.mark.parametrize(
    ("validators", "error", "args"),
    [
        ([], "NoValidators", {}),
        ([v(1), ZERO], "ZeroValidator", {}),
        ([v(1), v(2), v(1)], "DuplicateValidator", {"validator": v(1).lower()}),
    ],
)
def test_constructor_refuses_an_empty_list_the_zero_address_and_duplicates(
    env: Env, validators: list[str], error: str, args: dict[str, str]
) -> None:
    artifact = load_artifact("ValidatorSet")
    factory = env.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    assert revert_name(env, factory.constructor(env.consortium.address, validators), env.deployer) == (error, args)


def test_constructor_refuses_a_zero_governance(env: Env) -> None:
    artifact = load_artifact("ValidatorSet")
    factory = env.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    assert revert_name(env, factory.constructor(ZERO, [v(1)]), env.deployer) == ("ZeroGovernance", {})


def test_only_governance_adds_or_removes(env: Env) -> None:
    vs = deploy_set(env, [v(1), v(2)])
    admin = env.founders[0].admin
    for fn in (vs.functions.addValidator(v(3)), vs.functions.removeValidator(v(1))):
        assert revert_name(env, fn, admin) == ("OnlyGovernance", {"caller": admin.lower()})
        assert revert_name(env, fn, env.deployer) == ("OnlyGovernance", {"caller": env.deployer.lower()})


def test_governance_adds_a_validator_and_refuses_zero_and_duplicates(env: Env) -> None:
    vs = deploy_set(env, [v(1)], governance=env.spare[0])
    gov = Transactor(env.w3, env.spare[0], ABIS)
    sent = gov.send(vs.functions.addValidator(v(2)))
    (event,) = vs.events.ValidatorAdded().process_receipt(sent.receipt)
    assert event.args.validator == v(2)
    assert validators_of(vs) == [v(1), v(2)]
    assert revert_name(env, vs.functions.addValidator(v(2)), env.spare[0]) == (
        "DuplicateValidator", {"validator": v(2).lower()}
    )
    assert revert_name(env, vs.functions.addValidator(ZERO), env.spare[0]) == ("ZeroValidator", {})


def test_removal_moves_the_last_validator_into_the_gap_and_keeps_the_index_right(env: Env) -> None:
    vs = deploy_set(env, [v(1), v(2), v(3), v(4)], governance=env.spare[0])
    gov = Transactor(env.w3, env.spare[0], ABIS)
    sent = gov.send(vs.functions.removeValidator(v(2)))
    (event,) = vs.events.ValidatorRemoved().process_receipt(sent.receipt)
    assert event.args.validator == v(2)
    assert validators_of(vs) == [v(1), v(4), v(3)]
    assert vs.functions.isValidator(v(2)).call() is False
    # v(4) moved to index 1: removing it must still find it, and the last one goes without a move.
    gov.send(vs.functions.removeValidator(v(4)))
    gov.send(vs.functions.removeValidator(v(3)))
    assert validators_of(vs) == [v(1)]
    # a removed validator may come back
    gov.send(vs.functions.addValidator(v(2)))
    assert validators_of(vs) == [v(1), v(2)]


def test_removing_an_unknown_or_the_last_validator_is_refused(env: Env) -> None:
    vs = deploy_set(env, [v(1), v(2)], governance=env.spare[0])
    assert revert_name(env, vs.functions.removeValidator(v(9)), env.spare[0]) == (
        "UnknownValidator", {"validator": v(9).lower()}
    )
    Transactor(env.w3, env.spare[0], ABIS).send(vs.functions.removeValidator(v(1)))
    assert revert_name(env, vs.functions.removeValidator(v(2)), env.spare[0]) == (
        "LastValidator", {"validator": v(2).lower()}
    )
    assert validators_of(vs) == [v(2)]


def test_a_passed_proposal_adds_a_validator_and_getValidators_shows_it(env: Env) -> None:  # noqa: N802
    vs = deploy_set(env, [v(1), v(2)])
    data = bytes.fromhex(vs.encode_abi("addValidator", [v(3)])[2:])
    env.pass_proposal([(vs.address, 0, data)], "add validator 3")
    assert validators_of(vs) == [v(1), v(2), v(3)]
    data = bytes.fromhex(vs.encode_abi("removeValidator", [v(1)])[2:])
    env.pass_proposal([(vs.address, 0, data)], "remove validator 1")
    assert validators_of(vs) == [v(3), v(2)]
