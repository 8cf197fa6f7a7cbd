"""The record of a local network: its folder, the state file (``network.json``) and the development
accounts, read and written atomically. Nothing here starts or asks a process.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from consortium_evm.errors import ConfigError
from consortium_evm.node.geth import project_roots
from consortium_evm.util.atomic import write_text_atomic as _write_atomic


STATE_FILE = "network.json"

GENESIS_FILE = "genesis.json"

PASSWORD_FILE = "password.txt"

DEV_KEYS_FILE = "dev-accounts.json"

CONFIG_FILE = "config.toml"

LOG_FILE = "geth.log"

PID_FILE = "geth.pid"

STATE_VERSION = 1


@dataclass(frozen=True)
class DevAccount:
    """A funded development account of a local network. Its key is in plain text: dev only."""

    address: str
    private_key: str


@dataclass(frozen=True)
class NodeInfo:
    """One geth process of a local network, as recorded in the state file."""

    name: str
    signer: str
    data_dir: Path
    http_port: int
    p2p_port: int
    authrpc_port: int
    node_id: str
    """The node's public key as 128 hex digits (the enode id)."""
    pid: int | None

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def enode(self) -> str:
        return f"enode://{self.node_id}@127.0.0.1:{self.p2p_port}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / LOG_FILE

    @property
    def pid_file(self) -> Path:
        return self.data_dir / PID_FILE

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "signer": self.signer,
            "dataDir": str(self.data_dir),
            "rpcUrl": self.rpc_url,
            "httpPort": self.http_port,
            "p2pPort": self.p2p_port,
            "authrpcPort": self.authrpc_port,
            "nodeId": self.node_id,
            "enode": self.enode,
            "pid": self.pid,
            "logFile": str(self.log_file),
            "pidFile": str(self.pid_file),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NodeInfo:
        return cls(
            name=str(data["name"]),
            signer=str(data["signer"]),
            data_dir=Path(data["dataDir"]),
            http_port=int(data["httpPort"]),
            p2p_port=int(data["p2pPort"]),
            authrpc_port=int(data["authrpcPort"]),
            node_id=str(data["nodeId"]),
            pid=None if data.get("pid") is None else int(data["pid"]),
        )


@dataclass(frozen=True)
class NetworkState:
    """What the state file ``network.json`` of a local network holds."""

    root_dir: Path
    chain_id: int
    period: int
    epoch: int
    evm_version: str
    signers: tuple[str, ...]
    """The genesis signers, in geth's order (ascending)."""
    dev_accounts: tuple[str, ...]
    """Addresses of the funded dev accounts; their keys are in :attr:`dev_keys_file`."""
    nodes: tuple[NodeInfo, ...]
    geth_path: str
    geth_version: str
    created_at: float
    started_at: float | None = None
    stopped_at: float | None = None
    from_genesis: bool = False
    """Made from a given genesis (``start_network(genesis=...)``): its nodes start sealing only once
    they are all peered, since the genesis time may be long past (see :func:`launch`)."""

    @property
    def rpc_url(self) -> str:
        """The RPC URL of the first node: where tools point by default."""
        return self.nodes[0].rpc_url

    @property
    def state_file(self) -> Path:
        return self.root_dir / STATE_FILE

    @property
    def dev_keys_file(self) -> Path:
        return self.root_dir / DEV_KEYS_FILE

    def local_entry(self) -> dict[str, Any]:
        """The ``local`` network entry other commands (the deployer) read."""
        return {
            "rpcUrl": self.rpc_url,
            "rpcUrls": [n.rpc_url for n in self.nodes],
            "chainId": self.chain_id,
            "running": all(n.pid is not None for n in self.nodes),
            "description": (
                f"local Clique network: {len(self.nodes)} geth {self.geth_version} signer(s) on "
                f"127.0.0.1, period {self.period} s, chain id {self.chain_id} "
                "(consortium-evm node start)"
            ),
            "devKeysFile": str(self.dev_keys_file),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "local": self.local_entry(),
            "chainId": self.chain_id,
            "networkId": self.chain_id,
            "clique": {"period": self.period, "epoch": self.epoch},
            "evmVersion": self.evm_version,
            "signers": list(self.signers),
            "devAccounts": list(self.dev_accounts),
            "devKeysFile": str(self.dev_keys_file),
            "geth": {"path": self.geth_path, "version": self.geth_version},
            "createdAt": self.created_at,
            "startedAt": self.started_at,
            "stoppedAt": self.stopped_at,
            "fromGenesis": self.from_genesis,
            "nodes": [n.to_json() for n in self.nodes],
        }

    @classmethod
    def from_json(cls, root_dir: Path, data: dict[str, Any]) -> NetworkState:
        if data.get("version") != STATE_VERSION:
            raise ConfigError(
                f"{root_dir / STATE_FILE} has state version {data.get('version')!r}, expected "
                f"{STATE_VERSION}: remove the folder or start with --reset"
            )
        return cls(
            root_dir=root_dir,
            chain_id=int(data["chainId"]),
            period=int(data["clique"]["period"]),
            epoch=int(data["clique"]["epoch"]),
            evm_version=str(data["evmVersion"]),
            signers=tuple(str(s) for s in data["signers"]),
            dev_accounts=tuple(str(a) for a in data["devAccounts"]),
            nodes=tuple(NodeInfo.from_json(n) for n in data["nodes"]),
            geth_path=str(data["geth"]["path"]),
            geth_version=str(data["geth"]["version"]),
            created_at=float(data["createdAt"]),
            started_at=None if data.get("startedAt") is None else float(data["startedAt"]),
            stopped_at=None if data.get("stoppedAt") is None else float(data["stoppedAt"]),
            from_genesis=bool(data.get("fromGenesis", False)),
        )

    def with_nodes(self, nodes: Sequence[NodeInfo], **changes: Any) -> NetworkState:
        values = {**self.__dict__, "nodes": tuple(nodes), **changes}
        return NetworkState(**values)


