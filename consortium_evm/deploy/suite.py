"""Deploying the consortium suite and bootstrapping its founding members, resumably.

The suite is two contracts: ``Consortium`` (member registry, governance, and the first permission
rules) and ``PermissionIngress`` (the fixed address nodes are configured with); a consortium that
lists validators also gets a ``ValidatorSet`` holding them, owned by governance. The bootstrap adds
the founding members, sets the node matching mode, and hands control to governance for good, after
which the deployer can do nothing.

Every step is one transaction, simulated first (a revert stops the deployment with the contract's
named error, spending nothing), then recorded in the :mod:`journal <consortium_evm.deploy.journal>` before
it is sent and after it is mined. Run again after an interruption, the deployment looks up what it
recorded and carries on; it never sends a step twice. Run on a finished deployment, it verifies the
code on chain and changes nothing. Each created contract's code is compared with the artifact's, so
a chain that cannot run the bytecode (PUSH0 before Shanghai, say) is caught even when its receipt
claims success.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from eth_typing import HexStr
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import TransactionNotFound

from consortium_evm.compiler import DEFAULT_EVM_VERSION, EVM_VERSIONS, Artifact, load_artifact
from consortium_evm.deploy.journal import Journal, JournalStep
from consortium_evm.domain.revert import decode_revert, error_table, revert_data
from consortium_evm.domain.spec import ConsortiumSpec, NodeMatch
from consortium_evm.errors import ConsortiumError, DeploymentError, RPCError, TransactionError
from consortium_evm.tx.signer import Sender, sender_address
from consortium_evm.tx.transactions import replayed_revert
from consortium_evm.util.atomic import write_json_atomic

SUITE = ("Consortium", "PermissionIngress")
"""The contracts every deployment creates, in order."""
VALIDATOR_SET = "ValidatorSet"
"""Created third, owned by the Consortium, when the consortium lists validators."""


def suite_for(spec: ConsortiumSpec) -> tuple[str, ...]:
    """The contracts a deployment of ``spec`` creates, in order."""
    return (*SUITE, VALIDATOR_SET) if spec.validators else SUITE


@dataclass(frozen=True)
class Step:
    """One transaction of a deployment."""

    name: str
    tx_hash: str
    gas_used: int
    block_number: int
    address: str | None = None
    resumed: bool = False
    """True when this step was already done by an earlier run."""


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

    def manifest(self) -> dict[str, Any]:
        """The manifest as JSON-ready data."""
        by_step = {s.name: s for s in self.steps}
        contracts = {}
        created = [("Consortium", self.consortium), ("PermissionIngress", self.ingress)]
        if self.validator_set is not None:
            created.append((VALIDATOR_SET, self.validator_set))
        for name, address in created:
            step = by_step[f"deploy {name}"]
            contracts[name] = {
                "address": address,
                "txHash": step.tx_hash,
                "blockNumber": step.block_number,
                "codeHash": self.code_hashes.get(name, ""),
            }
        return {
            "network": self.network,
            "chainId": self.chain_id,
            **({"genesisHash": self.genesis_hash} if self.genesis_hash is not None else {}),
            "deployer": self.deployer,
            "contracts": contracts,
            "steps": [
                {"name": s.name, "txHash": s.tx_hash, "blockNumber": s.block_number, "gasUsed": s.gas_used,
                 **({"address": s.address} if s.address else {})}
                for s in self.steps
            ],
            "totalGas": self.total_gas,
            "compiler": self.compiler,
            "inputs": self.inputs,
        }


Progress = Callable[[Step], None]


def contract_at(w3: Web3, name: str, address: str, evm_version: str = DEFAULT_EVM_VERSION) -> Contract:
    """A web3 contract object for artifact ``name`` at ``address``."""
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact(name, evm_version).abi)


def suite_abis(evm_version: str = DEFAULT_EVM_VERSION) -> list[list[dict[str, Any]]]:
    """The ABIs of the suite's contracts (for decoding their errors)."""
    return [load_artifact(name, evm_version).abi for name in (*SUITE, VALIDATOR_SET)]


def genesis_hash(w3: Web3) -> str | None:
    """The hash of the chain's block 0 (``0x``-hex), which tells two chains with the same chain id
    apart (a local network started again, a test network re-created); ``None`` when the node does
    not give it (then nothing is compared)."""
    try:
        block = w3.eth.get_block(0)
        value = block["hash"]
    except Exception:  # noqa: BLE001 - each client raises its own types; unknown is acceptable
        return None
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    return str(value) if value else None


