"""Deploying the consortium suite and bootstrapping its founding members: pipelined and resumable.

The suite is two contracts: ``Consortium`` (member registry, governance, and the first permission
rules) and ``PermissionIngress`` (the fixed address nodes are configured with); a consortium that
lists validators also gets a ``ValidatorSet`` holding them, owned by governance. The bootstrap adds
the founding members, sets the node matching mode, and hands control to governance for good, after
which the deployer can do nothing.

A deployment goes through the phases of the one transaction pipeline (:mod:`consortium_evm.tx.pipeline`),
for all of its steps at once:

1. **plan** (:mod:`~consortium_evm.deploy.plan`): every step written down, the contracts' addresses
   following from the deployer's nonces;
2. **simulate**: the first step not yet mined is simulated on the node (the chain can run the
   code; a resumed step would not revert), and the whole plan is rehearsed on the embedded chain with
   the network's EVM rules (:mod:`~consortium_evm.deploy.rehearsal`), which gives each step's gas;
   a revert stops the deployment with the contract's named error, spending nothing;
3. **prepare and sign** every step, and check the deployer can pay for all of them;
4. **journal** the signed transactions (:mod:`~consortium_evm.deploy.journal`), in one atomic write,
   before the first is sent;
5. **broadcast** them one after the other without waiting (each marked ``sent`` once the node has it);
6. **await** each receipt in order, recording it, and check each created contract's code against its
   artifact (a chain that cannot run the bytecode, PUSH0 before Shanghai say, is caught even when its
   receipt claims success).

Killed anywhere, a rerun finds the journal and carries on: it sends the recorded bytes (never new
ones: nothing can be sent twice), waits for what was sent, and re-sends what a node lost. Run on a
finished deployment, it verifies the code on chain and changes nothing. An account the node unlocks
(the embedded chain, a development node) cannot sign ahead; its steps go one at a time, each awaited
before the next is simulated and sent.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address
from web3 import Web3

from consortium_evm.compiler import DEFAULT_EVM_VERSION, EVM_VERSIONS, Artifact, load_artifact
from consortium_evm.deploy.code import artifacts_hash, check_code, contract_at, masked_code, spec_hash, suite_abis
from consortium_evm.deploy.journal import Journal, JournalStep
from consortium_evm.deploy.manifest import ContractRecord, Manifest, StepRecord, genesis_hash, write_manifest
from consortium_evm.deploy.plan import SUITE, VALIDATOR_SET, Plan, PlannedStep, plan_suite, suite_for
from consortium_evm.deploy.rehearsal import rehearse
from consortium_evm.domain.goquorum import ADAPTER
from consortium_evm.domain.revert import ErrorTable, error_table
from consortium_evm.domain.spec import ConsortiumSpec
from consortium_evm.errors import (
    ContractRevertError,
    DeploymentError,
    DeploymentRevertError,
    DeploymentTimeoutError,
    RPCError,
    TransactionError,
    TransactionTimeoutError,
)
from consortium_evm.tx import pipeline
from consortium_evm.tx.fees import check_funds, transaction_fees
from consortium_evm.tx.nonces import nonce_counter, pending_nonce
from consortium_evm.tx.pipeline import DEFAULT_GAS_HEADROOM, NonceTaken, SignedTx
from consortium_evm.tx.signer import Sender, sender_address

__all__ = [
    "FAULT_ENV",
    "SUITE",
    "VALIDATOR_SET",
    "Deployment",
    "Progress",
    "Step",
    "artifacts_hash",
    "check_code",
    "contract_at",
    "deploy_suite",
    "genesis_hash",
    "masked_code",
    "spec_hash",
    "suite_abis",
    "suite_for",
]


@dataclass(frozen=True)
class Step:
    """One transaction of a deployment."""

    name: str
    tx_hash: str
    gas_used: int
    block_number: int
    address: str | None = None
    resumed: bool = False
    """True when an earlier run sent this step's transaction (this run only waited for it, or found
    it mined)."""


@dataclass(frozen=True)
class Deployment:
    """A deployed and bootstrapped consortium: what ``deployments/<network>.json`` holds."""

    network: str
    chain_id: int
    deployer: str
    consortium: str
    ingress: str
    steps: tuple[Step, ...] = field(default=())
    validator_set: str | None = None
    """The ``ValidatorSet`` when the consortium lists validators."""
    goquorum_adapter: str | None = None
    """GoQuorum's permission adapter, on a GoQuorum network."""
    code_hashes: dict[str, str] = field(default_factory=dict)
    compiler: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    genesis_hash: str | None = None
    """The hash of the chain's block 0: tells this chain from another with the same chain id."""

    @property
    def total_gas(self) -> int:
        """Gas of every step together."""
        return sum(s.gas_used for s in self.steps)

    def gas_of(self, prefix: str) -> int:
        """Gas of the steps whose name starts with ``prefix``."""
        return sum(s.gas_used for s in self.steps if s.name.startswith(prefix))

    def to_manifest(self) -> Manifest:
        """The deployment's manifest record (what ``deployments/<network>.json`` holds)."""
        by_step = {s.name: s for s in self.steps}
        created = [("Consortium", self.consortium), ("PermissionIngress", self.ingress)]
        if self.validator_set is not None:
            created.append((VALIDATOR_SET, self.validator_set))
        if self.goquorum_adapter is not None:
            created.append((ADAPTER, self.goquorum_adapter))
        contracts = {}
        for name, address in created:
            step = by_step[f"deploy {name}"]
            contracts[name] = ContractRecord(address, step.tx_hash, step.block_number, self.code_hashes.get(name, ""))
        return Manifest(
            network=self.network,
            contracts=contracts,
            chain_id=self.chain_id,
            deployer=self.deployer,
            genesis_hash=self.genesis_hash,
            steps=tuple(StepRecord(s.name, s.tx_hash, s.block_number, s.gas_used, s.address) for s in self.steps),
            compiler=self.compiler,
            inputs=self.inputs,
        )

    def manifest(self) -> dict[str, Any]:
        """The manifest as JSON-ready data."""
        return self.to_manifest().to_json()


