"""Node keys and the lists of peers a node operator puts beside the genesis.

A node key is a secp256k1 private key: its public key is the node's enode id, and on IBFT 2.0 and
QBFT its address is the node's validator address. :func:`generate_node_keys` makes fresh ones for a
development or test network; :func:`dev_node_keys` gives the public development keys
(``consortium.genesis.example.yaml`` names them); in production each member creates its own on its
own machine, and only the public parts (enode URL, validator address) reach the consortium file.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eth_keys.datatypes import PrivateKey

from consortium_evm.domain.devkeys import DEV_NODE_KEY_FIRST_INDEX, dev_account
from consortium_evm.domain.spec import ConsortiumSpec
from consortium_evm.errors import ConfigError
from consortium_evm.util.atomic import write_json_atomic, write_text_atomic

PRODUCTION_KEYS_WARNING = (
    "warning: these node keys were generated here and are written in plain text: use them for a "
    "development or test network only. In production each member generates its node key on its own "
    "machine and shares only its enode URL and validator address."
)
MAX_NODE_KEYS = 64
FIRST_P2P_PORT = 30303


@dataclass(frozen=True)
class NodeKey:
    """A generated node key and what follows from it."""

    private_key: str
    """64 hex digits without 0x: the ``nodekey`` format geth and GoQuorum read (Besu reads it too)."""
    enode_id: str
    """The public key as 128 hex digits."""
    address: str
    """The checksummed address: the validator address of this node on IBFT 2.0 / QBFT."""

    @classmethod
    def generate(cls) -> NodeKey:
        return cls.from_private_key(secrets.token_bytes(32))

    @classmethod
    def from_private_key(cls, private_key: bytes) -> NodeKey:
        key = PrivateKey(private_key)
        return cls(key.to_bytes().hex(), key.public_key.to_bytes().hex(), key.public_key.to_checksum_address())

    def enode(self, host: str = "127.0.0.1", port: int = FIRST_P2P_PORT) -> str:
        return f"enode://{self.enode_id}@{host}:{port}"


def generate_node_keys(count: int) -> list[NodeKey]:
    """``count`` fresh node keys."""
    if not 1 <= count <= MAX_NODE_KEYS:
        raise ConfigError(f"node keys: ask for 1 to {MAX_NODE_KEYS}, got {count}")
    return [NodeKey.generate() for _ in range(count)]


def dev_node_keys(count: int) -> list[NodeKey]:
    """``count`` PUBLIC development node keys: the development mnemonic's accounts
    :data:`~consortium_evm.domain.devkeys.DEV_NODE_KEY_FIRST_INDEX` (10) on, the same on every machine."""
    if not 1 <= count <= MAX_NODE_KEYS:
        raise ConfigError(f"node keys: ask for 1 to {MAX_NODE_KEYS}, got {count}")
    return [NodeKey.from_private_key(bytes(dev_account(DEV_NODE_KEY_FIRST_INDEX + i).key)) for i in range(count)]


def write_node_keys(keys: Sequence[NodeKey], directory: Path, *, warning: str = PRODUCTION_KEYS_WARNING) -> list[Path]:
    """``directory/nodeN/nodekey`` (mode 600), ``nodeN/address`` and ``nodeN/enode-id`` for each key,
    and ``directory/nodes.json`` with the public parts (enode URLs on 127.0.0.1, consecutive ports)
    and ``warning``."""
    written: list[Path] = []
    summary = []
    for index, key in enumerate(keys):
        folder = directory / f"node{index + 1}"
        for name, text, mode in (
            ("nodekey", key.private_key, 0o600),
            ("address", key.address + "\n", 0o644),
            ("enode-id", key.enode_id + "\n", 0o644),
        ):
            write_text_atomic(folder / name, text, mode)
            written.append(folder / name)
        summary.append(
            {"node": folder.name, "address": key.address, "enodeId": key.enode_id,
             "enode": key.enode(port=FIRST_P2P_PORT + index)}
        )
    write_json_atomic(directory / "nodes.json", {"warning": warning, "nodes": summary})
    written.append(directory / "nodes.json")
    return written


def consortium_enodes(spec: ConsortiumSpec) -> list[str]:
    """The enode URLs of the founding members' nodes, in the consortium file's order: the nodes the
    permissioning allows, and so the static-nodes / bootnodes list."""
    return [f"enode://{n.enode_id}@{n.host}:{n.port}" for m in spec.members for n in m.nodes]