NODES_DIR_ENV = "CONSORTIUM_NODES_DIR"
"""Overrides the local network's folder (default ``<project root>/.consortium/nodes``)."""


def default_data_dir() -> Path:
    """``$CONSORTIUM_NODES_DIR``, else ``<project root>/.consortium/nodes`` (the current directory
    when outside a project)."""
    explicit = os.environ.get(NODES_DIR_ENV)
    if explicit:
        return Path(explicit)
    roots = project_roots()
    return (roots[0] if roots else Path.cwd()) / ".consortium" / "nodes"


def network_root(root_dir: Path | str | None) -> Path:
    return (Path(root_dir).expanduser() if root_dir is not None else default_data_dir()).resolve()


def load_state(root_dir: Path | str | None = None) -> NetworkState | None:
    """The recorded state of the network in ``root_dir``, or None when there is none."""
    root = network_root(root_dir)
    path = root / STATE_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        return NetworkState.from_json(root, data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot read the network state file {path}: {exc}") from None


def load_dev_accounts(root_dir: Path | str | None = None) -> list[DevAccount]:
    """The funded dev accounts (address and private key) of the network in ``root_dir``."""
    path = network_root(root_dir) / DEV_KEYS_FILE
    try:
        data = json.loads(path.read_text())
        return [DevAccount(str(a["address"]), str(a["privateKey"])) for a in data["accounts"]]
    except FileNotFoundError:
        raise ConfigError(f"no dev accounts at {path}: start a network first") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot read the dev accounts file {path}: {exc}") from None


def save_state(state: NetworkState) -> None:
    _write_atomic(state.state_file, json.dumps(state.to_json(), indent=2) + "\n")


def replace_pid(node: NodeInfo, pid: int | None) -> NodeInfo:
    return NodeInfo(**{**node.__dict__, "pid": pid})


def remove_network(root: Path, state: NetworkState | None) -> None:
    """Delete what a network of this tool put in ``root`` (only those files and folders)."""
    node_dirs = [n.data_dir for n in state.nodes] if state is not None else []
    node_dirs += [p for p in root.glob("node*") if p.is_dir() and (p / "geth").is_dir()]
    for path in node_dirs:
        if path.parent == root:
            shutil.rmtree(path, ignore_errors=True)
    for name in (STATE_FILE, GENESIS_FILE, PASSWORD_FILE, DEV_KEYS_FILE):
        (root / name).unlink(missing_ok=True)
