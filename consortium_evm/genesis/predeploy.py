"""The consortium's contracts in the genesis ``alloc``, so that its rules are in force from block 0.

The code and storage are not written by hand: the real bootstrap (:func:`~consortium_evm.deploy.suite.deploy_suite`,
the same deployment ``consortium-evm deploy`` runs) is run on a throw-away anvil node that has the
target chain's id and fork, and what it left in state is read back with ``anvil_dumpState`` (which
keeps every storage key). The sender is :data:`GENESIS_DEPLOYER`, an address derived from a fixed
label that nobody holds a key for; anvil impersonates it. The contracts therefore sit at that
address's first CREATE addresses, the same for every network:

======================  ==============================================
``Consortium``          :data:`CONSORTIUM_ADDRESS` (deployer nonce 0)
``PermissionIngress``   :data:`INGRESS_ADDRESS` (deployer nonce 1)
``ValidatorSet``        :data:`VALIDATOR_SET_ADDRESS` (deployer nonce 2)
======================  ==============================================

With ``goquorum_adapter``, the GoQuorumPermissionAdapter (:mod:`consortium_evm.domain.goquorum`) is
created after the bootstrap by a second label-derived sender, :data:`ADAPTER_DEPLOYER`, at its nonce
0: :data:`ADAPTER_ADDRESS`, also the same for every network (the first deployer's nonce after the
bootstrap depends on the consortium file).

Immutables come out right because nothing moves: ``GovernanceOwned.governance`` is the
Consortium's address, the EIP-712 domain caches the chain id anvil ran with (the target's) and the
contract's own address, and the Consortium's bootstrapper (the deployer) has no power once
governance started, which the bootstrap does last. Every block of the run has the genesis
timestamp, so the founding members' ``joinedAt`` is the genesis time and the output is the same on
every run.
"""

from __future__ import annotations

import gzip
import json
import time
from dataclasses import dataclass, field
from typing import Any

from eth_abi.abi import encode
from eth_typing import HexStr
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3

from consortium_evm.compiler import load_artifact
from consortium_evm.deploy.plan import create_address
from consortium_evm.deploy.suite import VALIDATOR_SET, Deployment, deploy_suite
from consortium_evm.domain.goquorum import ADAPTER, adapter_creation
from consortium_evm.domain.spec import ConsortiumSpec, NetworkSpec
from consortium_evm.errors import DeploymentError
from consortium_evm.node.anvil import start_anvil
from consortium_evm.node.errors import NodeError
from consortium_evm.node.rpc import rpc_call

DEPLOYER_LABEL = "consortium-evm.genesis.deployer"
GENESIS_DEPLOYER = to_checksum_address(bytes(keccak(text=DEPLOYER_LABEL))[-20:])
"""The sender of the bootstrap whose result goes into the genesis: keccak-256 of
:data:`DEPLOYER_LABEL`, last 20 bytes. No one has its private key; it never appears on the chain."""
DEPLOYER_FUNDS = 10**24
"""What anvil credits the deployer with for the run (its balance is not copied to the genesis)."""

ANVIL_HARDFORKS = {
    "homestead": "homestead",
    "tangerineWhistle": "tangerine",
    "spuriousDragon": "spuriousdragon",
    "byzantium": "byzantium",
    "constantinople": "constantinople",
    "petersburg": "petersburg",
    "istanbul": "istanbul",
    "berlin": "berlin",
    "london": "london",
}
"""solc's EVM version names -> anvil's ``--hardfork`` names."""


CONSORTIUM_ADDRESS = create_address(GENESIS_DEPLOYER, 0)
INGRESS_ADDRESS = create_address(GENESIS_DEPLOYER, 1)
VALIDATOR_SET_ADDRESS = create_address(GENESIS_DEPLOYER, 2)
ADAPTER_DEPLOYER_LABEL = "consortium-evm.genesis.goquorum-adapter"
ADAPTER_DEPLOYER = to_checksum_address(bytes(keccak(text=ADAPTER_DEPLOYER_LABEL))[-20:])
"""The sender of the GoQuorum adapter's creation in the genesis bootstrap (no one has its key)."""
ADAPTER_ADDRESS = create_address(ADAPTER_DEPLOYER, 0)


@dataclass(frozen=True)
class PredeployedAccount:
    """A contract account as the genesis ``alloc`` holds it."""

    address: str
    code: str
    storage: dict[str, str]
    """32-byte slot -> 32-byte value, both 0x-hex, sorted by slot."""
    nonce: int
    balance: int = 0

    def alloc_entry(self) -> dict[str, Any]:
        return {"balance": self.balance, "code": self.code, "storage": dict(self.storage), "nonce": self.nonce}


@dataclass(frozen=True)
class Predeployment:
    """The bootstrapped contracts, ready for a genesis ``alloc``."""

    chain_id: int
    evm_version: str
    consortium: PredeployedAccount
    ingress: PredeployedAccount
    validator_set: PredeployedAccount | None
    gas_used: int
    """Gas of the bootstrap on anvil (deployments, members, hand-over), for the record."""
    steps: tuple[str, ...] = field(default=())
    goquorum_adapter: PredeployedAccount | None = None
    """The GoQuorumPermissionAdapter in front of the ingress (QBFT genesis files, for GoQuorum)."""

    @property
    def accounts(self) -> tuple[PredeployedAccount, ...]:
        found = (self.consortium, self.ingress, self.validator_set, self.goquorum_adapter)
        return tuple(a for a in found if a is not None)

    def alloc(self) -> dict[str, dict[str, Any]]:
        """``{address: {balance, code, storage, nonce}}`` for the genesis ``alloc``."""
        return {a.address: a.alloc_entry() for a in self.accounts}

    def addresses(self) -> dict[str, str]:
        """Contract name -> address."""
        named = {"Consortium": self.consortium.address, "PermissionIngress": self.ingress.address}
        if self.validator_set is not None:
            named[VALIDATOR_SET] = self.validator_set.address
        if self.goquorum_adapter is not None:
            named[ADAPTER] = self.goquorum_adapter.address
        return named