Progress = Callable[[Step], None]


FAULT_ENV = "CONSORTIUM_EVM_FAULT"
"""Test hook: ``before-send:STEP`` or ``after-send:STEP`` makes the process exit at once (code 75)
at that point of that step, as if it were killed. The fault tests use it; never set it otherwise."""


def _fault_point(moment: str, step: str) -> None:
    if os.environ.get(FAULT_ENV) == f"{moment}:{step}":
        os._exit(75)


class _Sender:
    """Carries a deployment's steps through the pipeline's phases, recording each in the journal."""

    def __init__(
        self,
        w3: Web3,
        deployer: Sender,
        journal: Journal,
        errors: ErrorTable,
        *,
        fees: dict[str, int],
        confirmations: int,
        receipt_timeout: float,
        poll: float,
        evm_version: str = DEFAULT_EVM_VERSION,
    ) -> None:
        self.w3 = w3
        self.deployer = deployer
        self.address = Web3.to_checksum_address(sender_address(deployer))
        self.journal = journal
        self.errors = errors
        self.fees = fees
        self.confirmations = max(1, confirmations)
        self.receipt_timeout = receipt_timeout
        self.poll = poll
        self.evm_version = evm_version
        self.nonces = nonce_counter(w3, self.address)

    # -- plan ------------------------------------------------------------------------------------

    def plan(self, spec: ConsortiumSpec, artifacts: dict[str, Artifact], goquorum: bool = False) -> Plan:
        """The deployment's steps, from the journal's first nonce (a resumed deployment) or the
        deployer's next one."""
        recorded = [step.nonce for step in self.journal.steps.values()]
        if recorded:
            first = min(recorded)
        else:
            try:
                with self.nonces.lock:
                    first = self.nonces.peek(lambda: pending_nonce(self.w3, self.address))
            except Exception as exc:  # noqa: BLE001
                raise RPCError(f"cannot read the deployer {self.address}'s nonce from the node: {exc}") from exc
        plan = plan_suite(spec, artifacts, self.address, first, goquorum)
        for index, step in enumerate(plan.steps):
            done = self.journal.steps.get(step.name)
            if done is not None and done.nonce != first + index:
                raise DeploymentError(
                    f"the journal{self._where()} records step '{step.name}' at nonce {done.nonce}, but this deployment "
                    f"has it at nonce {first + index}: it was written by another plan; deploy again with --fresh"
                )
        return plan

    def _where(self) -> str:
        return f" ({self.journal.path})" if self.journal.path else ""

    # -- simulate, prepare, sign, journal --------------------------------------------------------

    def _simulate(self, step: PlannedStep, tx: dict[str, Any]) -> None:
        """``step`` simulated on the node; only for a step whose earlier steps are all mined."""
        try:
            pipeline.simulate(self.w3, tx, self.errors)
        except ContractRevertError as error:
            raise DeploymentRevertError(f"step '{step.name}' would revert: {error}") from error
        except RPCError as exc:
            if step.creates is not None:
                raise DeploymentError(
                    f"step '{step.name}': the chain cannot run the creation code ({exc.__cause__ or exc}); it was "
                    f"compiled for EVM {self.evm_version} (PUSH0 needs shanghai): set the network's evm_version in "
                    "networks.yaml to the chain's fork"
                ) from exc
            raise RPCError(f"step '{step.name}': the node failed the simulation: {exc.__cause__ or exc}") from exc

    def _tx(self, step: PlannedStep, nonce: int) -> dict[str, Any]:
        tx: dict[str, Any] = {"from": self.address, "data": step.data, "value": 0, "nonce": nonce,
                              "chainId": self.journal.chain_id}
        if step.to is not None:
            tx["to"] = step.to
        return tx

    def simulate_next(self, plan: Plan) -> None:
        """Simulate on the node the first step not yet mined, when it is also not yet sent: the
        only one whose state the node already has."""
        for index, step in enumerate(plan.steps):
            done = self.journal.steps.get(step.name)
            if done is not None and done.status == "mined":
                continue
            if done is None:
                self._simulate(step, self._tx(step, plan.first_nonce + index))
            return

    def sign_missing(self, plan: Plan, make_plan: Callable[[str, int], Plan]) -> None:
        """Sign every step the journal lacks, after a rehearsal gave their gas and a funds check
        passed, and journal them all in one write, before any of them is sent."""
        missing = [(index, step) for index, step in enumerate(plan.steps) if step.name not in self.journal.steps]
        if not missing:
            return
        rehearsed = rehearse(make_plan, self.evm_version, self.errors)
        limits = {step.name: int(rehearsed[step.name] * DEFAULT_GAS_HEADROOM) for _, step in missing}
        check_funds(self.w3, self.address, sum(limits.values()), self.fees)
        signer = self.deployer
        if isinstance(signer, str):
            raise DeploymentError(f"{signer} is an account the node unlocks: it cannot sign ahead")
        with self.nonces.lock:
            for index, step in missing:
                tx = {**self._tx(step, plan.first_nonce + index), "gas": limits[step.name], **self.fees}
                signed = pipeline.sign(signer, tx)
                self.journal.steps[step.name] = JournalStep(step.name, signed.nonce, signed.tx_hash, signed.raw, "signed")
            self.journal.save()  # every step recorded before the first is sent
            self.nonces.used(plan.first_nonce + len(plan.steps) - 1)

    # -- broadcast -------------------------------------------------------------------------------

    def broadcast_signed(self, plan: Plan) -> None:
        """Send every step that is signed and not yet sent, in nonce order, without waiting."""
        for planned in plan.steps:
            step = self.journal.steps[planned.name]
            if step.status != "signed":
                continue
            _fault_point("before-send", step.name)
            self._broadcast(step)
            _fault_point("after-send", step.name)
            step.status = "sent"
            self.journal.record(step)

    def _broadcast(self, step: JournalStep) -> None:
        try:
            pipeline.broadcast(
                self.w3, SignedTx(step.tx_hash, step.raw_tx, step.nonce), self.address, self.errors,
                label=f"step '{step.name}'",
            )
        except NonceTaken as exc:
            raise DeploymentError(
                f"step '{step.name}': the deployer's nonce {step.nonce} was used by another transaction than the "
                f"recorded {step.tx_hash} ({exc}); check the deployer's transactions before going on"
            ) from None

    def send_unlocked(self, plan: Plan, index: int) -> None:
        """An account the node unlocks: simulate, estimate and send step ``index`` (the earlier
        ones are mined), recording its hash once the node gives it."""
        planned = plan.steps[index]
        tx = self._tx(planned, plan.first_nonce + index)
        self._simulate(planned, tx)
        pipeline.prepare(self.w3, tx, self.errors, fees=self.fees, chain_id=self.journal.chain_id)
        try:
            tx_hash = pipeline.send_unlocked(self.w3, tx, self.errors)
        except NonceTaken as exc:
            raise DeploymentError(
                f"step '{planned.name}': the deployer's nonce {tx['nonce']} was used by another transaction ({exc})"
            ) from None
        self.journal.record(JournalStep(planned.name, int(tx["nonce"]), tx_hash, "", "sent"))

    # -- await -----------------------------------------------------------------------------------

    def finish(self, planned: PlannedStep) -> JournalStep:
        """Wait for ``planned``'s transaction (unless mined before) and record its receipt."""
        step = self.journal.steps[planned.name]
        if step.status != "mined":
            receipt = self._await(step)
            step.status = "mined"
            step.block_number = int(receipt["blockNumber"])
            step.gas_used = int(receipt["gasUsed"])
            created = receipt.get("contractAddress")
            step.address = str(created) if created else None
            self.journal.record(step)
        if planned.creates is not None and (step.address or "").lower() != str(planned.address).lower():
            raise DeploymentError(
                f"step '{step.name}' created its contract at {step.address}, not at {planned.address} where the "
                "deployment expects it: check the deployer's transactions, then deploy again with --fresh"
            )
        return step

    def _await(self, step: JournalStep) -> Any:
        """Wait for ``step``'s receipt and its confirmations; re-broadcast a lost transaction."""

        def when_missing() -> None:
            used = int(self.w3.eth.get_transaction_count(self.address, "latest"))
            if used > step.nonce:
                raise DeploymentError(
                    f"step '{step.name}': the deployer's nonce {step.nonce} was used by another transaction "
                    f"than the recorded {step.tx_hash}; check the deployer's transactions before going on"
                )
            if not step.raw_tx:
                raise DeploymentError(
                    f"step '{step.name}': transaction {step.tx_hash} is neither mined nor pending and was "
                    "sent from an unlocked account, so it cannot be re-sent; start the deployment over"
                )
            self._broadcast(step)

        try:
            receipt = pipeline.await_receipt(
                self.w3, step.tx_hash, sender=self.address, confirmations=self.confirmations,
                timeout=self.receipt_timeout, poll_interval=self.poll, when_missing=when_missing,
                label=f"step '{step.name}'",
            )
        except TransactionTimeoutError as exc:
            raise DeploymentTimeoutError(
                f"step '{step.name}': no receipt for {step.tx_hash} after {self.receipt_timeout:.0f} s; "
                "run the deployment again to resume from the journal"
            ) from exc
        if receipt.get("status", 1) != 1:
            raise TransactionError(self._failure(step, receipt))
        return receipt

    def _failure(self, step: JournalStep, receipt: Any) -> str:
        hint = ""
        if step.name.startswith("deploy "):
            hint = (
                f"; a contract creation that fails without a reason often means the chain cannot run code "
                f"compiled for EVM {self.evm_version} (PUSH0 needs shanghai): set the network's evm_version "
                "in networks.yaml to the chain's fork"
            )
        return pipeline.mined_failure(self.w3, step.tx_hash, receipt, self.errors, label=f"step '{step.name}'", hint=hint)