def spec_hash(spec: ConsortiumSpec) -> str:
    """A hash of a consortium description (when it did not come from a file)."""
    return hashlib.sha256(repr(spec).encode()).hexdigest()


def artifacts_hash(evm_version: str = DEFAULT_EVM_VERSION, names: tuple[str, ...] = SUITE) -> str:
    """A hash of the creation code of ``names``: it changes when the contracts or settings change."""
    digest = hashlib.sha256()
    for name in names:
        digest.update(load_artifact(name, evm_version).bytecode.encode())
    return digest.hexdigest()


def masked_code(code: bytes, artifact: Artifact) -> bytes:
    """``code`` with the artifact's immutable slots zeroed, for comparing deployed code."""
    out = bytearray(code)
    for refs in artifact.immutable_references.values():
        for ref in refs:
            start, length = int(ref["start"]), int(ref["length"])
            out[start : start + length] = bytes(min(length, max(0, len(out) - start)))
    return bytes(out)


def check_code(w3: Web3, name: str, address: str, artifact: Artifact) -> str:
    """Check the code at ``address`` is ``artifact``'s; returns its keccak hash."""
    code = bytes(w3.eth.get_code(Web3.to_checksum_address(address)))
    expected = bytes.fromhex(artifact.deployed_bytecode.removeprefix("0x"))
    if not code:
        raise DeploymentError(
            f"{name} at {address} has no code although its creation was mined: the chain could not run the "
            f"bytecode (compiled for EVM {artifact.evm_version}; set the network's evm_version to what the chain runs)"
        )
    if masked_code(code, artifact) != masked_code(expected, artifact):
        raise DeploymentError(f"the code at {address} is not {name}'s (compiled {artifact.compiler_version})")
    return "0x" + bytes(keccak(code)).hex()


FAULT_ENV = "CONSORTIUM_EVM_FAULT"
"""Test hook: ``before-send:STEP`` or ``after-send:STEP`` makes the process exit at once (code 75)
at that point of that step, as if it were killed. The fault tests use it; never set it otherwise."""


def _fault_point(moment: str, step: str) -> None:
    if os.environ.get(FAULT_ENV) == f"{moment}:{step}":
        os._exit(75)


