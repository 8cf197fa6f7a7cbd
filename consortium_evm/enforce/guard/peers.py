"""The guard's peer work: drop every peer the rules refuse, add every registered node of an active
member that the node is not peered with.

Peers are judged by their enode URL as the node reports it (``admin_peers``), as GoQuorum and Besu
judge them; a refused peer is removed as a static and as a trusted peer (``admin_removePeer``,
``admin_removeTrustedPeer``), so the node does not dial it again. The nodes to keep are read from
the registry's ``NodeAdded``/``NodeRemoved`` events (the registry keeps only a node's key, the events
its enode URL) and kept if the rules allow them now: a node voted in is added as a static peer
(``admin_addPeer``) without editing ``static-nodes.json``; a suspended member's nodes are refused,
so dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from consortium_evm.errors import ConfigError, RPCError

if TYPE_CHECKING:
    from consortium_evm.client.core import ConsortiumClient

Rpc = Callable[[str, str, Sequence[Any]], Any]


@dataclass(frozen=True)
class PeerPlan:
    """What one pass did: the peers dropped and the nodes added (enode URLs)."""

    dropped: tuple[str, ...]
    added: tuple[str, ...]
    peers: int
    """Peers found at the start of the pass."""


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


def registered_enodes(client: ConsortiumClient, known: Sequence[str] = ()) -> dict[str, str]:
    """Every node still registered, by enode id: its enode URL as registered (from the registry's
    events), and each of the ``known`` enode URLs whose node the registry holds. A network started
    from a genesis file has no events for its founding nodes (they were pre-deployed as storage,
    which keeps only each node's key): give their URLs, e.g. the genesis output's static-nodes.json."""
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
    for enode in known:
        node_id = enode_id(enode)
        if node_id not in nodes and client.members.by_node(enode.split("?", 1)[0]) is not None:
            nodes[node_id] = enode.split("?", 1)[0]
    return nodes


def reconcile_peers(client: ConsortiumClient, rpc_url: str, rpc: Rpc, known: Sequence[str] = ()) -> PeerPlan:
    """One pass over the node at ``rpc_url``: drop the refused peers, add the missing allowed nodes."""
    info = rpc(rpc_url, "admin_nodeInfo", [])
    peers = rpc(rpc_url, "admin_peers", [])
    if not isinstance(info, dict) or not isinstance(peers, list):
        raise RPCError(f"{rpc_url}: admin_nodeInfo/admin_peers answered {info!r}, {peers!r}")
    own = enode_id(str(info.get("enode", "")))
    current = {enode_id(str(p["enode"])): str(p["enode"]).split("?", 1)[0] for p in peers if isinstance(p, dict)}
    dropped = []
    for peer_id, enode in current.items():
        if not client.access.node_allowed(enode):
            rpc(rpc_url, "admin_removePeer", [enode])
            rpc(rpc_url, "admin_removeTrustedPeer", [enode])
            dropped.append(enode)
    added = []
    for node_id, enode in registered_enodes(client, known).items():
        if node_id == own or node_id in current:
            continue
        if client.access.node_allowed(enode):
            rpc(rpc_url, "admin_addPeer", [enode])
            added.append(enode)
    return PeerPlan(tuple(dropped), tuple(added), len(current))