def deploy_suite(
    w3: Web3,
    deployer: Sender,
    spec: ConsortiumSpec,
    *,
    network: str = "tester",
    journal_path: Path | None = None,
    manifest_path: Path | None = None,
    inputs: dict[str, str] | None = None,
    evm_version: str = DEFAULT_EVM_VERSION,
    network_evm_version: str | None = None,
    fees: dict[str, int] | None = None,
    confirmations: int = 1,
    receipt_timeout: float = 120.0,
    poll_interval: float = 0.5,
    progress: Progress | None = None,
    goquorum: bool = False,
) -> Deployment:
    """Deploy the suite, bootstrap ``spec``'s founding members and hand control to governance
    (``goquorum``: with the adapter GoQuorum's permission service reads).

    With ``journal_path`` the deployment is resumable (see the module's docstring); with
    ``manifest_path`` the finished deployment's manifest is written there, atomically. ``inputs``
    names what the deployment is made from (e.g. the consortium file's hash); a rerun with other
    inputs stops. ``fees`` are the fee fields of each transaction (``gasPrice`` or the EIP-1559
    pair; default: the node's suggestion, as for every transaction).
    """
    if network_evm_version is not None and EVM_VERSIONS.index(evm_version) > EVM_VERSIONS.index(network_evm_version):
        raise DeploymentError(
            f"the artifacts target EVM {evm_version}, newer than the network's {network_evm_version}: compile "
            f"for {network_evm_version}"
        )
    chain_id = int(w3.eth.chain_id)
    address = sender_address(deployer)
    names = suite_for(spec, goquorum)
    all_inputs = {"consortium": spec_hash(spec), "artifacts": artifacts_hash(evm_version, names), "evmVersion": evm_version}
    all_inputs.update(inputs or {})
    genesis = genesis_hash(w3)
    journal = Journal.load(journal_path) if journal_path is not None else None
    if journal is None:
        journal = Journal(network, chain_id, to_checksum_address(address), all_inputs, path=journal_path,
                          genesis_hash=genesis)
    else:
        journal.check_matches(chain_id, address, all_inputs, genesis)
    artifacts = {name: load_artifact(name, evm_version) for name in names}
    if fees is None:
        from consortium_evm.config.fields import AutoGasPrice

        fees = transaction_fees(w3, AutoGasPrice())
    sender = _Sender(
        w3, deployer, journal, error_table(a.abi for a in artifacts.values()), fees=dict(fees),
        confirmations=confirmations, receipt_timeout=receipt_timeout, poll=poll_interval, evm_version=evm_version,
    )
    sent_before = {name for name, step in journal.steps.items() if step.status in ("sent", "mined")}
    plan = sender.plan(spec, artifacts, goquorum)
    sender.simulate_next(plan)
    steps: list[Step] = []
    code_hashes: dict[str, str] = {}

    def finish(index: int) -> None:
        planned = plan.steps[index]
        done = sender.finish(planned)
        if planned.creates is not None:
            code_hashes[planned.creates] = check_code(w3, planned.creates, str(done.address), artifacts[planned.creates])
        step = Step(done.name, done.tx_hash, int(done.gas_used or 0), int(done.block_number or 0), done.address,
                    done.name in sent_before)
        steps.append(step)
        if progress is not None:
            progress(step)

    if isinstance(deployer, str):
        for index, planned in enumerate(plan.steps):
            if planned.name not in journal.steps:
                sender.send_unlocked(plan, index)
            finish(index)
    else:
        sender.sign_missing(plan, lambda who, nonce: plan_suite(spec, artifacts, who, nonce, goquorum))
        sender.broadcast_signed(plan)
        for index in range(len(plan.steps)):
            finish(index)

    consortium_art = artifacts["Consortium"]
    deployment = Deployment(
        network=network,
        chain_id=chain_id,
        deployer=to_checksum_address(address),
        consortium=plan.consortium,
        ingress=str(plan.address_of("PermissionIngress")),
        validator_set=plan.address_of(VALIDATOR_SET),
        goquorum_adapter=plan.address_of(ADAPTER),
        steps=tuple(steps),
        code_hashes=code_hashes,
        compiler={"version": consortium_art.compiler_version, "settings": consortium_art.settings},
        inputs=all_inputs,
        genesis_hash=genesis,
    )
    journal.complete = True
    if journal.genesis_hash is None:
        # A journal written before block 0's hash was recorded: every contract's code was just found
        # where it says, so this is its chain.
        journal.genesis_hash = genesis
    journal.save()
    if manifest_path is not None:
        write_manifest(manifest_path, deployment.to_manifest())
    return deployment
