"""The deployment manifest (``deployments/<network>.json``): its one typed record, read and write.

The deployment writes it (:func:`write_manifest`, atomically) when it finishes; everything that
needs the deployed addresses (the client, ``run`` scripts, ``validators``, the gateway, the guard)
reads it with :func:`read_manifest`, which checks what they rely on and names what is wrong.
This module imports neither the compiler nor web3's contract machinery: a member back-end that
imports the client pays for neither.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from consortium_evm.domain.spec import parse_address
from consortium_evm.errors import ConfigError, DeploymentError
from consortium_evm.util.atomic import write_json_atomic

if TYPE_CHECKING:
    from web3 import Web3

SUITE_NAMES = ("Consortium", "PermissionIngress", "ValidatorSet", "GoQuorumPermissionAdapter")
"""The contracts a manifest may name (the ValidatorSet only when the consortium lists validators;
the adapter only on a GoQuorum network)."""

DEFAULT_DEPLOYMENTS_DIR = Path("deployments")
"""Where manifests (and journals) are kept unless told otherwise."""

_BLOCK_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")


def manifest_path(deployments_dir: str | Path, network: str) -> Path:
    """Where network ``network``'s manifest is kept."""
    return Path(deployments_dir) / f"{network}.json"


@dataclass(frozen=True)
class ContractRecord:
    """One deployed contract of the suite."""

    address: str
    tx_hash: str = ""
    block_number: int = 0
    code_hash: str = ""


@dataclass(frozen=True)
class StepRecord:
    """One transaction of the deployment."""

    name: str
    tx_hash: str
    block_number: int
    gas_used: int
    address: str | None = None


@dataclass(frozen=True)
class Manifest:
    """What a finished deployment left: where its contracts are, on which chain, made how."""

    network: str
    contracts: Mapping[str, ContractRecord]
    chain_id: int | None = None
    """None in a hand-written manifest that does not say (then nothing is compared)."""
    deployer: str = ""
    genesis_hash: str | None = None
    steps: tuple[StepRecord, ...] = ()
    compiler: Mapping[str, Any] = field(default_factory=dict)
    inputs: Mapping[str, str] = field(default_factory=dict)

    @property
    def consortium(self) -> str:
        """The Consortium's address."""
        if "Consortium" not in self.contracts:
            raise DeploymentError(f"the deployment manifest of {self.network!r} names no Consortium")
        return self.contracts["Consortium"].address

    @property
    def ingress(self) -> str | None:
        """The PermissionIngress's address, when the manifest names one."""
        record = self.contracts.get("PermissionIngress")
        return record.address if record else None

    @property
    def validator_set(self) -> str | None:
        """The ValidatorSet's address, when the consortium listed validators."""
        record = self.contracts.get("ValidatorSet")
        return record.address if record else None

    @property
    def goquorum_adapter(self) -> str | None:
        """GoQuorum's permission adapter's address, on a GoQuorum network."""
        record = self.contracts.get("GoQuorumPermissionAdapter")
        return record.address if record else None

    @property
    def total_gas(self) -> int:
        """Gas of every step together."""
        return sum(step.gas_used for step in self.steps)

    def to_json(self) -> dict[str, Any]:
        """The manifest as JSON-ready data (the file's format)."""
        return {
            "network": self.network,
            **({"chainId": self.chain_id} if self.chain_id is not None else {}),
            **({"genesisHash": self.genesis_hash} if self.genesis_hash is not None else {}),
            "deployer": self.deployer,
            "contracts": {
                name: {"address": c.address, "txHash": c.tx_hash, "blockNumber": c.block_number, "codeHash": c.code_hash}
                for name, c in self.contracts.items()
            },
            "steps": [
                {"name": s.name, "txHash": s.tx_hash, "blockNumber": s.block_number, "gasUsed": s.gas_used,
                 **({"address": s.address} if s.address else {})}
                for s in self.steps
            ],
            "totalGas": self.total_gas,
            "compiler": dict(self.compiler),
            "inputs": dict(self.inputs),
        }

    @classmethod
    def from_json(
        cls, data: Any, source: str = "the deployment manifest", network: str = "", required: tuple[str, ...] = ("Consortium",)
    ) -> Manifest:
        """A manifest from its JSON data; DeploymentError naming ``source`` and what is wrong when
        it lacks what its readers rely on (the ``required`` contracts; every address and number,
        where present, well formed)."""

        def malformed(what: str) -> DeploymentError:
            return DeploymentError(f"{source} is not a consortium deployment manifest: {what}")

        if not isinstance(data, Mapping):
            raise malformed("it is not a JSON object")
        contracts = data.get("contracts")
        if not isinstance(contracts, Mapping):
            raise malformed(f"no contracts.{required[0]}" if required else "no contracts")
        for name in required:
            if name not in contracts:
                raise malformed(f"no contracts.{name}")
        records: dict[str, ContractRecord] = {}
        for name in SUITE_NAMES:
            if name not in contracts:
                continue
            entry = contracts[name]
            if not isinstance(entry, Mapping) or "address" not in entry:
                raise malformed(f"contracts.{name}.address is missing")
            try:
                address = parse_address(entry["address"], f"contracts.{name}.address")
            except ConfigError as exc:
                raise malformed(str(exc)) from None
            block = entry.get("blockNumber", 0)
            if not _whole_number(block):
                raise malformed(f"contracts.{name}.blockNumber is not a block number")
            records[name] = ContractRecord(address, str(entry.get("txHash", "")), int(block), str(entry.get("codeHash", "")))
        chain_id = data.get("chainId")
        if chain_id is not None and not _whole_number(chain_id):
            raise malformed(f"chainId {chain_id!r} is not a chain id")
        genesis = data.get("genesisHash")
        if genesis is not None and not (isinstance(genesis, str) and _BLOCK_HASH.match(genesis)):
            raise malformed(f"genesisHash {genesis!r} is not a block hash (0x and 64 hex digits)")
        try:
            steps = tuple(
                StepRecord(str(s["name"]), str(s.get("txHash", "")), int(s.get("blockNumber", 0)),
                           int(s.get("gasUsed", 0)), s.get("address"))
                for s in data.get("steps", ())
            )
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            raise malformed(f"steps: {exc}") from None
        return cls(
            network=str(data.get("network", network)),
            contracts=records,
            chain_id=int(chain_id) if chain_id is not None else None,
            deployer=str(data.get("deployer", "")),
            genesis_hash=genesis,
            steps=steps,
            compiler=dict(data.get("compiler") or {}),
            inputs=dict(data.get("inputs") or {}),
        )


def read_manifest(path: Path, network: str, required: tuple[str, ...] = ("Consortium",)) -> Manifest:
    """Network ``network``'s deployment manifest at ``path``; a clear error when there is none,
    when it is not one, or when it lacks a ``required`` contract."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeploymentError(
            f"no deployment of network {network!r} at {path}: run `consortium-evm deploy --network {network} ...` "
            "first, or pass --deployments DIR"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DeploymentError(f"cannot read the deployment manifest {path}: {exc}") from exc
    return Manifest.from_json(data, str(path), network, required)


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


def write_manifest(path: Path, manifest: Manifest) -> None:
    """Write ``manifest`` to ``path`` atomically (never half a file)."""
    write_json_atomic(path, manifest.to_json())


def _whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
