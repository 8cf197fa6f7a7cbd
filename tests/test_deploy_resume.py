"""A deployment interrupted at any point resumes from its journal and never sends a step twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from web3 import Web3

from consortium_evm import deploy as deploy_module
from consortium_evm.deploy import SUITE, deploy_suite
from consortium_evm.errors import DeploymentError
from consortium_evm.journal import Journal
from consortium_evm.spec import AccountSpec, ConsortiumSpec, MemberSpec, NodeSpec, Role
from consortium_evm.tester import tester_accounts, tester_web3

STEPS = ["deploy Consortium", "deploy PermissionIngress", "add member A", "add member B", "start governance"]


class Crash(BaseException):
    """Stands for the process being killed (not an Exception, so nothing catches it)."""


def make_spec(w3: Web3, weight_b: int = 20) -> ConsortiumSpec:
    accounts = w3.eth.accounts
    return ConsortiumSpec(
        members=(
            MemberSpec("A", 10, accounts=(AccountSpec(accounts[1], Role.ADMIN | Role.TRANSACT),), nodes=(NodeSpec("aa" * 64, "h1"),)),
            MemberSpec("B", weight_b, accounts=(AccountSpec(accounts[2], Role.ADMIN | Role.TRANSACT),), nodes=(NodeSpec("bb" * 64, "h2"),)),
        )
    )


@pytest.fixture
def chain(tmp_path: Path) -> tuple[Web3, object, Path, Path]:
    w3 = tester_web3(accounts=5)
    return w3, tester_accounts(1)[0], tmp_path / "tester.journal.json", tmp_path / "tester.json"


def nonce(w3: Web3, address: str) -> int:
    return int(w3.eth.get_transaction_count(Web3.to_checksum_address(address)))


def test_a_fresh_deployment_writes_journal_and_manifest(chain: tuple) -> None:  # type: ignore[type-arg]
    w3, deployer, journal_path, manifest_path = chain
    deployment = deploy_suite(w3, deployer, make_spec(w3), journal_path=journal_path, manifest_path=manifest_path)
    assert [s.name for s in deployment.steps] == STEPS
    manifest = json.loads(manifest_path.read_text())
    assert set(manifest["contracts"]) == set(SUITE)
    assert manifest["contracts"]["Consortium"]["address"] == deployment.consortium
    assert manifest["contracts"]["PermissionIngress"]["codeHash"].startswith("0x")
    assert manifest["chainId"] == w3.eth.chain_id and manifest["compiler"]["version"].startswith("0.8.28")
    assert manifest["totalGas"] == deployment.total_gas
    journal = Journal.load(journal_path)
    assert journal is not None and journal.complete
    assert all(step.status == "mined" for step in journal.steps.values())
    assert nonce(w3, deployer.address) == len(STEPS)


def test_rerunning_a_finished_deployment_verifies_and_sends_nothing(chain: tuple) -> None:  # type: ignore[type-arg]
    w3, deployer, journal_path, manifest_path = chain
    first = deploy_suite(w3, deployer, make_spec(w3), journal_path=journal_path, manifest_path=manifest_path)
    before = manifest_path.read_text()
    second = deploy_suite(w3, deployer, make_spec(w3), journal_path=journal_path, manifest_path=manifest_path)
    assert nonce(w3, deployer.address) == len(STEPS)
    assert all(step.resumed for step in second.steps)
    assert (second.consortium, second.ingress) == (first.consortium, first.ingress)
    assert manifest_path.read_text() == before


@pytest.mark.parametrize("crash_at", range(len(STEPS)))
@pytest.mark.parametrize("moment", ["after recording, before sending", "after sending, before the receipt"])
def test_a_crash_at_any_step_resumes_without_sending_twice(
    chain: tuple, monkeypatch: pytest.MonkeyPatch, crash_at: int, moment: str  # type: ignore[type-arg]
) -> None:
    w3, deployer, journal_path, manifest_path = chain
    target = STEPS[crash_at]
    if moment == "after recording, before sending":
        original = deploy_module._Sender._broadcast

        def broadcast(self: deploy_module._Sender, step: object) -> None:
            if getattr(step, "name") == target:
                raise Crash()
            original(self, step)  # type: ignore[arg-type]

        monkeypatch.setattr(deploy_module._Sender, "_broadcast", broadcast)
    else:
        original_await = deploy_module._Sender._await

        def await_(self: deploy_module._Sender, step: object) -> object:
            if getattr(step, "name") == target and getattr(step, "status") == "sent" and not hasattr(self, "_crashed"):
                self._crashed = True  # type: ignore[attr-defined]
                raise Crash()
            return original_await(self, step)  # type: ignore[arg-type]

        monkeypatch.setattr(deploy_module._Sender, "_await", await_)
    with pytest.raises(Crash):
        deploy_suite(w3, deployer, make_spec(w3), journal_path=journal_path, manifest_path=manifest_path)
    assert not manifest_path.exists()
    monkeypatch.undo()
    deployment = deploy_suite(w3, deployer, make_spec(w3), journal_path=journal_path, manifest_path=manifest_path)
    assert [s.name for s in deployment.steps] == STEPS
    assert nonce(w3, deployer.address) == len(STEPS)  # every step sent exactly once
    assert [s.resumed for s in deployment.steps] == [i < crash_at for i in range(len(STEPS))]
    consortium = w3.eth.contract(address=deployment.consortium, abi=deploy_module.load_artifact("Consortium").abi)
    assert consortium.functions.totals().call()[0] == 2
    assert consortium.functions.bootstrapper().call() == "0x" + "00" * 20


def test_a_changed_consortium_file_stops_the_resume(chain: tuple, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[type-arg]
    w3, deployer, journal_path, manifest_path = chain

    def crash(self: object, step: object) -> None:
        raise Crash()

    monkeypatch.setattr(deploy_module._Sender, "_broadcast", crash)
    with pytest.raises(Crash):
        deploy_suite(w3, deployer, make_spec(w3), journal_path=journal_path)
    monkeypatch.undo()
    with pytest.raises(DeploymentError, match="consortium changed since"):
        deploy_suite(w3, deployer, make_spec(w3, weight_b=21), journal_path=journal_path)


def test_a_journal_from_another_chain_or_deployer_is_refused(chain: tuple) -> None:  # type: ignore[type-arg]
    w3, deployer, journal_path, _ = chain
    deploy_suite(w3, deployer, make_spec(w3), journal_path=journal_path)
    other_chain = tester_web3(accounts=5)
    journal = json.loads(journal_path.read_text())
    journal["chainId"] = 1
    journal_path.write_text(json.dumps(journal))
    with pytest.raises(DeploymentError, match="for chain id 1"):
        deploy_suite(other_chain, deployer, make_spec(w3), journal_path=journal_path)
    journal["chainId"] = w3.eth.chain_id
    journal_path.write_text(json.dumps(journal))
    with pytest.raises(DeploymentError, match="was started by"):
        deploy_suite(w3, tester_accounts(2)[1], make_spec(w3), journal_path=journal_path)


def test_a_reverting_step_is_named_before_anything_is_spent(chain: tuple) -> None:  # type: ignore[type-arg]
    w3, deployer, journal_path, _ = chain
    spec = make_spec(w3)
    deployment = deploy_suite(w3, deployer, spec)
    consortium = w3.eth.contract(address=deployment.consortium, abi=deploy_module.load_artifact("Consortium").abi)
    from consortium_evm.transactions import Transactor
    from consortium_evm.errors import ContractRevertError

    with pytest.raises(ContractRevertError) as caught:
        Transactor(w3, deployer, deploy_module.suite_abis()).send(consortium.functions.startGovernance())
    assert caught.value.name == "OnlyGovernance"


def test_code_that_the_chain_did_not_keep_is_reported(chain: tuple, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[type-arg]
    w3, deployer, journal_path, _ = chain
    monkeypatch.setattr(w3.eth, "get_code", lambda address: b"")
    with pytest.raises(DeploymentError, match="has no code although its creation was mined"):
        deploy_suite(w3, deployer, make_spec(w3), journal_path=journal_path)


def test_artifacts_newer_than_the_network_evm_are_refused(chain: tuple) -> None:  # type: ignore[type-arg]
    w3, deployer, _, _ = chain
    with pytest.raises(DeploymentError, match="newer than the network's berlin"):
        deploy_suite(w3, deployer, make_spec(w3), network_evm_version="berlin")