class _Sender:
    """Signs, records, sends and waits for one deployment step at a time."""

    def __init__(
        self,
        w3: Web3,
        deployer: Sender,
        journal: Journal,
        errors: dict[bytes, dict[str, Any]],
        fees: dict[str, int],
        confirmations: int,
        receipt_timeout: float,
        poll: float,
        evm_version: str = DEFAULT_EVM_VERSION,
    ) -> None:
        self.evm_version = evm_version
        self.w3 = w3
        self.deployer = deployer
        self.address = sender_address(deployer)
        self.journal = journal
        self.errors = errors
        self.fees = fees
        self.confirmations = max(1, confirmations)
        self.receipt_timeout = receipt_timeout
        self.poll = poll

    def run(self, name: str, to: str | None, data: str) -> tuple[JournalStep, bool]:
        """Carry out step ``name`` (or find it done); returns it and whether it was done before."""
        step = self.journal.steps.get(name)
        if step is not None and step.status == "mined":
            return step, True
        if step is None:
            step = self._send_new(name, to, data)
        # else: recorded by an interrupted run and not known to be mined: find it (or re-send it).
        receipt = self._await(step)
        step.status = "mined"
        step.block_number = int(receipt["blockNumber"])
        step.gas_used = int(receipt["gasUsed"])
        created = receipt.get("contractAddress")
        step.address = str(created) if created else None
        self.journal.record(step)
        return step, False

    def _simulate(self, name: str, tx: dict[str, Any]) -> None:
        try:
            self.w3.eth.call(cast(Any, tx))
        except Exception as exc:  # noqa: BLE001 - each client raises its own types
            data = revert_data(exc)
            if data is None and "revert" not in str(exc).lower():
                if name.startswith("deploy "):
                    raise DeploymentError(
                        f"step '{name}': the chain cannot run the creation code ({exc}); it was compiled for "
                        f"EVM {self.evm_version} (PUSH0 needs shanghai): set the network's evm_version in "
                        "networks.yaml to the chain's fork"
                    ) from exc
                raise RPCError(f"step '{name}': the node failed the simulation: {exc}") from exc
            error = decode_revert(data or b"", self.errors)
            raise DeploymentError(f"step '{name}' would revert: {error}") from exc

    def _send_new(self, name: str, to: str | None, data: str) -> JournalStep:
        tx: dict[str, Any] = {"from": self.address, "data": data, "value": 0, "chainId": self.journal.chain_id}
        if to is not None:
            tx["to"] = to
        self._simulate(name, tx)
        try:
            estimate = int(self.w3.eth.estimate_gas(cast(Any, tx)))
            nonce = int(self.w3.eth.get_transaction_count(Web3.to_checksum_address(self.address), "pending"))
        except Exception as exc:  # noqa: BLE001
            raise RPCError(f"step '{name}': {exc}") from exc
        tx.update(self.fees)
        tx["gas"] = estimate * 5 // 4
        tx["nonce"] = nonce
        if isinstance(self.deployer, str):
            # An unlocked node account (embedded chain, dev node): the hash is known only once sent.
            sent = self.w3.eth.send_transaction(cast(Any, tx))
            step = JournalStep(name, nonce, "0x" + bytes(sent).hex().removeprefix("0x"), "")
            self.journal.record(step)
            return step
        tx.pop("from")
        signed = self.deployer.sign_transaction(cast(Any, tx))
        raw = "0x" + bytes(signed.raw_transaction).hex()
        step = JournalStep(name, nonce, "0x" + bytes(signed.hash).hex(), raw)
        self.journal.record(step)  # before sending: a crash from here on is resumed from the journal
        _fault_point("before-send", name)
        self._broadcast(step)
        _fault_point("after-send", name)
        return step

    def _broadcast(self, step: JournalStep) -> None:
        try:
            self.w3.eth.send_raw_transaction(HexStr(step.raw_tx))
        except Exception as exc:  # noqa: BLE001
            text = str(exc).lower()
            if "already known" in text or "known transaction" in text or "already imported" in text:
                return
            if "insufficient funds" in text:
                raise DeploymentError(f"step '{step.name}': the deployer {self.address} has too little ether for it") from exc
            raise RPCError(f"step '{step.name}': the node refused the transaction: {exc}") from exc

    def _receipt(self, tx_hash: str) -> Any | None:
        try:
            return self.w3.eth.get_transaction_receipt(cast(Any, tx_hash))
        except TransactionNotFound:
            return None

    def _pending(self, tx_hash: str) -> bool:
        try:
            self.w3.eth.get_transaction(cast(Any, tx_hash))
            return True
        except TransactionNotFound:
            return False

    def _await(self, step: JournalStep) -> Any:
        """Wait for ``step``'s receipt and its confirmations; re-broadcast a lost transaction."""
        deadline = time.monotonic() + self.receipt_timeout
        rebroadcast = False
        while True:
            try:
                receipt = self._receipt(step.tx_hash)
                if receipt is None and not rebroadcast and not self._pending(step.tx_hash):
                    used = int(self.w3.eth.get_transaction_count(Web3.to_checksum_address(self.address), "latest"))
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
                    rebroadcast = True
                if receipt is not None:
                    if receipt.get("status", 1) != 1:
                        raise TransactionError(self._failure(step, receipt))
                    latest = int(self.w3.eth.block_number)
                    if latest >= int(receipt["blockNumber"]) + self.confirmations - 1:
                        again = self._receipt(step.tx_hash)  # still there after the confirmations
                        if again is not None and again["blockHash"] == receipt["blockHash"]:
                            return again
            except ConsortiumError:
                raise
            except Exception as exc:  # noqa: BLE001
                raise RPCError(f"step '{step.name}': lost the node while waiting for {step.tx_hash}: {exc}") from exc
            if time.monotonic() > deadline:
                raise DeploymentError(
                    f"step '{step.name}': no receipt for {step.tx_hash} after {self.receipt_timeout:.0f} s; "
                    "run the deployment again to resume from the journal"
                )
            self._tick()

    def _tick(self) -> None:
        tester = getattr(self.w3.provider, "ethereum_tester", None)
        if tester is not None:  # the embedded chain mines on demand
            tester.mine_blocks()
        else:
            time.sleep(self.poll)

    def _failure(self, step: JournalStep, receipt: Any) -> str:
        message = f"step '{step.name}' failed in block {receipt['blockNumber']} (transaction {step.tx_hash})"
        reason = replayed_revert(self.w3, step.tx_hash, int(receipt["blockNumber"]), self.errors)
        if reason:
            return f"{message}: {reason}"
        if step.name.startswith("deploy "):
            message += (
                f"; a contract creation that fails without a reason often means the chain cannot run code "
                f"compiled for EVM {self.evm_version} (PUSH0 needs shanghai): set the network's evm_version "
                "in networks.yaml to the chain's fork"
            )
        return message