def predeploy(
    spec: ConsortiumSpec, network: NetworkSpec, *, timeout: float = 60.0, goquorum_adapter: bool = False
) -> Predeployment:
    """Run the bootstrap of ``spec`` on a fresh anvil with ``network``'s chain id, fork and genesis
    time, and return the contracts' code, storage and nonce as it left them; with
    ``goquorum_adapter``, also create the GoQuorumPermissionAdapter in front of the ingress."""
    hardfork = ANVIL_HARDFORKS.get(network.evm_version)
    if hardfork is None:
        raise DeploymentError(f"no anvil hardfork for EVM version {network.evm_version!r}")
    node = start_anvil(
        hardfork=hardfork,
        chain_id=network.chain_id,
        extra_args=("--timestamp", str(network.timestamp), "--accounts", "0", "--gas-limit", str(max(network.gas_limit, 30_000_000))),
    )
    try:
        url = node.url
        for method, params in (
            ("anvil_impersonateAccount", [GENESIS_DEPLOYER]),
            ("anvil_setBalance", [GENESIS_DEPLOYER, hex(DEPLOYER_FUNDS)]),
            ("anvil_setBlockTimestampInterval", [0]),
        ):
            rpc_call(url, method, params)
        w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": timeout}))
        deployment = deploy_suite(
            w3,
            GENESIS_DEPLOYER,
            spec,
            network="genesis",
            evm_version=network.evm_version,
            receipt_timeout=timeout,
            poll_interval=0.05,
        )
        _check_addresses(deployment)
        gas_used = deployment.total_gas
        if goquorum_adapter:
            gas_used += _create_adapter(w3, url, deployment.ingress, network.evm_version, timeout)
        dumped = _dump_accounts(url)
    finally:
        node.stop()

    def account(address: str) -> PredeployedAccount:
        entry = dumped.get(address.lower())
        if entry is None or entry.get("code") in (None, "0x"):
            raise DeploymentError(f"the anvil state dump has no code at {address}")
        storage = {_word(k): _word(v) for k, v in (entry.get("storage") or {}).items() if int(v, 16) != 0}
        return PredeployedAccount(
            address=address,
            code=str(entry["code"]),
            storage=dict(sorted(storage.items())),
            nonce=int(entry.get("nonce", 1)),
        )

    return Predeployment(
        chain_id=network.chain_id,
        evm_version=network.evm_version,
        consortium=account(CONSORTIUM_ADDRESS),
        ingress=account(INGRESS_ADDRESS),
        validator_set=account(VALIDATOR_SET_ADDRESS) if deployment.validator_set else None,
        gas_used=gas_used,
        steps=tuple(s.name for s in deployment.steps) + ((f"deploy {ADAPTER}",) if goquorum_adapter else ()),
        goquorum_adapter=account(ADAPTER_ADDRESS) if goquorum_adapter else None,
    )


def _create_adapter(w3: Web3, url: str, ingress: str, evm_version: str, timeout: float) -> int:
    """Create the GoQuorumPermissionAdapter from :data:`ADAPTER_DEPLOYER` (impersonated) at its nonce
    0; returns the gas it used."""
    creation = adapter_creation(ingress)
    artifact = load_artifact(creation.artifact, evm_version)
    for method, params in (
        ("anvil_impersonateAccount", [ADAPTER_DEPLOYER]),
        ("anvil_setBalance", [ADAPTER_DEPLOYER, hex(DEPLOYER_FUNDS)]),
    ):
        rpc_call(url, method, params)
    data = HexStr(artifact.bytecode + encode(["address"], list(creation.constructor_args)).hex())
    tx_hash = w3.eth.send_transaction({"from": ADAPTER_DEPLOYER, "data": data, "gas": 1_000_000})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout, poll_latency=0.05)
    if receipt["status"] != 1 or receipt["contractAddress"] != ADAPTER_ADDRESS:
        raise DeploymentError(
            f"the genesis bootstrap could not create the {ADAPTER} at {ADAPTER_ADDRESS} "
            f"(status {receipt['status']}, address {receipt['contractAddress']})"
        )
    return int(receipt["gasUsed"])


def _check_addresses(deployment: Deployment) -> None:
    expected = (CONSORTIUM_ADDRESS, INGRESS_ADDRESS)
    if (deployment.consortium, deployment.ingress) != expected or (
        deployment.validator_set not in (None, VALIDATOR_SET_ADDRESS)
    ):
        raise DeploymentError(
            "the genesis bootstrap did not create the contracts at the documented addresses "
            f"{', '.join(expected)} (got {deployment.consortium}, {deployment.ingress})"
        )


def _dump_accounts(url: str, attempts: int = 3) -> dict[str, dict[str, Any]]:
    """anvil's state dump (hex of a gzip of JSON), as ``{lowercase address: account}``."""
    for attempt in range(attempts):
        try:
            dumped = rpc_call(url, "anvil_dumpState", [], timeout=30.0)
            data = json.loads(gzip.decompress(bytes.fromhex(str(dumped).removeprefix("0x"))))
            return {str(k).lower(): v for k, v in data["accounts"].items()}
        except (NodeError, ValueError, KeyError, OSError) as exc:
            if attempt == attempts - 1:
                raise DeploymentError(f"could not read anvil's state dump: {exc}") from None
            time.sleep(0.2)
    raise AssertionError("unreachable")


def _word(value: str) -> str:
    return "0x" + int(str(value), 16).to_bytes(32, "big").hex()
