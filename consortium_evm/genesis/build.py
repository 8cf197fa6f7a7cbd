"""``consortium-evm genesis clique|ibft2|qbft``: every file a network's node operators need, from the
consortium file.

Layout of the output folder::

    geth/genesis.json                 clique: geth-style genesis (geth 1.13)
    besu/genesis.json                 ibft2, qbft: Besu's format
    besu/permissioning.toml           ibft2, qbft: Besu's contract-permissioning options
    goquorum/genesis.json             qbft: GoQuorum's format (berlin, no base fee; ValidatorSet from block 1)
    goquorum/permission-config.json   qbft: GoQuorum enhanced permissions v2 (the adapter at every address)
    static-nodes.json                 the founding members' enode URLs (the nodes the rules allow)
    permissioned-nodes.json           qbft: the same list, for GoQuorum ``--permissioned`` until its
                                      permission service is ready
    bootnodes.txt                     the same, comma-separated, for --bootnodes
    contracts.json                    the pre-deployed contracts, in the deployment manifest's shape
    keys/                             only with node_keys: generated node keys (development only)

Everything but the generated keys is a pure function of the consortium file and the options: the
same inputs write the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from eth_utils.crypto import keccak

from consortium_evm.domain.goquorum import (
    ADAPTER,
    PERMISSION_CONFIG_FILE,
    PERMISSIONED_NODES_FILE,
    founding_admins,
    permission_config,
    permissioned_nodes,
)
from consortium_evm.domain.spec import ConsortiumSpec, NetworkSpec
from consortium_evm.errors import ConfigError
from consortium_evm.genesis.besu import (
    BESU_PLUGIN_NOTE,
    besu_ibft2_genesis,
    besu_permissioning_flags,
    besu_permissioning_toml,
    besu_qbft_genesis,
)
from consortium_evm.genesis.bft import QbftSelection, ValidatorSelection
from consortium_evm.genesis.clique import GenesisAccount, clique_genesis
from consortium_evm.genesis.goquorum import goquorum_qbft_genesis, goquorum_selection
from consortium_evm.genesis.keys import (
    PRODUCTION_KEYS_WARNING,
    NodeKey,
    consortium_enodes,
    generate_node_keys,
    write_node_keys,
)
from consortium_evm.genesis.predeploy import (
    DEPLOYER_LABEL,
    GENESIS_DEPLOYER,
    Predeployment,
    predeploy,
)
from consortium_evm.util.atomic import write_json_atomic, write_text_atomic

Consensus = Literal["clique", "ibft2", "qbft"]
CONSENSUS: tuple[Consensus, ...] = ("clique", "ibft2", "qbft")


@dataclass(frozen=True)
class GenesisOutput:
    """What :func:`generate_genesis` wrote."""

    consensus: Consensus
    out_dir: Path
    files: tuple[Path, ...]
    contracts: dict[str, str]
    validators: tuple[str, ...]
    static_nodes: tuple[str, ...]
    validator_selection: str | None = None
    besu_flags: tuple[str, ...] = ()
    node_keys: tuple[NodeKey, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "consensus": self.consensus,
            "outDir": str(self.out_dir),
            "files": [str(p) for p in self.files],
            "contracts": dict(self.contracts),
            "deployer": GENESIS_DEPLOYER,
            "validators": list(self.validators),
            "validatorSelection": self.validator_selection,
            "staticNodes": list(self.static_nodes),
            "besuOptions": list(self.besu_flags),
            "nodeKeys": [{"address": k.address, "enodeId": k.enode_id} for k in self.node_keys],
            "notes": list(self.notes),
        }


def genesis_alloc_with_contracts(
    network: NetworkSpec, predeployed: Predeployment, *, goquorum_adapter: bool = True
) -> dict[str, int | GenesisAccount]:
    """The funded accounts of ``network`` and the pre-deployed contracts, as one ``alloc`` (without
    the GoQuorum adapter unless ``goquorum_adapter``)."""
    alloc: dict[str, int | GenesisAccount] = {address: balance for address, balance in network.alloc}
    for account in predeployed.accounts:
        if not goquorum_adapter and account is predeployed.goquorum_adapter:
            continue
        if account.address in alloc:
            raise ConfigError(
                f"network.alloc funds {account.address}, the address of a pre-deployed contract: remove it"
            )
        alloc[account.address] = account.alloc_entry()
    return dict(sorted(alloc.items(), key=lambda item: item[0].lower()))


def contracts_manifest(
    consensus: Consensus, network: NetworkSpec, predeployed: Predeployment, consortium_sha256: str | None
) -> dict[str, Any]:
    """``contracts.json``: the deployment manifest's shape (``contracts.<name>.address``), so that
    the tools that read ``deployments/<network>.json`` can read it too."""
    contracts = {
        name: {
            "address": address,
            "blockNumber": 0,
            "codeHash": "0x" + bytes(keccak(hexstr=_code_of(predeployed, address))).hex(),
        }
        for name, address in predeployed.addresses().items()
    }
    return {
        "network": f"genesis ({consensus})",
        "chainId": network.chain_id,
        "deployer": GENESIS_DEPLOYER,
        "deployerLabel": DEPLOYER_LABEL,
        "contracts": contracts,
        "genesis": {
            "consensus": consensus,
            "evmVersion": network.evm_version,
            "timestamp": network.timestamp,
            "bootstrapSteps": list(predeployed.steps),
            "bootstrapGas": predeployed.gas_used,
            "how": "the bootstrap (deploy_suite) ran on anvil with this chain id and fork as the "
            "deployer above (impersonated; nobody has its key); code and storage were read back "
            "with anvil_dumpState",
        },
        "inputs": {"consortiumFile": consortium_sha256 or ""},
    }


def _code_of(predeployed: Predeployment, address: str) -> str:
    return next(a.code for a in predeployed.accounts if a.address == address)


def generate_genesis(
    consensus: Consensus,
    spec: ConsortiumSpec,
    network: NetworkSpec,
    out_dir: Path,
    *,
    selection: ValidatorSelection = ValidatorSelection.CONTRACT,
    contract_from_block: int | None = None,
    node_keys: int = 0,
    consortium_sha256: str | None = None,
) -> GenesisOutput:
    """Write the genesis files of ``consensus`` for ``spec`` and ``network`` into ``out_dir``.

    ``selection`` and ``contract_from_block`` apply to QBFT only (header, contract from block 0, or
    a switch to the contract at ``contract_from_block``). ``node_keys`` > 0 also generates that many
    node keys under ``out_dir/keys`` (development only).
    """
    if consensus not in CONSENSUS:
        raise ConfigError(f"unknown consensus {consensus!r}: choose {', '.join(CONSENSUS)}")
    if not spec.validators:
        raise ConfigError("the consortium file lists no validators (network.validators): nobody could seal blocks")
    if consensus != "qbft" and (selection is not ValidatorSelection.CONTRACT or contract_from_block is not None):
        raise ConfigError(
            f"validator selection by contract is a QBFT feature; {consensus} votes validators in block "
            "headers (keep them in step with the ValidatorSet by `consortium-evm validators sync`)"
        )
    if contract_from_block is not None:
        selection = ValidatorSelection.TRANSITION

    predeployed = predeploy(spec, network, goquorum_adapter=consensus == "qbft")
    alloc = genesis_alloc_with_contracts(network, predeployed, goquorum_adapter=False)
    validators = list(spec.validators)
    ingress = predeployed.ingress.address
    files: dict[Path, Any] = {}
    texts: dict[Path, str] = {}
    besu_flags: tuple[str, ...] = ()
    qbft_mode: str | None = None
    notes: list[str] = []

    if consensus == "clique":
        files[out_dir / "geth" / "genesis.json"] = clique_genesis(
            chain_id=network.chain_id,
            signers=validators,
            alloc=alloc,
            period=network.block_period,
            epoch=network.epoch,
            evm_version=network.evm_version,
            gas_limit=network.gas_limit,
            timestamp=network.timestamp,
        )
        notes.append(
            "geth does not call permissioning contracts: on a geth Clique network the rules are on "
            "chain from block 0 and answer every query, but only GoQuorum or Besu nodes enforce them"
        )
    else:
        if consensus == "ibft2":
            files[out_dir / "besu" / "genesis.json"] = besu_ibft2_genesis(network, validators, alloc)
            notes.append("GoQuorum's IBFT is IBFT 1.0, not IBFT 2.0: the IBFT 2.0 genesis is Besu's only")
        else:
            chosen = QbftSelection(
                selection,
                None if selection is ValidatorSelection.HEADER else predeployed.addresses().get("ValidatorSet"),
                contract_from_block,
            )
            qbft_mode = selection.value
            files[out_dir / "besu" / "genesis.json"] = besu_qbft_genesis(network, validators, alloc, chosen)
            goquorum_alloc = genesis_alloc_with_contracts(network, predeployed)
            files[out_dir / "goquorum" / "genesis.json"] = goquorum_qbft_genesis(
                network, validators, goquorum_alloc, chosen
            )
            adapter = predeployed.addresses()[ADAPTER]
            files[out_dir / "goquorum" / PERMISSION_CONFIG_FILE] = permission_config(adapter, founding_admins(spec))
            files[out_dir / PERMISSIONED_NODES_FILE] = permissioned_nodes(consortium_enodes(spec))
            switched = goquorum_selection(chosen)
            if switched != chosen:
                notes.append(
                    f"GoQuorum: header validator selection at block 0, the ValidatorSet from block "
                    f"{switched.from_block} (a node started with --permissioned on contract selection from "
                    "block 0 never starts); Besu: the ValidatorSet from block 0"
                )
            notes.append(
                "GoQuorum: start with --permissioned and permission-config.json and permissioned-nodes.json "
                f"in each data directory; {ADAPTER} at {adapter} answers its start-up reads and forwards "
                "both rules to the PermissionIngress; gas price 0, berlin (no London)"
            )
        texts[out_dir / "besu" / "permissioning.toml"] = besu_permissioning_toml(ingress)
        besu_flags = tuple(besu_permissioning_flags(ingress))
        notes.append(BESU_PLUGIN_NOTE)

    enodes = consortium_enodes(spec)
    files[out_dir / "static-nodes.json"] = enodes
    texts[out_dir / "bootnodes.txt"] = ",".join(enodes) + "\n"
    files[out_dir / "contracts.json"] = contracts_manifest(consensus, network, predeployed, consortium_sha256)

    for path, data in files.items():
        write_json_atomic(path, data)
    for path, text in texts.items():
        write_text_atomic(path, text)
    written = [*files, *texts]
    keys: list[NodeKey] = []
    if node_keys:
        keys = generate_node_keys(node_keys)
        written += write_node_keys(keys, out_dir / "keys")
        notes.append(PRODUCTION_KEYS_WARNING)
    return GenesisOutput(
        consensus=consensus,
        out_dir=out_dir,
        files=tuple(sorted(written)),
        contracts=predeployed.addresses(),
        validators=tuple(validators),
        static_nodes=tuple(enodes),
        validator_selection=qbft_mode,
        besu_flags=besu_flags,
        node_keys=tuple(keys),
        notes=tuple(notes),
    )


def read_genesis(path: Path) -> Mapping[str, Any]:
    """A genesis JSON file, checked to be a mapping with ``config`` and ``alloc``."""
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such genesis file") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a JSON genesis file: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict) or "alloc" not in data:
        raise ConfigError(f"{path}: not a genesis file (needs config and alloc)")
    return data
