"""What the consortium's rules would cut off if a network turned them on now.

Before GoQuorum starts with ``--permissioned``, Besu (up to 24.x) with its permissioning options,
or a gateway and guard go in front of a running network, an operator wants to know who would be
shut out: this asks the ``PermissionIngress`` exactly what a client would ask, about

- the node itself and each of its peers (``admin_nodeInfo``, ``admin_peers``: their enode URLs);
- the current validators' nodes (the consensus' own RPC: ``clique_getSigners``, ``qbft_*``,
  ``ibft_*``), each found among the registered nodes by its key (a node key's address is the last
  20 bytes of keccak-256 of its public key: for QBFT and IBFT 2.0 the validator address *is* the
  node key's; a Clique signer whose signer key is not its node key is reported as not found);
- every account that sent a transaction in the last ``blocks`` blocks, asked with that transaction's
  target, value, gas price, gas and payload.

It changes nothing. A node that does not open its ``admin`` API is reported as such (its peers cannot
be listed), not as clear.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from consortium_evm.domain.spec import parse_enode
from consortium_evm.errors import ConfigError, RPCError
from consortium_evm.node.errors import NodeError
from consortium_evm.node.rpc import rpc_call
from consortium_evm.chain.validators import METHODS, VOTE_CONSENSUS, node_validators

if TYPE_CHECKING:
    from consortium_evm.client.core import ConsortiumClient

Rpc = Callable[[str, str, Sequence[Any]], Any]


def _rpc(url: str, method: str, params: Sequence[Any]) -> Any:
    return rpc_call(url, method, params, timeout=15.0)


@dataclass(frozen=True)
class CutOffNode:
    """A node the rules would refuse."""

    role: str
    """``self`` (the node asked), ``peer`` or ``validator``."""
    enode: str
    validator: str | None = None
    """The validator address this node is the node of (role ``validator``)."""


@dataclass(frozen=True)
class CutOffAccount:
    """An account that sent transactions lately and that the rules would refuse."""

    address: str
    transactions: int
    """How many of its transactions the scanned blocks hold."""
    last_block: int
    last_transaction: str


@dataclass(frozen=True)
class PreflightReport:
    """What turning the rules on now would cut off (empty tuples: nothing)."""

    head: int
    from_block: int
    nodes_checked: int
    accounts_checked: int
    nodes: tuple[CutOffNode, ...]
    accounts: tuple[CutOffAccount, ...]
    validators_without_node: tuple[str, ...]
    """Validators whose node is not among the registered nodes: not found, so not judged (a Clique
    signer whose signer key differs from its node key; check its node with ``access check-node``)."""
    peers_listed: bool
    """False when the node does not answer ``admin_peers`` (its admin API is closed)."""

    @property
    def clear(self) -> bool:
        """Nothing would be cut off (and the peers could be listed)."""
        return not self.nodes and not self.accounts and self.peers_listed

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["clear"] = self.clear
        return data


def preflight(
    client: ConsortiumClient, rpc_url: str, consensus: str, *, blocks: int = 1000, rpc: Rpc | None = None,
    known_nodes: Sequence[str] = (), node_client: str | None = None,
) -> PreflightReport:
    """Ask the rules about the node at ``rpc_url``, its peers, the current validators' nodes and the
    accounts that sent transactions in the last ``blocks`` blocks (at the latest block).
    ``known_nodes``: enode URLs of registered nodes the registry's events do not name (the founding
    nodes of a network started from a genesis file: its static-nodes.json). ``node_client``: the
    node's software (networks.yaml ``client``), which says how its validators are asked (GoQuorum's
    ``istanbul_*``)."""
    if blocks < 0:
        raise ConfigError(f"blocks must be 0 or more, not {blocks}")
    rpc = rpc or _rpc
    head = client.block_number()
    first = max(0, head - blocks + 1) if blocks else head + 1
    enodes, peers_listed = _node_and_peers(rpc_url, rpc)
    nodes: list[CutOffNode] = []
    checked = 0
    for role, enode in enodes:
        checked += 1
        if not client.access.node_allowed(enode):
            nodes.append(CutOffNode(role, enode))
    unmatched: list[str] = []
    if consensus in VOTE_CONSENSUS and consensus in METHODS:
        registered = _registered_nodes_by_address(client, known_nodes)
        for validator in node_validators(rpc_url, consensus, rpc, node_client).validators:
            node = registered.get(validator.lower())
            if node is None:
                unmatched.append(validator)
                continue
            checked += 1
            if not client.access.node_allowed(node):
                nodes.append(CutOffNode("validator", node, validator))
    accounts = _accounts(client, first, head)
    return PreflightReport(
        head=head,
        from_block=first,
        nodes_checked=checked,
        accounts_checked=accounts[1],
        nodes=tuple(nodes),
        accounts=accounts[0],
        validators_without_node=tuple(unmatched),
        peers_listed=peers_listed,
    )


def _node_and_peers(rpc_url: str, rpc: Rpc) -> tuple[list[tuple[str, str]], bool]:
    """The node's own enode URL and its peers' (role, enode); whether the peers could be listed."""
    found: list[tuple[str, str]] = []
    try:
        info = rpc(rpc_url, "admin_nodeInfo", [])
        peers = rpc(rpc_url, "admin_peers", [])
    except NodeError:
        return found, False
    if isinstance(info, dict) and isinstance(info.get("enode"), str):
        found.append(("self", _without_query(info["enode"])))
    if not isinstance(peers, list):
        raise RPCError(f"{rpc_url} admin_peers: expected a list, got {peers!r}")
    for peer in peers:
        if isinstance(peer, dict) and isinstance(peer.get("enode"), str):
            found.append(("peer", _without_query(peer["enode"])))
    return found, True


def _without_query(enode: str) -> str:
    """An enode URL without its ``?discport=`` part."""
    return enode.split("?", 1)[0]


def _registered_nodes_by_address(client: ConsortiumClient, known: Sequence[str]) -> dict[str, str]:
    """Every registered node's enode URL by the lower-case address of its node key (see
    ``client.nodes.registered_enodes`` for where they come from)."""
    from consortium_evm.client.nodes import registered_enodes

    return {
        "0x" + bytes(keccak(bytes.fromhex(node_id)))[12:].hex(): enode
        for node_id, enode in registered_enodes(client, known).items()
    }


def _accounts(client: ConsortiumClient, first: int, head: int) -> tuple[tuple[CutOffAccount, ...], int]:
    """The senders of the blocks ``first``..``head`` that the rules refuse, and how many senders
    were asked about (each distinct sender and kind of target once, with its latest transaction)."""
    latest: dict[tuple[str, bool], dict[str, Any]] = {}
    counts: dict[str, int] = {}
    for number in range(first, head + 1):
        block: Any = client.w3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            sender = str(to_checksum_address(str(tx["from"])))
            latest[(sender, tx.get("to") is None)] = {**dict(tx), "blockNumber": number}
            counts[sender] = counts.get(sender, 0) + 1
    refused: dict[str, CutOffAccount] = {}
    for (sender, _create), tx in latest.items():
        if not client.access.transaction_allowed(tx):
            known = refused.get(sender)
            block_number = int(tx["blockNumber"])
            if known is None or known.last_block < block_number:
                refused[sender] = CutOffAccount(sender, counts[sender], block_number, "0x" + bytes(tx["hash"]).hex())
    return tuple(sorted(refused.values(), key=lambda a: a.address)), len(latest)


__all__ = ["CutOffAccount", "CutOffNode", "PreflightReport", "parse_enode", "preflight"]
