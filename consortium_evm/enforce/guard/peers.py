"""The guard's peer work: drop every peer the rules refuse, add every registered node of an active
member that the node is not peered with.

Peers are judged by their enode URL as the node reports it (``admin_peers``), as GoQuorum and Besu
judge them; a refused peer is removed as a static and as a trusted peer (``admin_removePeer``,
``admin_removeTrustedPeer``), so the node does not dial it again. The nodes to keep are read from
the registry's ``NodeAdded``/``NodeRemoved`` events (the registry keeps only a node's key, the events
its enode URL: :func:`consortium_evm.client.nodes.registered_enodes`) and kept if the rules allow
them now: a node voted in is added as a static peer (``admin_addPeer``) without editing
``static-nodes.json``; a suspended member's nodes are refused, so dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from consortium_evm.client.nodes import enode_id, registered_enodes
from consortium_evm.errors import RPCError

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