def _node_fees(w3: Web3) -> dict[str, int]:
    """The node's suggested fees: EIP-1559 where blocks have a base fee, else its gas price."""
    base = w3.eth.get_block("latest").get("baseFeePerGas")
    if base is None:
        return {"gasPrice": int(w3.eth.gas_price)}
    tip = int(w3.eth.max_priority_fee)
    return {"maxFeePerGas": 2 * int(base) + tip, "maxPriorityFeePerGas": tip}


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
) -> Deployment:
    """Deploy the suite, bootstrap ``spec``'s founding members and hand control to governance.

    With ``journal_path`` the deployment is resumable (see the module's docstring); with
    ``manifest_path`` the finished deployment's manifest is written there, atomically. ``inputs``
    names what the deployment is made from (e.g. the consortium file's hash); a rerun with other
    inputs stops. ``fees`` are the fee fields of each transaction (``gasPrice`` or the EIP-1559
    pair; default: the node's suggestion).
    """
    if network_evm_version is not None and EVM_VERSIONS.index(evm_version) > EVM_VERSIONS.index(network_evm_version):
        raise DeploymentError(
            f"the artifacts target EVM {evm_version}, newer than the network's {network_evm_version}: compile "
            f"for {network_evm_version}"
        )
    chain_id = int(w3.eth.chain_id)
    address = sender_address(deployer)
    names = suite_for(spec)
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
    sender = _Sender(
        w3, deployer, journal, error_table(a.abi for a in artifacts.values()),
        dict(fees) if fees is not None else _node_fees(w3), confirmations, receipt_timeout, poll_interval,
        evm_version,
    )
    steps: list[Step] = []

    def run(name: str, to: str | None, data: str) -> JournalStep:
        done, resumed = sender.run(name, to, data)
        step = Step(name, done.tx_hash, int(done.gas_used or 0), int(done.block_number or 0), done.address, resumed)
        steps.append(step)
        if progress is not None:
            progress(step)
        return done

    consortium_art = artifacts["Consortium"]
    factory = w3.eth.contract(abi=consortium_art.abi, bytecode=consortium_art.bytecode)
    created = run(
        "deploy Consortium", None,
        factory.constructor(
            spec.settings.as_tuple(), spec.settings_floors.as_tuple(), spec.limits.as_tuple()
        ).data_in_transaction,
    )
    consortium_address = Web3.to_checksum_address(str(created.address))
    code_hashes = {"Consortium": check_code(w3, "Consortium", consortium_address, consortium_art)}
    consortium = w3.eth.contract(address=consortium_address, abi=consortium_art.abi)

    ingress_art = artifacts["PermissionIngress"]
    factory = w3.eth.contract(abi=ingress_art.abi, bytecode=ingress_art.bytecode)
    created = run(
        "deploy PermissionIngress", None,
        factory.constructor(consortium_address, consortium_address).data_in_transaction,
    )
    ingress_address = Web3.to_checksum_address(str(created.address))
    code_hashes["PermissionIngress"] = check_code(w3, "PermissionIngress", ingress_address, ingress_art)

    validator_set_address: str | None = None
    if spec.validators:
        set_art = artifacts[VALIDATOR_SET]
        factory = w3.eth.contract(abi=set_art.abi, bytecode=set_art.bytecode)
        created = run(
            f"deploy {VALIDATOR_SET}", None,
            factory.constructor(consortium_address, list(spec.validators)).data_in_transaction,
        )
        validator_set_address = Web3.to_checksum_address(str(created.address))
        code_hashes[VALIDATOR_SET] = check_code(w3, VALIDATOR_SET, validator_set_address, set_art)

    # The suite's own contracts can never act as a member's account (the Consortium refuses itself;
    # the ingress and the ValidatorSet could neither propose nor vote): a file naming one has a typo.
    suite_addresses = {consortium_address, ingress_address, validator_set_address} - {None}
    for member in spec.members:
        for account in member.accounts:
            if account.address in suite_addresses:
                raise DeploymentError(
                    f"member {member.name!r} lists {account.address}, an address of this deployment's own "
                    "contracts, as an account: correct the consortium file"
                )
    for member in spec.members:
        run(f"add member {member.name}", consortium_address,
            consortium.encode_abi("addMember", list(member.add_member_args())))
    if spec.node_match != NodeMatch.ENODE_ID:
        run("set node matching", consortium_address, consortium.encode_abi("setNodeMatch", [int(spec.node_match)]))
    run("start governance", consortium_address, consortium.encode_abi("startGovernance", []))

    deployment = Deployment(
        network=network,
        chain_id=chain_id,
        deployer=to_checksum_address(address),
        consortium=consortium_address,
        ingress=ingress_address,
        validator_set=validator_set_address,
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
        write_json_atomic(manifest_path, deployment.manifest())
    return deployment
