"""A deployment interrupted at any point resumes from its journal and never sends a step twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from web3 import Web3

from consortium_evm.deploy import suite as deploy_module
from consortium_evm.deploy.journal import Journal
from consortium_evm.deploy.suite import SUITE, deploy_suite
from consortium_evm.domain.spec import AccountSpec, ConsortiumSpec, MemberSpec, NodeSpec, Role
from consortium_evm.errors import DeploymentError
from consortium_evm.node.tester import tester_accounts, tester_web3

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
    # Pipelined (issue 15 item 2): every step is signed and journaled, then all are sent, then all
    # awaited. A crash before sending step k leaves steps 0..k-1 sent by the first run; a crash while
    # awaiting step k comes after every step was sent.
    sent_before = crash_at if moment == "after recording, before sending" else len(STEPS)
    assert [s.resumed for s in deployment.steps] == [i < sent_before for i in range(len(STEPS))]
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
    with pytest.raises(DeploymentError) as info:
        deploy_suite(w3, deployer, make_spec(w3, weight_b=21), journal_path=journal_path)
    # what changed is named (issue 14, item 13), and the way out offered
    assert "changed since: the consortium (members, accounts, nodes, settings) [consortium] (" in str(info.value)
    assert "--fresh" in str(info.value)
    with pytest.raises(DeploymentError, match=r"changed since: the consortium file \[consortiumFile\] \(none -> ffffffffffff…\)"):
        deploy_suite(w3, deployer, make_spec(w3), journal_path=journal_path, inputs={"consortiumFile": "f" * 64})


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
    from consortium_evm.tx.transactions import Transactor
    from consortium_evm.errors import ContractRevertError

    with pytest.raises(ContractRevertError) as caught:
        Transactor(w3, deployer, deploy_module.suite_abis()).send(consortium.functions.startGovernance())
    assert caught.value.name == "NotBootstrapper"  # the bootstrapper, after it handed over


def test_code_that_the_chain_did_not_keep_is_reported(chain: tuple, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[type-arg]
    w3, deployer, journal_path, _ = chain
    monkeypatch.setattr(w3.eth, "get_code", lambda address: b"")
    with pytest.raises(DeploymentError, match="has no code although its creation was mined"):
        deploy_suite(w3, deployer, make_spec(w3), journal_path=journal_path)


def test_artifacts_newer_than_the_network_evm_are_refused(chain: tuple) -> None:  # type: ignore[type-arg]
    w3, deployer, _, _ = chain
    with pytest.raises(DeploymentError, match="newer than the network's berlin"):
        deploy_suite(w3, deployer, make_spec(w3), network_evm_version="berlin")


# -- issue 14, item 13: a journal from another chain with the same chain id ------------------------

OTHER_GENESIS = "0x" + "11" * 32


def genesis_of(w3: Web3) -> str:
    return "0x" + bytes(w3.eth.get_block(0)["hash"]).hex()


def rewrite(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text())
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path.write_text(json.dumps(data))


def test_block_zeros_hash_is_recorded_in_the_journal_and_the_manifest(chain: tuple) -> None:  # type: ignore[type-arg]
    w3, deployer, journal_path, manifest_path = chain
    deployment = deploy_suite(w3, deployer, make_spec(w3), journal_path=journal_path, manifest_path=manifest_path)
    assert deployment.genesis_hash == genesis_of(w3)
    assert json.loads(journal_path.read_text())["genesisHash"] == genesis_of(w3)
    assert json.loads(manifest_path.read_text())["genesisHash"] == genesis_of(w3)
    journal = Journal.load(journal_path)
    assert journal is not None and journal.genesis_hash == genesis_of(w3)


@pytest.mark.parametrize("finished", [True, False])
def test_a_journal_of_another_chain_with_the_same_chain_id_is_named_in_one_line(
    chain: tuple, monkeypatch: pytest.MonkeyPatch, finished: bool  # type: ignore[type-arg]
) -> None:
    w3, deployer, journal_path, manifest_path = chain
    if finished:
        deploy_suite(w3, deployer, make_spec(w3), journal_path=journal_path, manifest_path=manifest_path)
    else:
        monkeypatch.setattr(deploy_module._Sender, "_broadcast", lambda self, step: (_ for _ in ()).throw(Crash()))
        with pytest.raises(Crash):
            deploy_suite(w3, deployer, make_spec(w3), journal_path=journal_path)
        monkeypatch.undo()
    rewrite(journal_path, genesisHash=OTHER_GENESIS)  # as after `node start --reset`: same id, new block 0
    sent = nonce(w3, deployer.address)
    with pytest.raises(DeploymentError) as info:
        deploy_suite(w3, deployer, make_spec(w3), journal_path=journal_path, manifest_path=manifest_path)
    message = str(info.value)
    assert "\n" not in message
    assert message == (
        f"the journal ({journal_path}) was written on another chain: same chain id {w3.eth.chain_id}, but its block 0 "
        f"was {OTHER_GENESIS} and the node's is {genesis_of(w3)} (the network was reset or replaced); deploy again "
        "with --fresh to keep the old journal and manifest aside and start anew"
    )
    assert "EVM" not in message and nonce(w3, deployer.address) == sent  # nothing blamed on the EVM, nothing sent


def test_a_journal_without_a_genesis_hash_still_loads_and_behaves_as_before(chain: tuple) -> None:  # type: ignore[type-arg]
    """Journals and manifests written before this change: the hash is unknown, nothing compared."""
    w3, deployer, journal_path, manifest_path = chain
    deploy_suite(w3, deployer, make_spec(w3), journal_path=journal_path, manifest_path=manifest_path)
    rewrite(journal_path, genesisHash=None)
    rewrite(manifest_path, genesisHash=None)
    journal = Journal.load(journal_path)
    assert journal is not None and journal.genesis_hash is None
    # on its own chain: verified, nothing sent, and the hash is now known (the code was found)
    again = deploy_suite(w3, deployer, make_spec(w3), journal_path=journal_path, manifest_path=manifest_path)
    assert all(step.resumed for step in again.steps) and nonce(w3, deployer.address) == len(STEPS)
    assert json.loads(journal_path.read_text())["genesisHash"] == genesis_of(w3)
    # on another chain with the same chain id, today's behaviour: the missing code is what is reported
    rewrite(journal_path, genesisHash=None)
    other = tester_web3(accounts=5)
    assert other.eth.chain_id == w3.eth.chain_id
    with pytest.raises(DeploymentError, match="has no code although its creation was mined"):
        deploy_suite(other, deployer, make_spec(w3), journal_path=journal_path)


def test_set_aside_renames_and_never_deletes(tmp_path: Path) -> None:
    from consortium_evm.deploy.journal import set_aside

    journal, manifest, absent = tmp_path / "n.journal.json", tmp_path / "n.json", tmp_path / "absent.json"
    journal.write_text("journal 1")
    manifest.write_text("manifest 1")
    moved = set_aside(journal, manifest, absent, now=0)
    assert moved == [(journal, tmp_path / "n.journal.json.old-19700101T000000Z"),
                     (manifest, tmp_path / "n.json.old-19700101T000000Z")]
    assert not journal.exists() and not manifest.exists()
    journal.write_text("journal 2")
    assert set_aside(journal, now=0) == [(journal, tmp_path / "n.journal.json.old-19700101T000000Z-2")]
    assert (tmp_path / "n.journal.json.old-19700101T000000Z").read_text() == "journal 1"
    assert (tmp_path / "n.journal.json.old-19700101T000000Z-2").read_text() == "journal 2"
    assert (tmp_path / "n.json.old-19700101T000000Z").read_text() == "manifest 1"


def test_a_member_account_that_is_one_of_the_suites_contracts_is_refused(chain: tuple) -> None:  # type: ignore[type-arg]
    """Issue 14 item 5: the ingress (or the Consortium) as a founding admin account (a typo, or an
    attempt to make a contract that can never vote count as an admin) is refused before any member
    is registered."""
    from consortium_evm.genesis.predeploy import create_address

    w3, deployer, journal_path, _ = chain
    for offset in (0, 1):  # the Consortium (created first), then the ingress
        target = create_address(deployer.address, nonce(w3, deployer.address) + offset)
        spec = make_spec(w3)
        bad = MemberSpec("C", 5, accounts=(AccountSpec(target, Role.ADMIN | Role.TRANSACT),), nodes=(NodeSpec("cc" * 64, "h3"),))
        with pytest.raises(DeploymentError, match="own contracts"):
            deploy_suite(w3, deployer, ConsortiumSpec(members=(*spec.members, bad)))


# -- issue 15, items 1 and 2: the pipelined deployment -------------------------------------------


def test_every_step_is_signed_and_journaled_before_the_first_is_sent(
    chain: tuple, monkeypatch: pytest.MonkeyPatch  # type: ignore[type-arg]
) -> None:
    w3, deployer, journal_path, manifest_path = chain
    seen: list[dict[str, object]] = []
    original = deploy_module._Sender._broadcast

    def broadcast(self: deploy_module._Sender, step: object) -> None:
        if not seen:
            seen.append(json.loads(journal_path.read_text()))
        original(self, step)  # type: ignore[arg-type]

    monkeypatch.setattr(deploy_module._Sender, "_broadcast", broadcast)
    deployment = deploy_suite(w3, deployer, make_spec(w3), journal_path=journal_path, manifest_path=manifest_path)
    steps = seen[0]["steps"]
    assert isinstance(steps, list)
    assert [s["name"] for s in steps] == STEPS
    assert [s["status"] for s in steps] == ["signed"] * len(STEPS)
    assert [s["nonce"] for s in steps] == list(range(len(STEPS)))
    assert all(s["raw_tx"].startswith("0x") for s in steps)
    # the addresses planned from the nonces are where the contracts are
    assert deployment.consortium == deploy_module.to_checksum_address(deployment.steps[0].address or "")
    assert deployment.ingress == deploy_module.to_checksum_address(deployment.steps[1].address or "")


def test_a_step_that_would_revert_in_the_rehearsal_stops_the_deployment_before_anything_is_sent(
    chain: tuple, monkeypatch: pytest.MonkeyPatch  # type: ignore[type-arg]
) -> None:
    from consortium_evm.deploy import plan as plan_module

    w3, deployer, journal_path, manifest_path = chain
    real = plan_module.plan_suite

    def twice(*args: object) -> plan_module.Plan:  # the hand-over planned twice: the second reverts
        plan = real(*args)  # type: ignore[arg-type]
        last = plan.steps[-1]
        return plan_module.Plan(plan.deployer, plan.first_nonce, (*plan.steps, plan_module.PlannedStep("again", last.to, last.data)))

    monkeypatch.setattr(deploy_module, "plan_suite", twice)
    with pytest.raises(DeploymentError, match=r"step 'again' would revert: reverted with NotBootstrapper"):
        deploy_suite(w3, deployer, make_spec(w3), journal_path=journal_path, manifest_path=manifest_path)
    assert nonce(w3, deployer.address) == 0  # nothing was sent
    assert Journal.load(journal_path) is None or not Journal.load(journal_path).steps  # type: ignore[union-attr]


def test_a_transactor_of_the_deployer_continues_after_the_deployments_nonces(chain: tuple) -> None:  # type: ignore[type-arg]
    from consortium_evm.tx.transactions import Transactor

    w3, deployer, journal_path, _ = chain
    deployment = deploy_suite(w3, deployer, make_spec(w3), journal_path=journal_path)
    consortium = w3.eth.contract(address=deployment.consortium, abi=deploy_module.load_artifact("Consortium").abi)
    transactor = Transactor(w3, deployer, deploy_module.suite_abis())
    sent = transactor.transact(deployer.address, b"", value=1)  # a plain transfer to itself
    assert sent.nonce == len(STEPS)
    assert consortium.functions.totals().call()[0] == 2
