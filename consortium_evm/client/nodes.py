"""The registered nodes' enode URLs.

The registry keeps only a node's key (and a hash of its host); the node's enode URL is in the
``NodeAdded`` event that registered it. A network started from a genesis file has no events for its
founding nodes (they were pre-deployed as storage): their URLs come from elsewhere (the manifest's
``genesis.founders``, the genesis output's ``static-nodes.json``) and are kept when the registry
holds their node. The guard (peers to add), preflight (the validators' nodes) and the
``permissioned-nodes.json`` writer read the nodes from here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from consortium_evm.errors import ConfigError

if TYPE_CHECKING:
    from consortium_evm.client.core import ConsortiumClient


def enode_id(enode: str) -> str:
    """The lower-case id of an enode URL."""
    return enode.removeprefix("enode://").split("@", 1)[0].lower()


def read_enode_list(path: Path) -> tuple[str, ...]:
    """Enode URLs from a file: a JSON list (static-nodes.json) or URLs separated by commas, spaces or
    lines (bootnodes.txt)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the node list {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except ValueError:
        data = [part for part in text.replace(",", " ").split() if part]
    if not isinstance(data, list) or not all(isinstance(e, str) and e.startswith("enode://") for e in data):
        raise ConfigError(f"{path}: expected enode URLs (a JSON list, or separated by commas or lines)")
    return tuple(data)


def founder_enodes(client: ConsortiumClient) -> list[str]:
    """The enode URLs of the founding members' nodes of a genesis-built chain, from its manifest's
    ``genesis.founders`` (none for a deployed chain: its registry has events)."""
    return [f"enode://{public_key}@{host}:{port}" for founder in client.founders for public_key, host, port in founder.nodes]


def registered_enodes(client: ConsortiumClient, known: Sequence[str] = ()) -> dict[str, str]:
    """Every node still registered, by enode id: its enode URL as registered (from the registry's
    events), and each of the founders' (:func:`founder_enodes`) and ``known`` enode URLs whose node
    the registry holds. A network started from a genesis file has no events for its founding nodes
    (they were pre-deployed as storage, which keeps only each node's key): their URLs come from the
    manifest, or for a manifest without ``genesis.founders`` from ``known`` (e.g. the genesis
    output's static-nodes.json). The nodes of every member are listed, whatever its status: ask the
    registry or the rules which of them may connect."""
    nodes: dict[str, str] = {}
    keys: dict[str, str] = {}
    for event in client.events.history(kinds=("NodeAdded", "NodeRemoved")):
        key = "0x" + bytes(event.args["nodeKey"]).hex()
        if event.name == "NodeAdded":
            public_key = bytes(event.args["publicKey"]).hex()
            keys[key] = public_key
            nodes[public_key] = f"enode://{public_key}@{event.args['host']}:{event.args['port']}"
        elif key in keys:
            nodes.pop(keys.pop(key), None)
    for enode in [*founder_enodes(client), *known]:
        node_id = enode_id(enode)
        if node_id not in nodes and client.members.by_node(enode.split("?", 1)[0]) is not None:
            nodes[node_id] = enode.split("?", 1)[0]
    return nodes
